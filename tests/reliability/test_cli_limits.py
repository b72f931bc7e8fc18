"""Malformed inputs found by the campaign of 2026-12-08 (300 cases over every command): inputs too large, too deep,
too small or of the wrong type, each a one-line error naming the file or option, or a counted skip; never a
traceback, never exit 0 on an input that was silently misread."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import assert_clear_error, assert_counted_skip, assert_usage_error, run_cli

pytestmark = pytest.mark.timeout(120)


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# ---------------------------------------------------------------------------------------------------------------
# JSON and numbers past what a parser or a float takes


@pytest.mark.parametrize("kind", ["nested-field", "nested-document", "huge-integer", "binary"])
def test_synth_league_file_beyond_limits(kind, tmp_path, capsys):
    style = tmp_path / "league.json"
    if kind == "nested-field":  # parses, then a field 900 lists deep
        style.write_text('{"name": "x", "board_palette": ' + _nested(900) + "}")
    elif kind == "nested-document":  # deeper than the JSON parser recurses
        style.write_text('{"name": "x", "board_palette": ' + _nested(sys.getrecursionlimit() * 20) + "}")
    elif kind == "huge-integer":
        style.write_text('{"name": "x", "mowing_bands": ' + "9" * 5000 + "}")
    else:
        style.write_bytes(bytes(range(256)))
    code, _, err = run_cli(capsys, "synth", "--out", tmp_path / "out", "--clips", "1", "--frames", "2", "--size",
                           "160x90", "--tracking", "procedural", "--league", style)
    assert_clear_error(code, err, style)
    assert not (tmp_path / "out").exists()


def test_synth_size_beyond_memory_is_a_usage_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "synth", "--out", tmp_path / "out", "--size", "99999999x99999999")
    assert_usage_error(code, err, "--size")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["huge-integer", "binary", "latin-1", "nested"])
def test_calibrate_counts_an_unreadable_annotation(kind, tmp_path, capsys):
    folder = tmp_path / "annotations"
    folder.mkdir()
    bad = folder / "a.json"
    if kind == "huge-integer":  # a float() overflow was a traceback
        bad.write_text('{"Circle central": [{"x": 1' + "0" * 400 + ', "y": 0.5}]}')
    elif kind == "binary":  # a UnicodeDecodeError ended the run without naming the file
        bad.write_bytes(bytes(range(256)))
    elif kind == "latin-1":
        bad.write_bytes('{"Circle central": [{"x": 0.5, "y": 0.5}], "Côté": []}'.encode("latin-1"))
    else:
        bad.write_text('{"Circle central": ' + _nested(sys.getrecursionlimit() * 20) + "}")
    code, printed, err = run_cli(capsys, "calibrate", "--annotations", folder, "--output", tmp_path / "out", "--quiet")
    assert_clear_error(code, err, folder)
    assert_counted_skip(printed, "calibrated 0/1 frames", "no camera for a", bad)


# ---------------------------------------------------------------------------------------------------------------
# eval-commentary: only text is scored, and ragged or unreadable CSVs are errors naming the file and line


@pytest.mark.parametrize(("kind", "content", "message"), [
    ("null-reference", [{"reference": None, "prediction": "a goal"}], "'reference' must be non-empty text"),
    ("number-reference", [{"reference": 3.5, "prediction": "a goal"}], "got 3.5"),
    ("list-reference", [{"reference": ["a", "goal"], "prediction": "a goal"}], "must be non-empty text"),
    ("empty-reference", [{"reference": "", "prediction": ""}], "must be non-empty text"),
    ("number-prediction", [{"reference": "a goal", "prediction": 7}], "'prediction' must be text"),
])
def test_eval_commentary_scores_text_only(kind, content, message, tmp_path, capsys):
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps(content))
    code, _, err = run_cli(capsys, "eval-commentary", path, "--no-meteor")
    assert_clear_error(code, err, path, message)


@pytest.mark.parametrize(("kind", "message"), [("ragged", "line 3 has fewer cells"), ("extra", "line 2 has more cells"),
                                               ("latin-1", "not UTF-8"), ("huge-field", "not a readable CSV"),
                                               ("nested-json", "nested too deeply")])
def test_eval_commentary_unreadable_files(kind, message, tmp_path, capsys):
    path = tmp_path / ("p.json" if kind == "nested-json" else "p.csv")
    header = "anonymized,predicted_res_0\n"
    if kind == "ragged":  # the row without a prediction was scored as an empty one
        path.write_text(header + "a goal,a goal\na save\n")
    elif kind == "extra":
        path.write_text(header + "a goal,a goal,surplus\n")
    elif kind == "latin-1":
        path.write_bytes((header + "but de la tête,but\n").encode("latin-1"))
    elif kind == "huge-field":
        path.write_text(header + "a goal," + "x" * 200_000 + "\n")
    else:
        path.write_text(_nested(sys.getrecursionlimit() * 20))
    code, _, err = run_cli(capsys, "eval-commentary", path, "--no-meteor")
    assert_clear_error(code, err, path, message)


def test_eval_commentary_output_folder_and_one_meteor_note(tmp_path, capsys):
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps([{"reference": "a goal by the striker", "prediction": "a goal"}]))
    folder = tmp_path / "scores"
    folder.mkdir()
    code, _, err = run_cli(capsys, "eval-commentary", path, "--no-meteor", "--output", folder)
    assert_clear_error(code, err, folder, "is a folder")
    assert list(folder.iterdir()) == []
    code, printed, err = run_cli(capsys, "eval-commentary", path, "--no-meteor")
    assert code == 0 and "BLEU-1" in printed and err.count("METEOR skipped") == 1, err


# ---------------------------------------------------------------------------------------------------------------
# training options checked before a model is loaded; short clips counted


@pytest.mark.parametrize(("overrides", "message"), [('{"num_layers": -1}', "num_layers must be >= 1"),
                                                     ('{"bogus_key": 1}', "unknown field(s) 'bogus_key'"),
                                                     ('{"num_layers": "x"}', "tracking_config:"),
                                                     ("[1]", "a JSON object")])
def test_train_tracking_config_overrides(overrides, message, gsr_clips, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train-tracking", gsr_clips, "--output", tmp_path / "run", "--no-progress",
                           "--max-steps", "1", "--tracking-config", overrides)
    assert_clear_error(code, err, "tracking_config", message)
    assert not (tmp_path / "run").exists()


def test_train_counts_clips_shorter_than_the_clip_length(gsr_clips, tmp_path, capsys):
    code, printed, err = run_cli(capsys, "train", gsr_clips, "--output", tmp_path / "run", "--no-progress",
                                 "--max-steps", "1", "--clip-length", "50")
    assert code == 0, err
    assert_counted_skip(printed + err, "shorter_than_clip_length", "clip_length 50")


def test_convert_bad_config_overrides_name_the_option(tmp_path, capsys):
    source = tmp_path / "backbone.pth"
    source.write_bytes(b"not a checkpoint")
    code, _, err = run_cli(capsys, "convert", source, "--output", tmp_path / "out", "--config-overrides", "{bad")
    assert_clear_error(code, err, "--config-overrides")


# ---------------------------------------------------------------------------------------------------------------
# images: too small to analyse, OpenCV's own log lines, a batch list's messages


def test_analyze_refuses_an_image_too_small(tiny_model_dir, tmp_path, capsys):
    import cv2

    image = tmp_path / "dot.png"
    cv2.imwrite(str(image), np.zeros((1, 1, 3), np.uint8))  # reached the overlay writer: a traceback
    code, _, err = run_cli(capsys, "analyze", image, "--model", tiny_model_dir, "--out", tmp_path / "out",
                           "--max-frames", "1", "--precision", "fp32")
    assert_clear_error(code, err, image, "too small")


def test_analyze_skips_and_counts_a_tiny_image_in_a_folder(tiny_model_dir, tmp_path, capsys):
    import cv2

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), np.full((72, 128, 3), 90, np.uint8))
    cv2.imwrite(str(frames / "b.png"), np.zeros((4, 4, 3), np.uint8))
    code, printed, err = run_cli(capsys, "analyze", frames, "--model", tiny_model_dir, "--out", tmp_path / "out",
                                 "--max-frames", "2", "--precision", "fp32")
    assert code == 0, err
    assert_counted_skip(printed + err, "too_small_image", frames / "b.png")


def test_a_corrupt_png_gives_our_line_only(tmp_path, capfd):
    """OpenCV's decoder printed its own [ WARN ] / [ERROR] lines (on the C stream) before ours."""
    from soccermaster_hf.cli.main import main

    path = tmp_path / "b.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDX" + bytes(64))
    code = main(["encode", str(path), "--repeats", "1"])
    err = capfd.readouterr().err
    assert_clear_error(code, err, path)


