"""Malformed command lines and inputs of the CLIs, in-process: argparse errors, one-line errors naming the file,
refused output folders that keep every foreign file, no traceback, no hang."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import (
    assert_clear_error,
    assert_counted_skip,
    assert_usage_error,
    make_fifo,
    record,
    run_cli,
)

pytestmark = pytest.mark.timeout(120)

# ---------------------------------------------------------------------------------------------------------------
# numeric arguments: validated by the parser (exit code 2), never a ZeroDivision / IndexError later

TRAIN_BAD_ARGS = [
    ("--batch-size", "0"), ("--batch-size", "-1"), ("--batch-size", "two"), ("--checkpoint-every", "0"),
    ("--gradient-accumulation-steps", "0"), ("--max-steps", "0"), ("--clip-length", "0"),
    ("--learning-rate", "-1e-4"), ("--learning-rate", "nan"), ("--keep-checkpoints", "0"),
    ("--semantic-batch-size", "0"), ("--semantic-frames", "0"), ("--max-frame-size", "0"), ("--warmup-steps", "-1"),
    ("--max-grad-norm", "0"), ("--log-every", "0"), ("--preset", "huge"), ("--mixed-precision", "fp8"),
    ("--seed", "-3"), ("--weight-decay", "inf"),
]


@pytest.mark.parametrize(("option", "value"), TRAIN_BAD_ARGS)
def test_train_rejects_bad_numbers(option, value, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", tmp_path, "--output", tmp_path / "run", option, value)
    assert_usage_error(code, err, option)
    assert not (tmp_path / "run").exists()


ANALYZE_BAD_ARGS = [
    ("--max-frames", "0"), ("--max-frames", "-5"), ("--batch-size", "0"), ("--threshold", "-0.1"),
    ("--threshold", "1.5"), ("--threshold", "nan"), ("--precision", "fp64"), ("--seed", "-1"),
    ("--start", "-1"), ("--start", "nan"), ("--end", "-3"), ("--segment-seconds", "0"), ("--segment-seconds", "-1"),
    ("--spotting-stride", "0"), ("--spotting-stride", "inf"), ("--calibrate-every", "0"), ("--half", "3"),
    ("--half", "one"), ("--batch-size", "-2"), ("--end", "abc"), ("--shot-window", "0"), ("--shot-window", "-1"),
    ("--shot-window", "2.5"),
]


@pytest.mark.parametrize(("option", "value"), ANALYZE_BAD_ARGS)
def test_analyze_rejects_bad_numbers(option, value, tmp_path, capsys):
    code, _, err = run_cli(capsys, "analyze", tmp_path, "--out", tmp_path / "out", option, value)
    assert_usage_error(code, err, option)


OTHER_BAD_ARGS = [
    ("encode", "--frames", "0"), ("encode", "--repeats", "0"), ("encode", "--timestamp", "-1"),
    ("synth", "--clips", "0"), ("synth", "--frames", "0"), ("synth", "--size", "10x10"),
    ("synth", "--time-range", "5:1"), ("synth", "--semantic-clips", "-1"), ("calibrate", "--width", "1"),
    ("calibrate", "--absent-margin", "-2"),
]


TRACKING_BAD_ARGS = [("--max-steps", "0"), ("--learning-rate", "0"), ("--match-iou", "1.5"), ("--match-iou", "0"),
                     ("--max-frames", "1"), ("--batch-size", "0"), ("--checkpoint-every", "0"), ("--max-grad-norm", "0"),
                     ("--weight-decay", "-1")]


@pytest.mark.parametrize(("option", "value"), TRACKING_BAD_ARGS)
def test_train_tracking_rejects_bad_numbers(option, value, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train-tracking", tmp_path, "--output", tmp_path / "run", option, value)
    assert_usage_error(code, err, option)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("command", "option", "value"), OTHER_BAD_ARGS)
def test_other_commands_reject_bad_numbers(command, option, value, tmp_path, capsys):
    extra = ["--out", tmp_path / "out"] if command == "synth" else []
    code, _, err = run_cli(capsys, command, *extra, option, value)
    assert_usage_error(code, err, option)


# ---------------------------------------------------------------------------------------------------------------
# train: bad data, bad --model, refused outputs


def _clip_copy(gsr_clips: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(gsr_clips / "SNGS-001", target / "SNGS-001")
    return target


def _broken_labels(kind: str, data: Path) -> Path:
    labels = data / "SNGS-001" / "Labels-GameState.json"
    if kind == "truncated":
        labels.write_text(labels.read_text()[:100])
    elif kind == "images-not-a-list":
        document = json.loads(labels.read_text())
        document["images"] = {"0": document["images"][0]}
        labels.write_text(json.dumps(document))
    elif kind == "json-list":
        labels.write_text("[1, 2, 3]")
    elif kind == "width-wrong-type":
        document = json.loads(labels.read_text())
        document["images"][0]["width"] = "wide"
        labels.write_text(json.dumps(document))
    elif kind == "no-frames":
        shutil.rmtree(data / "SNGS-001" / "img1")
    elif kind == "corrupt-frames":
        for frame in (data / "SNGS-001" / "img1").iterdir():
            frame.write_bytes(b"not a jpeg")
    elif kind == "labels-is-a-folder":
        labels.unlink()
        labels.mkdir()
    return data


@pytest.mark.parametrize("kind", ["truncated", "images-not-a-list", "json-list", "no-frames", "corrupt-frames",
                                  "labels-is-a-folder"])
def test_train_tracking_data_that_yields_nothing(kind, gsr_clips, tmp_path, capsys):
    data = _broken_labels(kind, _clip_copy(gsr_clips, tmp_path))
    code, out, err = run_cli(capsys, "train-tracking", data, "--output", tmp_path / "run", "--max-steps", "1",
                             "--no-progress", "--init-from", tiny_detector(tmp_path))
    assert_clear_error(code, err, data, "no usable tracking clip")
    assert "skipped" in out


def tiny_detector(tmp_path: Path) -> Path:
    import torch

    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForObjectDetection

    torch.manual_seed(0)
    folder = tmp_path / "detector"
    SoccerMasterForObjectDetection(SoccerMasterConfig.from_preset("tiny")).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("kind", ["truncated", "images-not-a-list", "json-list", "width-wrong-type", "no-frames",
                                  "corrupt-frames", "labels-is-a-folder"])
def test_train_data_source_that_yields_nothing(kind, gsr_clips, tmp_path, capsys):
    data = _broken_labels(kind, _clip_copy(gsr_clips, tmp_path))
    code, _, err = run_cli(capsys, "train", data, "--output", tmp_path / "run", "--max-steps", "1", "--no-progress")
    assert_clear_error(code, err, data, "no usable SoccerNet-GSR clip")


def test_train_one_empty_source_among_good_ones_fails(gsr_clips, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, "train", gsr_clips, tmp_path / "empty", "--output", tmp_path / "run",
                           "--no-progress")
    assert_clear_error(code, err, tmp_path / "empty")


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_train_data_path_is_not_a_folder(kind, tmp_path, capsys):
    path = tmp_path / "data"
    if kind == "file":
        path.write_text("not a folder")
    code, _, err = run_cli(capsys, "train", path, "--output", tmp_path / "run", "--no-progress")
    assert_clear_error(code, err, path)


def _bad_model(kind: str, tiny_model_dir: Path, tmp_path: Path) -> Path:
    model = tmp_path / "model"
    if kind == "missing":
        return model
    if kind == "a-file":
        model.write_text("weights?")
        return model
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "config.json").read_text())
    if kind == "truncated-safetensors":
        weights = model / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    elif kind == "garbage-safetensors":
        (model / "model.safetensors").write_bytes(b"\x00" * 64)
    elif kind == "no-weights":
        (model / "model.safetensors").unlink()
    elif kind == "config-not-json":
        (model / "config.json").write_text("{ not json")
    elif kind == "config-a-list":
        (model / "config.json").write_text("[]")
    elif kind == "config-wrong-type":
        config["vision_config"]["hidden_size"] = "large"
        (model / "config.json").write_text(json.dumps(config))
    elif kind == "config-missing":
        (model / "config.json").unlink()
    return model


MODEL_KINDS = ["missing", "a-file", "truncated-safetensors", "garbage-safetensors", "no-weights", "config-not-json",
               "config-a-list", "config-wrong-type", "config-missing"]


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_train_bad_model_folder(kind, gsr_clips, tiny_model_dir, tmp_path, capsys):
    model = _bad_model(kind, tiny_model_dir, tmp_path)
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", tmp_path / "run", "--model", model,
                           "--max-steps", "1", "--clip-length", "2", "--no-progress", "--no-augment")
    assert_clear_error(code, err, model)


@pytest.mark.parametrize("kind", ["missing", "malformed", "not-a-list", "all-unreadable", "all-missing-videos"])
def test_train_bad_semantic_source(kind, gsr_clips, semantic_set, tmp_path, capsys):
    source = tmp_path / "semantic"
    shutil.copytree(semantic_set, source)
    listing = source / "events" / "classification.json"
    if kind == "missing":
        listing.unlink()
    elif kind == "malformed":
        listing.write_text('[{"video": ')
    elif kind == "not-a-list":
        listing.write_text('{"video": "a.mp4"}')
    elif kind == "all-unreadable":
        for video in (source / "semantic").iterdir():
            video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    elif kind == "all-missing-videos":
        shutil.rmtree(source / "semantic")
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", tmp_path / "run", "--semantic", source,
                           "--max-steps", "1", "--clip-length", "2", "--no-progress")
    assert_clear_error(code, err, listing)


@pytest.mark.parametrize("kind", ["output-is-source", "output-inside-source", "source-inside-output"])
def test_train_output_overlapping_the_data_is_refused(kind, gsr_clips, tmp_path, capsys):
    data = _clip_copy(gsr_clips, tmp_path)
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    output = {"output-is-source": data, "output-inside-source": data / "run",
              "source-inside-output": tmp_path}[kind]
    code, _, err = run_cli(capsys, "train", data, "--output", output, "--no-progress")
    assert_clear_error(code, err, output, "source")
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before


def test_train_foreign_output_folder_is_refused_and_kept(gsr_clips, tmp_path, capsys):
    output = tmp_path / "mine"
    output.mkdir()
    (output / "thesis.tex").write_text("years of work")
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", output, "--no-progress")
    assert_clear_error(code, err, output, "--overwrite")
    assert sorted(p.name for p in output.iterdir()) == ["thesis.tex"]


def test_train_output_is_a_file(gsr_clips, tmp_path, capsys):
    output = tmp_path / "run"
    output.write_text("a file")
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", output, "--no-progress")
    assert_clear_error(code, err, output, "not a folder")
    assert output.read_text() == "a file"


TRAIN = ["--clip-length", "2", "--max-frame-size", "128", "--no-progress", "--no-augment", "--checkpoint-every", "1"]


@pytest.fixture(scope="module")
def finished_run(gsr_clips, tmp_path_factory):
    """A 2-step run with a checkpoint per step (resume cases copy it)."""
    from soccermaster_hf.cli.main import main

    run = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", str(gsr_clips), "--output", str(run), "--max-steps", "2", *TRAIN]) == 0
    return run


def test_train_overwrite_keeps_foreign_files(gsr_clips, finished_run, tmp_path, capsys):
    output = tmp_path / "mine"
    output.mkdir()
    (output / "notes.txt").write_text("keep me")
    code, out, err = run_cli(capsys, "train", gsr_clips, "--output", output, "--max-steps", "1", "--overwrite",
                             *TRAIN)
    assert code == 0, err
    assert (output / "notes.txt").read_text() == "keep me" and (output / "final" / "model.safetensors").is_file()
    record("ok")


class Payload:
    """Unpickling this runs `touch <marker>` (what a malicious checkpoint would do)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _plant_pickle(checkpoint: Path, marker: Path, keep_safe_state: bool) -> None:
    import pickle

    if not keep_safe_state:
        for name in ("training_state.json", "training_state.safetensors"):
            (checkpoint / name).unlink()
    with open(checkpoint / "training_state.pt", "wb") as handle:
        pickle.dump({"optimizer": Payload(marker), "scheduler": {}, "torch_rng": None}, handle)


