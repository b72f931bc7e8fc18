"""The ``soccermaster`` command: dispatch, encode."""

import subprocess
import sys

import pytest
from safetensors.torch import load_file

from soccermaster_hf.cli.main import main


def test_help_lists_commands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("encode", "convert", "init-from-siglip"):
        assert command in out


def test_encode_demo_clip(capsys, tmp_path):
    assert main(["encode", "--demo", "--frames", "4", "--repeats", "1", "--save", str(tmp_path / "f.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "F_sem (pooler_output)         (1, 4, 192)" in out
    assert "frames/s" in out
    features = load_file(tmp_path / "f.safetensors")
    assert features["spatial_hidden_state"].shape == (1, 4, 196, 192)


@pytest.mark.real_data
def test_encode_real_broadcast_frame(shared_dir, capsys):
    frame = shared_dir / "data" / "real" / "broadcast_frames" / "uefa_final_2009_frame.png"
    if not frame.is_file():
        pytest.skip("real broadcast frame not available")
    assert main(["encode", str(frame), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "image 1073x603 (RGBA)" in out and "(1, 1, 196, 192)" in out


def test_encode_reports_bad_files(tmp_path, capsys):
    (tmp_path / "broken.png").write_bytes(b"not an image")
    assert main(["encode", str(tmp_path / "broken.png")]) == 1
    assert "broken.png" in capsys.readouterr().err
    assert main(["encode", str(tmp_path / "missing.mp4")]) == 1
    assert "missing.mp4: video file not found" in capsys.readouterr().err


def test_console_script_entry_point():
    result = subprocess.run([sys.executable, "-m", "soccermaster_hf.cli.main", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "encode" in result.stdout


def test_train_and_analyze_options_come_from_their_dataclasses(capsys):
    """`--help` shows the dataclass defaults; analyze's dataclass matches the Python API's defaults."""
    import dataclasses
    import inspect

    from soccermaster_hf.analysis import AnalyzeArguments, analyze
    from soccermaster_hf.training.pretrain import TrainingArguments

    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for spec in dataclasses.fields(TrainingArguments):
        if spec.metadata.get("cli", True) and not spec.metadata.get("positional"):
            flag = "--no-" if spec.default is True else "--"
            assert (spec.metadata.get("flags") or [f"{flag}{spec.name.replace('_', '-')}"])[0] in text, spec.name
    assert "(default: 50)" in text and "--no-augment" in text and "--overwrite" in text
    defaults = {name: p.default for name, p in inspect.signature(analyze).parameters.items()
                if p.default is not inspect.Parameter.empty}
    for spec in dataclasses.fields(AnalyzeArguments):
        if spec.name in defaults:
            assert spec.default == defaults[spec.name], spec.name


def test_only_the_chosen_command_is_imported():
    code = ("import sys; from soccermaster_hf.cli.main import main; main(['--help']); main(['synth', '--help']); "
            "print(sorted(m for m in sys.modules if m.startswith('soccermaster_hf.cli.') and 'main' not in m))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    last = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0 and last == "['soccermaster_hf.cli.arguments', 'soccermaster_hf.cli.synth']", last
