"""Pre-training loop: a run killed with SIGKILL resumes to exactly the weights of an uninterrupted run."""

import csv
import json
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
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset
from soccermaster_hf.training.pretrain import DataPosition
from soccermaster_hf.utils.io import make_staging_dir


@pytest.fixture(scope="module")
def semantic_clips(tmp_path_factory):
    """1-fps event clips (real SkillCorner events need kloppy's match: cached per test session)."""
    out = tmp_path_factory.mktemp("semantic") / "synth"
    generate_dataset(out, SynthConfig(clips=1, frames=2, seed=6, width=192, height=108, semantic_clips=3,
                                      semantic_frames=6), progress=False)
    return out


def command(data, output, steps=10, extra=()):
    return [sys.executable, "-m", "soccermaster_hf.cli.main", "train", str(data), "--output", str(output),
            "--max-steps", str(steps), "--checkpoint-every", "2", "--clip-length", "2", "--max-frame-size", "192",
            "--no-progress", *extra]


ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1")


@pytest.fixture(scope="module")
def built_clips(clips, tmp_path_factory):
    """The same clips as a dataset built by `soccermaster dataset build` (labels in Parquet, frames in the source)."""
    out = tmp_path_factory.mktemp("built") / "gsr"
    result = subprocess.run([sys.executable, "-m", "soccermaster_hf.cli.main", "dataset", "build", str(clips),
                             "--format", "gsr", "--out", str(out), "--clip-length", "2"],
                            env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["plain", "augment", "semantic", "dataset", "streaming", "streaming, 2 workers"])