def test_planted_pickle_never_runs_legacy_state(gsr_clips, finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    marker = tmp_path / "pwned"
    checkpoint = sorted(run.glob("checkpoint-*"))[-1]
    _plant_pickle(checkpoint, marker, keep_safe_state=False)
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", run, "--max-steps", "3", *TRAIN)
    assert_clear_error(code, err, checkpoint / "training_state.pt", "refused")
    assert not marker.exists()


def test_planted_pickle_next_to_the_safe_state_is_ignored(gsr_clips, finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    marker = tmp_path / "pwned"
    _plant_pickle(sorted(run.glob("checkpoint-*"))[-1], marker, keep_safe_state=True)
    code, out, err = run_cli(capsys, "train", gsr_clips, "--output", run, "--max-steps", "3", *TRAIN)
    assert code == 0, err
    assert "resumed from checkpoint-0000002" in out + err and not marker.exists()
    record("ok")


@pytest.mark.parametrize("kind", ["truncated-state", "trainer-state-garbage", "trainer-state-wrong-type"])
def test_resume_from_a_damaged_checkpoint(kind, gsr_clips, finished_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    checkpoint = sorted(run.glob("checkpoint-*"))[-1]
    if kind == "truncated-state":
        broken = checkpoint / "training_state.safetensors"
        broken.write_bytes(broken.read_bytes()[:50])
    elif kind == "trainer-state-garbage":
        broken = checkpoint / "trainer_state.json"
        broken.write_text("{{{")
    else:
        broken = checkpoint / "trainer_state.json"
        broken.write_text(json.dumps({"step": "two", "data": []}))
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", run, "--max-steps", "3", *TRAIN)
    assert_clear_error(code, err, broken)


def test_stale_staging_folder_is_cleaned_and_foreign_checkpoint_kept(gsr_clips, finished_run, tmp_path, capsys):
    from soccermaster_hf.utils.io import make_staging_dir

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    staging = make_staging_dir(run / "checkpoint-0000009")
    (staging / "model.safetensors").write_bytes(b"half")
    foreign = run / "checkpoint-0000001" / "my-notes.txt"
    foreign.write_text("mine")
    code, _, err = run_cli(capsys, "train", gsr_clips, "--output", run, "--max-steps", "4", "--keep-checkpoints", "1",
                           *TRAIN)
    assert code == 0, err
    assert not staging.exists()
    # the old checkpoint was pruned, except the file the package did not write
    assert foreign.read_text() == "mine" and not (foreign.parent / "model.safetensors").exists()
    record("ok")


# ---------------------------------------------------------------------------------------------------------------
# analyze


def _frames(folder: Path, sizes=((72, 128), (72, 128))) -> Path:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, (height, width) in enumerate(sizes):
        cv2.imwrite(str(folder / f"{i:03d}.png"), rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    return folder


ANALYZE = ["--max-frames", "2", "--precision", "fp32"]


@pytest.mark.parametrize("kind", ["missing", "fifo", "corrupt-video", "empty-video", "empty-folder",
                                  "folder-of-fifos", "folder-of-corrupt-images", "zero-byte-image", "text-as-png"])
def test_analyze_bad_input(kind, tiny_model_dir, tmp_path, capsys):
    source = {"missing": tmp_path / "clip.mp4", "fifo": tmp_path / "b.png", "corrupt-video": tmp_path / "clip.mp4",
              "empty-video": tmp_path / "clip.mp4", "empty-folder": tmp_path / "frames",
              "folder-of-fifos": tmp_path / "frames", "folder-of-corrupt-images": tmp_path / "frames",
              "zero-byte-image": tmp_path / "a.png", "text-as-png": tmp_path / "a.png"}[kind]
    if kind == "fifo":
        make_fifo(source)
    elif kind == "corrupt-video":
        source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    elif kind in ("empty-video", "zero-byte-image"):
        source.write_bytes(b"")
    elif kind == "text-as-png":
        source.write_text("hello")
    elif kind.startswith("empty-folder") or kind.startswith("folder"):
        source.mkdir()
        for name in ("a.png", "b.jpg"):
            if kind == "folder-of-fifos":
                make_fifo(source / name)
            elif kind == "folder-of-corrupt-images":
                (source / name).write_bytes(b"\x89PNG garbage")
    code, _, err = run_cli(capsys, "analyze", source, "--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE)
    assert_clear_error(code, err, source)


def test_analyze_skips_and_counts_a_fifo_in_the_folder(tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames")
    make_fifo(frames / "b.png")
    code, out, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE)
    assert code == 0, err
    assert_counted_skip(out + err, "not_a_regular_file", frames / "b.png")


def test_analyze_skips_and_counts_a_corrupt_image(tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames")
    (frames / "000b.png").write_bytes(b"\x89PNG broken")
    code, out, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE)
    assert code == 0, err
    assert_counted_skip(out + err, "unreadable_image", frames / "000b.png")


def test_analyze_keeps_per_frame_sizes(tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames", sizes=((72, 128), (36, 48)))
    code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out",
                           "--threshold", "0", "--tracker", "hungarian", *ANALYZE)
    assert code == 0, err
    rows = [line.split(",") for line in (tmp_path / "out" / "SNMOT-001.txt").read_text().splitlines()]
    small = [[float(v) for v in row[2:6]] for row in rows if row[0] == "2"]  # SNMOT: frame, id, x, y, w, h, ...
    assert small, "the untrained model gives boxes at threshold 0"
    for x, y, w, h in small:  # mapped with the second frame's own size (48x36), not the first frame's (128x72)
        assert x + w <= 48 + 1e-2 and y + h <= 36 + 1e-2
    record("ok")


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_analyze_bad_model_folder(kind, tiny_model_dir, tmp_path, capsys):
    model = _bad_model(kind, tiny_model_dir, tmp_path)
    code, _, err = run_cli(capsys, "analyze", _frames(tmp_path / "frames"), "--model", model, "--out",
                           tmp_path / "out", *ANALYZE)
    assert_clear_error(code, err, model)


@pytest.mark.parametrize("kind", ["out-is-input", "out-inside-input", "foreign-out", "out-is-a-file",
                                  "out-of-another-command"])
def test_analyze_refused_outputs_keep_every_file(kind, tiny_model_dir, tmp_path, capsys):
    from soccermaster_hf.utils.io import prepare_output_dir

    frames = _frames(tmp_path / "frames")
    out = {"out-is-input": frames, "out-inside-input": frames / "out", "foreign-out": tmp_path / "foreign",
           "out-is-a-file": tmp_path / "file", "out-of-another-command": tmp_path / "synth-out"}[kind]
    if kind == "foreign-out":
        out.mkdir()
        (out / "predictions.json").write_text("my own predictions")
    elif kind == "out-is-a-file":
        out.write_text("x")
    elif kind == "out-of-another-command":
        prepare_output_dir(out, "synth")
        (out / "README.md").write_text("dataset")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", out, *ANALYZE)
    assert_clear_error(code, err, out)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("kind", ["start-after-end", "start-beyond-input", "end-equals-start"])
def test_analyze_empty_time_range(kind, tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames")  # 2 frames at 25 fps: 0.08 s
    times = {"start-after-end": ["--start", "0.05", "--end", "0.01"], "start-beyond-input": ["--start", "5"],
             "end-equals-start": ["--start", "0.04", "--end", "0.04"]}[kind]
    code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out",
                           "--precision", "fp32", *times)
    assert_clear_error(code, err)
    assert not (tmp_path / "out").exists()


def test_analyze_resume_with_other_settings_is_refused(tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames")
    code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE)
    assert code == 0, err
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE,
                           "--threshold", "0.9", "--resume")
    assert_clear_error(code, err, tmp_path / "out")
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("kind", ["damaged-run-state", "damaged-segment-commit", "missing-segment-rows"])
def test_analyze_resume_from_damaged_state(kind, tiny_model_dir, tmp_path, capsys):
    """A damaged state folder of our own: a clean start (run state) or a clear line (segment files), never a
    traceback."""
    frames = _frames(tmp_path / "frames")
    options = ["--model", tiny_model_dir, "--out", tmp_path / "out", *ANALYZE]
    code, _, err = run_cli(capsys, "analyze", frames, *options)
    assert code == 0, err
    state = tmp_path / "out" / ".analysis"
    if kind == "damaged-run-state":
        (state / "run.json").write_text("{not json")
    elif kind == "damaged-segment-commit":
        (state / "run.json").write_text((state / "run.json").read_text().replace('"complete": true', '"complete": false'))
        (state / "00000.done.json").write_text("[1, 2")
    else:
        (state / "run.json").write_text((state / "run.json").read_text().replace('"complete": true', '"complete": false'))
        (state / "00000.rows.jsonl").unlink()
    code, out, err = run_cli(capsys, "analyze", frames, *options, "--resume")
    if code == 0:
        assert (tmp_path / "out" / "summary.json").is_file()
        record("ok")
    else:
        assert_clear_error(code, err)


@pytest.mark.parametrize("kind", ["list-of-missing-files", "binary-list", "list-naming-a-fifo", "folder-one-corrupt"])
def test_analyze_batch_bad_inputs(kind, tiny_model_dir, tmp_path, capsys):
    import cv2

    folder = tmp_path / "inputs"
    folder.mkdir()
    good = folder / "good.mp4"
    writer = cv2.VideoWriter(str(good), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 36))
    for _ in range(3):
        writer.write(np.random.default_rng(0).integers(0, 255, (36, 64, 3), dtype=np.uint8))
    writer.release()
    if kind == "list-of-missing-files":
        source = tmp_path / "list.txt"
        source.write_text("inputs/good.mp4\nnowhere/a.mp4\nnowhere/b.mp4\n")
    elif kind == "binary-list":
        source = tmp_path / "list.txt"
        source.write_bytes(bytes(range(256)))
    elif kind == "list-naming-a-fifo":
        make_fifo(folder / "pipe.mp4")
        source = tmp_path / "list.txt"
        source.write_text("inputs/pipe.mp4\ninputs/good.mp4\n")
    else:
        (folder / "bad.mp4").write_bytes(b"\x00" * 500)
        source = folder
    code, out, err = run_cli(capsys, "analyze", source, "--model", tiny_model_dir, "--out", tmp_path / "out",
                             "--precision", "fp32", "--tracker", "hungarian")
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines, err
    if kind != "binary-list":  # the good input still ran, the bad ones were counted
        assert (tmp_path / "out" / "good" / "summary.json").is_file()
        assert "failed" in out
    record("skip" if kind != "binary-list" else "error")


def test_analyze_twice_into_its_own_output(tiny_model_dir, tmp_path, capsys):
    frames = _frames(tmp_path / "frames")
    for _ in range(2):
        code, _, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out",
                               *ANALYZE)
        assert code == 0, err
    record("ok")


# ---------------------------------------------------------------------------------------------------------------
# encode, synth, convert, init-from-siglip


@pytest.mark.parametrize("kind", ["missing", "truncated-safetensors", "config-wrong-type"])
def test_encode_bad_model(kind, tiny_model_dir, tmp_path, capsys):
    from soccermaster_hf.modeling import SoccerMasterForPreTraining
    from soccermaster_hf.utils.io import save_pretrained_atomic

    backbone = tmp_path / "backbone"
    save_pretrained_atomic(SoccerMasterForPreTraining.from_pretrained(tiny_model_dir).vision_model, backbone)
    if kind == "missing":
        shutil.rmtree(backbone)
    elif kind == "truncated-safetensors":
        weights = backbone / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:200])
    else:
        config = json.loads((backbone / "config.json").read_text())
        config["num_hidden_layers"] = "three"
        (backbone / "config.json").write_text(json.dumps(config))
    code, _, err = run_cli(capsys, "encode", "--demo", "--model", backbone, "--repeats", "1")
    assert_clear_error(code, err, backbone)