def test_analyze_batch_names_each_missing_input_once(tiny_model_dir, tmp_path, capsys):
    listing = tmp_path / "list.txt"
    listing.write_text("missing1.mp4\nmissing2.mp4\n")
    code, _, err = run_cli(capsys, "analyze", listing, "--model", tiny_model_dir, "--out", tmp_path / "out",
                           "--precision", "fp32")
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 2 and "Traceback" not in err
    for name, line in zip(("missing1.mp4", "missing2.mp4"), lines):
        assert line.count(str(tmp_path / name)) == 1, line


def test_encode_save_into_a_folder_names_it(tmp_path, capsys):
    folder = tmp_path / "features"
    folder.mkdir()
    code, _, err = run_cli(capsys, "encode", "--demo", "--save", folder, "--repeats", "1")
    assert_clear_error(code, err, folder, "is a folder")
    assert list(folder.iterdir()) == []
    assert not any(Path(tmp_path).glob(".features*"))


@pytest.mark.parametrize("kind", ["empty-folder", "missing-folder"])
def test_train_commentary_text_model_that_is_not_one_names_it(kind, gsr_clips, tmp_path, capsys):
    """transformers' own messages ("Couldn't instantiate the backend tokenizer", "Repo id must be in the form") did
    not say which option or folder was at fault."""
    text_model = tmp_path / "language-model"
    if kind == "empty-folder":
        text_model.mkdir()
    code, _, err = run_cli(capsys, "train-commentary", gsr_clips, "--text-model", text_model, "--output",
                           tmp_path / "run")
    assert_clear_error(code, err, text_model)
    assert not (tmp_path / "run").exists()  # the folder it made goes again: no checkpoint, no lone marker