def test_kill_and_resume_gives_the_same_weights(clips, semantic_clips, built_clips, tmp_path, mode):
    extra = {"plain": ("--no-augment",), "augment": (),
             "semantic": ("--no-augment", "--semantic", str(semantic_clips), "--semantic-frames", "3",
                          "--semantic-batch-size", "1"),
             "dataset": ("--media-root", str(clips)),
             "streaming": ("--media-root", str(clips), "--streaming"),
             "streaming, 2 workers": ("--media-root", str(clips), "--streaming", "--dataloader-num-workers", "2")}[mode]
    if mode.startswith(("dataset", "streaming")):
        clips = built_clips
    reference = subprocess.run(command(clips, tmp_path / "reference", extra=extra), env=ENV, capture_output=True,
                               text=True, timeout=600)
    assert reference.returncode == 0, reference.stderr[-2000:]

    run = tmp_path / "killed"
    process = subprocess.Popen(command(clips, run, extra=extra), env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (run / "checkpoint-0000002").exists():
        assert process.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (run / "final").exists()
    staging = make_staging_dir(run / "checkpoint-0000099")  # what a kill during a checkpoint write leaves behind
    (staging / "model.safetensors").write_bytes(b"partial")
    resumed = subprocess.run(command(clips, run, extra=extra), env=ENV, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from checkpoint-" in resumed.stdout + resumed.stderr
    assert not staging.exists()

    expected = load_file(tmp_path / "reference" / "final" / "model.safetensors")
    actual = load_file(run / "final" / "model.safetensors")
    assert expected.keys() == actual.keys()
    for name in expected:
        assert torch.equal(expected[name], actual[name]), name
    with open(run / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == list(range(1, 11))  # no duplicated or missing rows after the resume
    if mode == "semantic":
        assert all(row["loss_events"] not in ("", None) for row in rows)


@pytest.mark.slow
def test_built_dataset_trains_like_the_raw_folders(clips, built_clips, tmp_path):
    """Map-style training from the built dataset sees the same samples as from the raw folders: same weights."""
    raw = subprocess.run(command(clips, tmp_path / "raw", steps=3, extra=("--no-augment",)), env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert raw.returncode == 0, raw.stderr[-2000:]
    built = subprocess.run(command(built_clips, tmp_path / "built", steps=3,
                                   extra=("--no-augment", "--media-root", str(clips))),
                           env=ENV, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    expected = load_file(tmp_path / "raw" / "final" / "model.safetensors")
    actual = load_file(tmp_path / "built" / "final" / "model.safetensors")
    for name in expected:
        assert torch.equal(expected[name], actual[name]), name


def test_dataloader_workers_train_to_the_same_weights(clips, semantic_clips, tmp_path):
    """`--dataloader-num-workers 2` decodes and augments the spatial and semantic clips ahead in worker processes:
    the same weights as decoding in the training process."""
    runs = {}
    for workers in ("0", "2"):
        result = subprocess.run(command(clips, tmp_path / workers, steps=3, extra=(
            "--semantic", str(semantic_clips), "--semantic-frames", "3", "--semantic-batch-size", "1",
            "--dataloader-num-workers", workers)), env=ENV, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        runs[workers] = load_file(tmp_path / workers / "final" / "model.safetensors")
    for name, value in runs["0"].items():
        assert torch.equal(runs["2"][name], value), name


def test_gradient_checkpointing_trains_to_the_same_weights(clips, tmp_path):
    """`--gradient-checkpointing` recomputes the backbone's activations: the same weights as without it."""
    runs = {}
    for name, extra in (("plain", ()), ("checkpointed", ("--gradient-checkpointing",))):
        result = subprocess.run(command(clips, tmp_path / name, steps=2, extra=("--no-augment", *extra)), env=ENV,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        assert ("gradient checkpointing: 4 backbone layers" in result.stdout) == bool(extra), result.stdout[-2000:]
        runs[name] = load_file(tmp_path / name / "final" / "model.safetensors")
    assert runs["plain"].keys() == runs["checkpointed"].keys()
    for name, value in runs["plain"].items():
        torch.testing.assert_close(runs["checkpointed"][name], value, rtol=1e-5, atol=1e-7, msg=name)


def test_sampler():
    position = DataPosition(5, seed=1)
    first_epoch = [position.next()[0] for _ in range(5)]
    assert sorted(first_epoch) == list(range(5))
    saved = position.state_dict()
    following = [position.next() for _ in range(3)]
    restored = DataPosition(5, seed=1)
    restored.load_state_dict(saved)
    assert [restored.next() for _ in range(3)] == following
    assert following[0][1] == 1  # second epoch


def test_cli_reports_missing_data(tmp_path, capsys):
    from soccermaster_hf.cli.main import main

    assert main(["train", str(tmp_path / "nothing"), "--output", str(tmp_path / "run")]) == 1
    assert "no such folder" in capsys.readouterr().err


def test_push_to_hub_local_folder_with_model_card(clips, tmp_path):
    from transformers import AutoModelForPreTraining

    from soccermaster_hf.cli.main import main

    code = main(["train", str(clips), "--output", str(tmp_path / "run"), "--max-steps", "2", "--clip-length", "2",
                 "--max-frame-size", "192", "--no-augment", "--no-progress", "--push-to-hub", "me/soccermaster-tiny",
                 "--hub-local-dir", str(tmp_path / "hub")])
    assert code == 0
    published = tmp_path / "hub" / "me" / "soccermaster-tiny"
    card = (published / "README.md").read_text()
    assert "library_name: transformers" in card and "| loss |" in card and "2 steps" in card
    model = AutoModelForPreTraining.from_pretrained(published)
    assert type(model).__name__ == "SoccerMasterForPreTraining"


@pytest.mark.slow
def test_two_process_cpu_training_with_accelerate(clips, built_clips, tmp_path):
    """Data parallel on two CPU processes (torchrun + `ACCELERATE_USE_CPU`: Accelerate's gloo backend), streaming with
    a DataLoader worker each: both processes train (one stream position each in the checkpoint) and finish.
    (`accelerate launch --num_processes 2 --cpu` starts a single process with accelerate 1.x, hence torchrun.)"""
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m",
              "soccermaster_hf.cli.main", "train", str(built_clips), "--media-root", str(clips), "--streaming",
              "--output", str(tmp_path / "ddp"), "--max-steps", "2", "--clip-length", "2", "--max-frame-size", "192",
              "--no-progress", "--dataloader-num-workers", "1"]
    result = subprocess.run(launch, env=dict(ENV, ACCELERATE_USE_CPU="1"), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "ddp" / "final" / "model.safetensors").is_file()
    state = json.loads((tmp_path / "ddp" / "checkpoint-0000002" / "trainer_state.json").read_text())
    assert [(p["rank"], p["world_size"]) for p in state["data"]] == [(0, 2), (1, 2)]
    assert all(p["cursor"] == 2 for p in state["data"])  # each process drew its own 2 clips
    with open(tmp_path / "ddp" / "metrics.csv") as handle:
        assert [row["step"] for row in csv.DictReader(handle)] == ["1", "2"]


def test_learning_rate_follows_transformers_warmup_cosine(clips, tmp_path):
    """The loop's schedule is transformers' `get_cosine_schedule_with_warmup`: linear warm-up, cosine decay to 0."""
    import csv
    import math

    result = subprocess.run(command(clips, tmp_path / "run", steps=8, extra=("--warmup-steps", "4",
                                                                             "--learning-rate", "1e-3")),
                            env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.csv") as handle:
        rates = [float(row["lr_backbone"]) for row in csv.DictReader(handle)]
    expected = [1e-3 * (s / 4 if s < 4 else 0.5 * (1 + math.cos(math.pi * (s - 4) / 4))) for s in range(1, 9)]
    assert rates == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.slow
def test_alignment_trains_with_a_local_text_encoder(clips, semantic_clips, tmp_path):
    """`--text-encoder` (a SigLIP checkpoint; here a tiny one with an in-process tokenizer) trains the alignment head
    on the semantic clips' commentary; the final folder carries the frozen tower."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, SiglipConfig, SiglipModel

    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.train_from_iterator(["[PLAYER] [TEAM] the ball goes out of play corner goal kick throw-in shot"],
                                  trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>"]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>")
    siglip = SiglipModel(SiglipConfig(
        text_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                     "vocab_size": len(fast), "max_position_embeddings": 64},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8}))
    siglip.save_pretrained(tmp_path / "siglip")
    fast.save_pretrained(tmp_path / "siglip")
    run = subprocess.run(command(clips, tmp_path / "run", steps=2, extra=(
        "--no-augment", "--semantic", str(semantic_clips), "--semantic-frames", "3", "--semantic-batch-size", "2",
        "--text-encoder", str(tmp_path / "siglip"))), env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(tmp_path / "run" / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert all(row["loss_alignment"] not in ("", None) and float(row["loss_alignment"]) > 0 for row in rows)
    weights = load_file(tmp_path / "run" / "final" / "model.safetensors")
    text = {k: v for k, v in weights.items() if k.startswith("text_model.")}
    assert text, "the final folder lacks the text tower"
    reference = siglip.text_model.state_dict()
    name = next(k for k in text if k.endswith("embeddings.token_embedding.weight"))
    assert torch.equal(text[name], reference[name.removeprefix("text_model.")])  # frozen: unchanged
    # the tokenizer is saved beside the tower, and `analyze` scores zero-shot prompts with both on every window
    from transformers import AutoTokenizer

    from soccermaster_hf.analysis import analyze
    from soccermaster_hf.analysis.zero_shot import prompt_scorer
    from soccermaster_hf.modeling import SoccerMasterForGameStateReconstruction

    final = tmp_path / "run" / "final"
    assert AutoTokenizer.from_pretrained(final)("corner goal")["input_ids"] == fast("corner goal")["input_ids"]
    frames = next(clips.glob("SNGS-*")) / "img1"
    summary = analyze(str(frames), str(final), tmp_path / "analysis", threshold=0.0, progress=False,
                      tracker="hungarian", prompts=["corner", "goal kick", "throw-in"])
    events = json.loads((tmp_path / "analysis" / "events.json").read_text())
    assert events["prompts"] == ["corner", "goal kick", "throw-in"] and len(events["windows"]) == 1
    scores = events["windows"][0]["prompt_probabilities"]
    assert len(scores) == 3 and all(0.0 < p < 1.0 for p in scores)
    assert {e["label"] for e in events["zero_shot"]} == {"corner", "goal kick", "throw-in"}
    assert summary["zero_shot_top"][0]["confidence"] == pytest.approx(max(scores), abs=1e-6)
    # the same numbers as the alignment head on the window's F_sem: the scorer against the model's own logits
    model = SoccerMasterForGameStateReconstruction.from_pretrained(final).eval()
    scorer = prompt_scorer(model, AutoTokenizer.from_pretrained(final), ["corner", "goal kick", "throw-in"])
    pooled = torch.randn(1, 4, model.config.vision_config.hidden_size)
    video = torch.nn.functional.normalize(pooled.mean(1), dim=-1)
    direct = (video @ scorer.text_features.t() * model.logit_scale.exp() + model.logit_bias).sigmoid()[0]
    assert scorer(pooled) == pytest.approx(direct.tolist(), abs=1e-6)
    default = analyze(str(frames), str(final), tmp_path / "keywords", threshold=0.0, progress=False,
                      tracker="hungarian")  # a model with a tower scores the event keywords by default
    assert len(json.loads((tmp_path / "keywords" / "events.json").read_text())["prompts"]) == 23
    assert default["zero_shot_top"] is not None


def test_heads_only_event_head_trains_on_the_semantic_clips_alone(clips, semantic_clips, tmp_path):
    """`--train-heads events` without LoRA: the spatial batch has no trained head and is not run; only the event
    head changes."""
    base = tmp_path / "base"
    SoccerMasterForPreTraining(SoccerMasterConfig.from_preset("tiny", num_frames=2)).save_pretrained(base)
    code = main(["train", str(clips), "--output", str(tmp_path / "run"), "--init-from", str(base), "--train-heads",
                 "events", "--semantic", str(semantic_clips), "--semantic-frames", "3", "--semantic-batch-size", "2",
                 "--max-steps", "2", "--clip-length", "2", "--max-frame-size", "192", "--no-augment", "--no-progress",
                 "--learning-rate", "1e-2", "--log-every", "1"])
    assert code == 0
    original = load_file(base / "model.safetensors")
    tuned = load_file(tmp_path / "run" / "final" / "model.safetensors")
    changed = {name for name in original if not torch.equal(original[name], tuned[name])}
    assert changed and all(name.startswith("event_head.") for name in changed), sorted(changed)[:5]
    with open(tmp_path / "run" / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["step"] for row in rows] == ["1", "2"]
    assert all(float(row["loss_events"]) > 0 and row["loss_detection"] == "" for row in rows)


@pytest.mark.parametrize("native", [False, True])
def test_bf16_on_a_cpu_without_native_bfloat16_is_warned_about(clips, tmp_path, capsys, monkeypatch, native):
    from accelerate.state import AcceleratorState

    import soccermaster_hf.utils.hardware as hardware

    monkeypatch.setattr(hardware, "cpu_has_native_bfloat16", lambda: native)
    AcceleratorState._reset_state(reset_partial_state=True)  # in-process runs before this one set float32
    try:
        code = main(["train", str(clips), "--output", str(tmp_path / "run"), "--max-steps", "1", "--clip-length",
                     "2", "--max-frame-size", "192", "--no-augment", "--no-progress", "--mixed-precision", "bf16"])
    finally:
        AcceleratorState._reset_state(reset_partial_state=True)  # and the runs after it
    out = capsys.readouterr()
    assert code == 0, out.err
    assert ("without native bfloat16" in out.out + out.err) != native