@pytest.mark.parametrize("kind", ["foreign", "file", "tracking-is-output"])
def test_synth_refused_outputs(kind, tmp_path, capsys):
    out = tmp_path / "out"
    tracking = "procedural"
    if kind == "foreign":
        out.mkdir()
        (out / "SNGS-001").mkdir()
        (out / "SNGS-001" / "holiday.jpg").write_bytes(b"photo")
    elif kind == "file":
        out.write_text("x")
    else:
        out.mkdir()
        tracking = str(out / "tracks.npz")
        (out / "tracks.npz").write_bytes(b"npz")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = run_cli(capsys, "synth", "--out", out, "--clips", "1", "--frames", "1", "--tracking", tracking)
    assert_clear_error(code, err, out)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("kind", ["output-is-source", "foreign-output"])
def test_convert_refused_outputs(kind, tmp_path, capsys):
    release = tmp_path / "release"
    release.mkdir()
    (release / "backbone.pt").write_bytes(b"authors' weights")
    output = release if kind == "output-is-source" else tmp_path / "foreign"
    if kind == "foreign-output":
        output.mkdir()
        (output / "backbone").mkdir()
        (output / "backbone" / "config.json").write_text("{}")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    for flags in ([], ["--overwrite"]) if kind == "output-is-source" else ([],):
        code, _, err = run_cli(capsys, "convert", release, "--output", output, *flags)
        assert_clear_error(code, err, output)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_from_siglip_output_is_source(tmp_path, capsys):
    source = tmp_path / "siglip"
    source.mkdir()
    (source / "config.json").write_text("{}")
    code, _, err = run_cli(capsys, "init-from-siglip", source, "--output", source, "--local-files-only",
                           "--overwrite")
    assert_clear_error(code, err, source)
    assert (source / "config.json").read_text() == "{}"


