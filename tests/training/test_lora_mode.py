"""`soccermaster train --init-from BASE --lora-rank R`: LoRA fine-tuning on the ordinary training loop, adapter-only
checkpoints and outputs, a card naming the base model, PeftModel reproduction, merging, kill-safe resume."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from soccermaster_hf import SoccerMasterConfig, SoccerMasterForPreTraining
from soccermaster_hf.cli.main import main
from soccermaster_hf.training.pretrain import TrainingArguments

ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("lora-base") / "base"
    SoccerMasterForPreTraining(SoccerMasterConfig.from_preset("tiny", num_frames=2)).save_pretrained(folder)
    return folder


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _train(clips, output, base, steps, extra=()):
    return ["train", str(clips), "--output", str(output), "--init-from", str(base), "--lora-rank", "4",
            "--max-steps", str(steps), "--checkpoint-every", "2", "--clip-length", "2", "--max-frame-size", "192",
            "--no-augment", "--no-progress", *extra]


def test_lora_run_writes_the_adapter_only_and_it_reproduces(clips, base, tmp_path):
    from peft import PeftModel

    before = _digest(base / "model.safetensors")
    code = main(_train(clips, tmp_path / "run", base, 3,
                       ("--lora-targets", "q_proj,v_proj", "--train-heads", "detection", "--merge-lora",
                        "--learning-rate", "1e-2", "--push-to-hub", "me/soccermaster-lora",
                        "--hub-local-dir", str(tmp_path / "hub"))))
    assert code == 0
    final = tmp_path / "run" / "final"
    assert (final / "adapter_config.json").is_file() and (final / "adapter_model.safetensors").is_file()
    assert not (final / "model.safetensors").exists()  # the adapter only
    adapter = load_file(final / "adapter_model.safetensors")
    assert any("lora_A" in k for k in adapter) and any("class_embed" in k for k in adapter)  # + the trained heads
    assert not any("keypoint_head" in k for k in adapter)
    assert (final / "adapter_model.safetensors").stat().st_size < 0.5 * (base / "model.safetensors").stat().st_size
    assert _digest(base / "model.safetensors") == before  # the base model is never written
    card = (final / "README.md").read_text()
    assert "library_name: peft" in card and str(base) in card and "rank 4" in card and "3 steps" in card
    published = tmp_path / "hub" / "me" / "soccermaster-lora"
    assert (published / "adapter_model.safetensors").is_file()
    assert 'PeftModel.from_pretrained(base, "me/soccermaster-lora")' in (published / "README.md").read_text()

    probe = torch.rand(1, 2, 3, 64, 64)
    plain = SoccerMasterForPreTraining.from_pretrained(base).eval()
    tuned = PeftModel.from_pretrained(SoccerMasterForPreTraining.from_pretrained(base), final).eval()
    merged = SoccerMasterForPreTraining.from_pretrained(tmp_path / "run" / "final-merged").eval()
    with torch.no_grad():
        expected, from_merged = tuned(spatial_pixel_values=probe), merged(spatial_pixel_values=probe)
        torch.testing.assert_close(from_merged.detection["logits"], expected.detection["logits"], atol=1e-4, rtol=1e-4)
        # the frozen pitch heads' BatchNorm statistics did not drift: the adapter alone reproduces them
        torch.testing.assert_close(from_merged.pitch.keypoint_heatmaps, expected.pitch.keypoint_heatmaps, atol=1e-5,
                                   rtol=1e-4)
        original = plain(spatial_pixel_values=probe).detection["logits"]
        assert not torch.allclose(original, expected.detection["logits"], atol=1e-4)
        with tuned.disable_adapter():  # one adapter per league: the base league is served by the untouched base
            torch.testing.assert_close(tuned(spatial_pixel_values=probe).detection["logits"], original)
    # checkpoints hold the adapter too
    checkpoint = tmp_path / "run" / "checkpoint-0000002"
    assert (checkpoint / "adapter_model.safetensors").is_file() and not (checkpoint / "model.safetensors").exists()


def test_heads_only_fine_tuning_changes_the_named_head_and_nothing_else(clips, base, tmp_path):
    """`--train-heads` without `--lora-rank`: the whole detection head trains (its decoder layers too), every other
    tensor of the base (backbone, pitch heads and their BatchNorm statistics, event head) is saved bit-identical."""
    before = _digest(base / "model.safetensors")
    code = main(["train", str(clips), "--output", str(tmp_path / "run"), "--init-from", str(base), "--train-heads",
                 "detection", "--max-steps", "3", "--clip-length", "2", "--max-frame-size", "192", "--no-augment",
                 "--no-progress", "--learning-rate", "1e-2"])
    assert code == 0 and _digest(base / "model.safetensors") == before
    original = load_file(base / "model.safetensors")
    tuned = load_file(tmp_path / "run" / "final" / "model.safetensors")
    assert original.keys() == tuned.keys()
    changed = {name for name in original if not torch.equal(original[name], tuned[name])}
    assert changed and all(name.startswith("detection_head.") for name in changed), sorted(changed)[:5]
    assert any(".decoder_layers." in name for name in changed)  # not only the classifiers, as in LoRA mode
    assert any(name.startswith("keypoint_head.") and "running_mean" in name for name in original)


@pytest.mark.slow
def test_a_killed_lora_run_resumes_to_the_same_adapter(clips, base, tmp_path):
    def command(output):
        return [sys.executable, "-m", "soccermaster_hf.cli.main", *_train(clips, output, base, 8,
                                                                           ("--train-heads", "detection"))]

    reference = subprocess.run(command(tmp_path / "reference"), env=ENV, capture_output=True, text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr[-2000:]
    run = tmp_path / "killed"
    process = subprocess.Popen(command(run), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (run / "checkpoint-0000002" / "trainer_state.json").exists():
        assert process.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    resumed = subprocess.run(command(run), env=ENV, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from checkpoint-" in resumed.stdout + resumed.stderr
    expected = load_file(tmp_path / "reference" / "final" / "adapter_model.safetensors")
    actual = load_file(run / "final" / "adapter_model.safetensors")
    assert expected.keys() == actual.keys()
    for name in expected:
        assert torch.equal(expected[name], actual[name]), name


@pytest.mark.parametrize("extra, message", [
    (("--lora-rank", "4"), "--init-from"),
    (("--train-heads", "detection"), "--init-from"),
    (("--init-from", "BASE", "--train-heads", "wings"), "wings"),
    (("--merge-lora",), "--lora-rank"),
    (("--lora-rank", "-1"), "lora"),
    (("--lora-rank", "4", "--init-from", "BASE", "--train-heads", "wings"), "wings"),
    (("--lora-rank", "4", "--init-from", "BASE", "--lora-targets", "nope_proj"), "nope_proj"),
    (("--lora-rank", "4", "--init-from", "BASE", "--lora-alpha", "0"), "lora-alpha"),
    (("--init-from", "BASE", "--train-heads", "events"), "--semantic"),  # nothing else would train
])
def test_bad_lora_settings_are_one_line_errors(clips, base, tmp_path, capsys, extra, message):
    extra = tuple(str(base) if value == "BASE" else value for value in extra)
    code = main(["train", str(clips), "--output", str(tmp_path / "run"), "--max-steps", "1", "--no-progress",
                 "--clip-length", "2", *extra])
    err = capsys.readouterr().err
    assert code in (1, 2) and message in err and "Traceback" not in err, err
    assert not (tmp_path / "run" / "final").exists()


def test_lora_arguments_accept_lists_and_comma_separated_names():
    args = TrainingArguments(train_dirs=["x"], output_dir="y", model="base", lora_rank=2,
                             lora_targets=["q_proj,k_proj", "v_proj"], train_heads="detection,lines")
    assert args.lora_targets == ["q_proj", "k_proj", "v_proj"] and args.train_heads == ["detection", "lines"]
