"""utils.io and utils.tensor_state: atomic files, staged folders that never delete foreign files, the output guard,
cleanup after a kill, and a training state that loads without running code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from reliability_helpers import record

from soccermaster_hf.utils.io import (
    MARKER,
    OutputFolderError,
    atomic_file,
    atomic_write_text,
    clean_stale_staging,
    make_staging_dir,
    prepare_output_dir,
    read_marker,
    remove_output,
    save_pretrained_atomic,
    staged_folder,
)
from soccermaster_hf.utils.tensor_state import load_state, save_state

pytestmark = pytest.mark.timeout(60)


class FakeModel:
    """`save_pretrained` writes the given files (names -> bytes)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def save_pretrained(self, folder, **kwargs):
        for name, data in self.files.items():
            (Path(folder) / name).write_bytes(data)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_failed_atomic_write_keeps_the_old_file(tmp_path):
    path = atomic_write_text(tmp_path / "metrics.csv", "old")
    with pytest.raises(RuntimeError), atomic_file(path) as handle:
        handle.write("half of the new")
        raise RuntimeError("killed")
    assert path.read_text() == "old" and _listing(tmp_path) == ["metrics.csv"]
    record("ok")


def test_save_into_a_foreign_folder_is_refused_then_keeps_foreign_files(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "notes.md").write_text("mine")
    with pytest.raises(OutputFolderError, match="--overwrite") as error:
        save_pretrained_atomic(FakeModel({"config.json": b"{}"}), target)
    assert str(target) in str(error.value) and _listing(target) == ["notes.md"]
    save_pretrained_atomic(FakeModel({"config.json": b"{}"}), target, overwrite=True)
    assert (target / "notes.md").read_text() == "mine" and (target / "config.json").is_file()
    record("error")


def test_resave_removes_only_its_own_stale_files(tmp_path):
    target = tmp_path / "model"
    save_pretrained_atomic(FakeModel({"config.json": b"1", "model-00001-of-00002.safetensors": b"a",
                                      "model-00002-of-00002.safetensors": b"b"}), target)
    (target / "user.txt").write_text("mine")
    save_pretrained_atomic(FakeModel({"config.json": b"2", "model.safetensors": b"ab"}), target)
    assert _listing(target) == sorted([MARKER, "config.json", "model.safetensors", "user.txt"])
    assert (target / "config.json").read_bytes() == b"2"
    assert read_marker(target)["files"] == ["config.json", "model.safetensors"]
    record("ok")


def test_failed_staged_save_leaves_the_target_untouched(tmp_path):
    target = tmp_path / "checkpoint"
    save_pretrained_atomic(FakeModel({"config.json": b"good"}), target)
    with pytest.raises(RuntimeError), staged_folder(target, "save_pretrained") as staging:
        (staging / "config.json").write_bytes(b"half")
        raise RuntimeError("disk full")
    assert (target / "config.json").read_bytes() == b"good"
    assert _listing(tmp_path) == ["checkpoint", f"checkpoint/{MARKER}", "checkpoint/config.json"]
    record("ok")


def test_stale_staging_cleanup_removes_only_marked_or_empty_folders(tmp_path):
    ours = make_staging_dir(tmp_path / "final")
    (ours / "model.safetensors").write_bytes(b"partial")
    empty = tmp_path / ".final.staging-empty"
    empty.mkdir()
    lookalike = tmp_path / ".final.staging-user"
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("not ours")
    removed = clean_stale_staging(tmp_path, "final")
    assert set(removed) == {ours, empty} and (lookalike / "keep.txt").is_file()
    record("ok")


