"""``benchmarks/real_frames.py``: the on-pitch rule (grass under the feet) and the script's table and errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "real_frames.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("real_frames_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def broadcast_like() -> np.ndarray:
    """RGB 320x180: grey stands above y=60, a saturated green board (another hue) at y=50-60, grass below with a
    white line."""
    frame = np.full((180, 320, 3), 120, np.uint8)
    grass = cv2.cvtColor(np.uint8([[[43, 170, 180]]]), cv2.COLOR_HSV2RGB)[0, 0]
    board = cv2.cvtColor(np.uint8([[[72, 200, 200]]]), cv2.COLOR_HSV2RGB)[0, 0]
    frame[60:] = grass
    frame[50:60, 100:220] = board
    frame[120:123, :] = 255
    return frame


def test_grass_mask_is_the_pitch_not_the_board(bench):
    mask = bench.grass_mask(broadcast_like())
    assert mask[100:, :].mean() > 0.98  # the pitch, its white line closed over
    assert not mask[:50].any() and not mask[52:58, 110:210].any()  # stands and the green board


def test_on_pitch_by_the_feet(bench):
    mask = bench.grass_mask(broadcast_like())
    assert bench.on_pitch(np.array([150.0, 90.0, 160.0, 120.0]), mask, 0.4)  # feet on the grass (on the line too)
    assert not bench.on_pitch(np.array([20.0, 10.0, 30.0, 40.0]), mask, 0.4)  # in the stands
    assert not bench.on_pitch(np.array([150.0, 25.0, 160.0, 55.0]), mask, 0.4)  # standing on the green board
    assert not bench.grass_mask(np.zeros((20, 20, 3), np.uint8)).any()


def test_script_prints_counts_and_writes_overlays(bench, tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), broadcast_like()[..., ::-1])
    (frames / "broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    assert bench.main(["--frames", str(frames), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if "a.png" in line).split()
    detections, inside, outside = (int(v) for v in row[-3:])
    assert detections == inside + outside
    assert "skipped" in captured.err and "broken.png" in captured.err
    image = cv2.imread(str(out / "a_0.png"))
    assert image is not None and image.shape == (180, 320, 3)


def test_script_errors_are_one_line(bench, tmp_path, capsys):
    assert bench.main(["--frames", str(tmp_path / "missing")]) == 1
    assert "missing: no such folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.png"), broadcast_like()[..., ::-1])
    assert bench.main(["--frames", str(frames), "--out", str(tmp_path / "file")]) == 1
    assert "is a file" in capsys.readouterr().err
    assert bench.main(["--frames", str(tmp_path / "file")]) == 1
    assert "file: is a file; expected a folder of frames" in capsys.readouterr().err
    assert bench.main(["--frames", str(frames), "--model", str(tmp_path / "nothing")]) == 1
    assert capsys.readouterr().err.startswith("error: ")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert bench.main(["--frames", str(empty)]) == 1
    assert "no readable frames" in capsys.readouterr().err