def test_debug_flag_reraises(tmp_path):
    from soccermaster_hf.cli.main import main

    with pytest.raises(FileNotFoundError):
        main(["--debug", "train", str(tmp_path / "missing"), "--output", str(tmp_path / "run")])
    record("error")


@pytest.mark.parametrize("kind", ["nan-npy", "fifo", "truncated-png"])
def test_encode_bad_image(kind, tmp_path, capsys):
    path = tmp_path / ("frame.npy" if kind == "nan-npy" else "b.png")
    if kind == "nan-npy":
        np.save(path, np.full((8, 8, 3), np.nan, np.float32))
    elif kind == "fifo":
        make_fifo(path)
    else:
        import cv2

        cv2.imwrite(str(path), np.zeros((16, 16, 3), np.uint8))
        path.write_bytes(path.read_bytes()[:40])
    code, _, err = run_cli(capsys, "encode", path, "--repeats", "1")
    assert_clear_error(code, err, path)


# ---------------------------------------------------------------------------------------------------------------
# calibrate: annotations that parse but contradict themselves


def _geometry_synth():
    """``tests/geometry/geometry_synth.py`` (synthetic cameras and their exact annotations)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "geometry"))
    import geometry_synth

    return geometry_synth.broadcast_camera, geometry_synth.synthetic_annotation


def _contradicting_annotations(tmp_path: Path, kind: str) -> Path:
    """A folder of SoccerNet annotations of one synthetic camera, made self-contradictory in one way."""
    broadcast_camera, synthetic_annotation = _geometry_synth()
    folder = tmp_path / "annotations"
    folder.mkdir()
    good = synthetic_annotation(broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0))
    names = list(good)
    if kind == "labels-shuffled":
        rng = np.random.default_rng(1)
        bad = {names[i]: good[n] for i, n in zip(rng.permutation(len(names)), names)}
    elif kind == "all-on-one-label":
        bad = {"Side line top": [p for v in good.values() for p in v]}
    elif kind == "every-line-shifted-differently":
        bad = {n: [{"x": p["x"] + 0.05 * i, "y": p["y"] - 0.04 * i} for p in v] for i, (n, v) in enumerate(good.items())}
    else:  # "points-collapsed": every point of every class at one pixel
        bad = {n: [{"x": 0.5, "y": 0.5} for _ in v] for n, v in good.items()}
    (folder / "000001.json").write_text(json.dumps(bad))
    return folder


@pytest.mark.parametrize("kind", ["labels-shuffled", "all-on-one-label", "every-line-shifted-differently",
                                  "points-collapsed"])
def test_calibrate_contradicting_annotations_fail_clearly(kind, tmp_path, capsys):
    folder = _contradicting_annotations(tmp_path, kind)
    out = tmp_path / "out"
    code, printed, err = run_cli(capsys, "calibrate", "--annotations", folder, "--output", out, "--quiet")
    if code == 0:  # a consistent explanation was found: then the camera must fit what it kept
        camera = json.loads((out / "camera_000001.json").read_text())
        assert all(np.isfinite(v) for v in camera.values() if isinstance(v, float)), camera
        record("ok")
        return
    assert_clear_error(code, err, folder, "calibration_failures.json")
    assert "no camera for 000001" in printed
    failures = json.loads((out / "calibration_failures.json").read_text())
    assert list(failures) == ["000001"]


def test_calibrate_counts_contradicting_frames_among_good_ones(tmp_path, capsys):
    folder = _contradicting_annotations(tmp_path, "labels-shuffled")
    broadcast_camera, synthetic_annotation = _geometry_synth()

    (folder / "000002.json").write_text(json.dumps(synthetic_annotation(broadcast_camera(x=3.0, target=(0.0, -8.0),
                                                                                      focal=1300.0))))
    out = tmp_path / "out"
    code, printed, err = run_cli(capsys, "calibrate", "--annotations", folder, "--output", out, "--quiet")
    assert code == 0 and "Traceback" not in err
    assert_counted_skip(printed, "calibrated 1/2 frames", "no camera for 000001")
    assert (out / "camera_000002.json").is_file() and not (out / "camera_000001.json").exists()