def test_kill_during_a_save_leaves_the_previous_folder_and_is_cleaned_up(tmp_path):
    target = tmp_path / "final"
    save_pretrained_atomic(FakeModel({"model.safetensors": b"previous"}), target)
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from soccermaster_hf.utils.io import save_pretrained_atomic

        class Slow:
            def save_pretrained(self, folder):
                (Path(folder) / "model.safetensors").write_bytes(b"half")
                Path({str(tmp_path / "started")!r}).touch()
                time.sleep(60)

        save_pretrained_atomic(Slow(), {str(target)!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 30
    while not (tmp_path / "started").exists():
        assert process.poll() is None and time.time() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert (target / "model.safetensors").read_bytes() == b"previous"
    assert any(p.name.startswith(".final.staging-") for p in tmp_path.iterdir())
    save_pretrained_atomic(FakeModel({"model.safetensors": b"next"}), target)  # the next run cleans up
    assert not any(p.name.startswith(".final.staging-") for p in tmp_path.iterdir())
    assert (target / "model.safetensors").read_bytes() == b"next"
    record("ok")


def test_remove_output_keeps_foreign_files(tmp_path):
    folder = tmp_path / "checkpoint-0000001"
    save_pretrained_atomic(FakeModel({"model.safetensors": b"w", "config.json": b"{}"}), folder)
    (folder / "annotations.txt").write_text("mine")
    assert remove_output(folder) is False
    assert _listing(folder) == ["annotations.txt"]
    unmarked = tmp_path / "unmarked"
    unmarked.mkdir()
    (unmarked / "model.safetensors").write_bytes(b"w")
    assert remove_output(unmarked) is False and (unmarked / "model.safetensors").is_file()
    record("ok")


@pytest.mark.parametrize("relation", ["same", "inside", "contains"])
def test_output_overlapping_a_source_is_refused(relation, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "backbone.pt").write_bytes(b"w")
    output = {"same": source, "inside": source / "out", "contains": tmp_path}[relation]
    with pytest.raises(OutputFolderError, match="source"):
        prepare_output_dir(output, "convert", overwrite=True, sources=[source / "backbone.pt"] if relation ==
                           "contains" else [source])
    assert _listing(source) == ["backbone.pt"]
    record("error")


def test_output_of_another_command_is_refused(tmp_path):
    prepare_output_dir(tmp_path / "out", "synth")
    (tmp_path / "out" / "README.md").write_text("dataset card")
    with pytest.raises(OutputFolderError, match="written by `soccermaster synth`"):
        prepare_output_dir(tmp_path / "out", "train")
    prepare_output_dir(tmp_path / "out", "synth")  # its own command may write again
    record("error")


def test_training_state_round_trip_is_exact(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).sum().backward()
    optimizer.step()
    state = {"optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(), "betas": (0.9, 0.999),
             "nested": {1: [1.0000000000000002, None, "text"]}}
    save_state(state, tmp_path, "training_state")
    loaded = load_state(tmp_path, "training_state")
    assert loaded["betas"] == (0.9, 0.999) and loaded["nested"] == {1: [1.0000000000000002, None, "text"]}
    assert torch.equal(loaded["rng"], state["rng"])
    for key, value in state["optimizer"]["state"][0].items():
        assert torch.equal(loaded["optimizer"]["state"][0][key], value)
    record("ok")


@pytest.mark.parametrize("damage", ["json-garbage", "json-other-format", "tensor-missing", "safetensors-truncated"])
def test_damaged_training_state_is_a_clear_error(damage, tmp_path):
    save_state({"a": torch.ones(3)}, tmp_path, "training_state")
    document = tmp_path / "training_state.json"
    tensors = tmp_path / "training_state.safetensors"
    if damage == "json-garbage":
        document.write_text("{")
    elif damage == "json-other-format":
        document.write_text(json.dumps({"format": "pickle", "state": {}}))
    elif damage == "tensor-missing":
        data = json.loads(document.read_text())
        data["state"]["b"] = {"__tensor__": "b"}
        document.write_text(json.dumps(data))
    else:
        tensors.write_bytes(tensors.read_bytes()[:20])
    with pytest.raises(ValueError) as error:
        load_state(tmp_path, "training_state")
    assert "training_state" in str(error.value)
    record("error")


def test_written_files_and_folders_get_ordinary_permissions(tmp_path):
    """Atomic writes and staged saves produce what a plain open() / mkdir() would (umask applied), not 0600 / 0700."""
    import os
    import stat

    from soccermaster_hf.utils.io import atomic_write_text, staged_folder

    old = os.umask(0o022)
    try:
        written = atomic_write_text(tmp_path / "a.txt", "x")
        with staged_folder(tmp_path / "folder", "test") as staging:
            (staging / "b.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755