# ---------------------------------------------------------------------------------------------------------------
# train-reid and analyze --reid-model (re-identification, 2026-12-08)

REID_BAD_ARGS = [("--max-steps", "0"), ("--learning-rate", "0"), ("--identities-per-batch", "1"),
                 ("--crops-per-identity", "1"), ("--frame-stride", "0"), ("--box-jitter", "0.9"),
                 ("--min-box-height", "0"), ("--copies", "0")]


@pytest.mark.parametrize(("option", "value"), REID_BAD_ARGS)
def test_train_reid_rejects_bad_numbers(option, value, tmp_path, capsys):
    code, _, err = run_cli(capsys, "train-reid", tmp_path, "--output", tmp_path / "run", option, value)
    assert_usage_error(code, err, option)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("kind", ["missing", "a-file", "no-clips", "bad-config", "unknown-field", "corrupt-frames"])
def test_train_reid_bad_input_is_one_line(kind, gsr_clips, tmp_path, capsys):
    import shutil

    data, extra, expected = tmp_path / "data", [], []
    if kind == "missing":
        expected = [data, "no such folder"]
    elif kind == "a-file":
        data.write_text("x")
        expected = [data, "not a file"]
    elif kind == "no-clips":
        data.mkdir()
        expected = [data, "no SoccerNet-GSR clip"]
    else:
        shutil.copytree(gsr_clips / "SNGS-001", data / "SNGS-001")
        if kind == "bad-config":
            extra, expected = ["--reid-config", '{"crop_height": 1}'], ["reid_config", "crop_height"]
        elif kind == "unknown-field":
            extra, expected = ["--reid-config", '{"colour": 1}'], ["reid_config", "colour"]
        else:
            for frame in (data / "SNGS-001" / "img1").iterdir():
                frame.write_bytes(b"not a jpeg")
            expected = [data, "no usable clip"]
    code, out, err = run_cli(capsys, "train-reid", data, "--output", tmp_path / "run", "--max-steps", "1",
                             "--no-progress", "--min-box-height", "2", *extra)
    assert_clear_error(code, err, *expected)
    if kind == "corrupt-frames":
        assert "unreadable image" in out or "skipped" in out
    assert not (tmp_path / "run" / "final").exists()


@pytest.mark.parametrize("kind", ["missing", "empty-folder", "a-detector"])
def test_analyze_reid_model_that_is_not_one(kind, tmp_path, capsys):
    import torch

    folder = tmp_path / "reid"
    if kind == "empty-folder":
        folder.mkdir()
    elif kind == "a-detector":
        from soccermaster_hf import SoccerMasterConfig, SoccerMasterForObjectDetection

        torch.manual_seed(0)
        SoccerMasterForObjectDetection(SoccerMasterConfig.from_preset("tiny")).save_pretrained(folder)
    code, _, err = run_cli(capsys, "analyze", "--demo", "--max-frames", "2", "--out", tmp_path / "out",
                           "--reid-model", folder)
    assert_clear_error(code, err, folder)


def test_train_reid_init_from_that_is_not_a_network_leaves_no_folder(gsr_clips, tmp_path, capsys):
    folder = tmp_path / "not-a-network"
    folder.mkdir()
    code, _, err = run_cli(capsys, "train-reid", gsr_clips, "--output", tmp_path / "run", "--init-from", folder,
                           "--no-progress")
    assert_clear_error(code, err, folder)
    assert not (tmp_path / "run").exists()
