"""Helpers of the malformed-input suite (see conftest.py): outcome counts, CLI runs, assertions, small files."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

OUTCOMES: Counter = Counter()


def record(outcome: str) -> None:
    assert outcome in ("ok", "error", "skip"), outcome
    OUTCOMES[outcome] += 1


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    from soccermaster_hf.cli.main import main

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_clear_error(code: int, err: str, *names: object) -> None:
    """Exit code 1, exactly one non-empty stderr line, ``error: `` + every name in it, no traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip() and "it/s]" not in line and "%|" not in line]
    assert code == 1, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for name in names:
        assert str(name) in lines[0], (name, err)
    if os.environ.get("RELIABILITY_SHOW"):  # RELIABILITY_SHOW=1 pytest -s: print every message for review
        print(f"\n[clear error] {lines[0]}", file=sys.__stderr__)
    record("error")


def assert_usage_error(code: int, err: str, option: str) -> None:
    """An argparse error (exit code 2) that names the option."""
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    last = err.strip().splitlines()[-1]
    assert "error:" in last and option in last, err
    record("error")


def write_video(path: Path, frames: int = 4, size: tuple[int, int] = (64, 48), fps: int = 1) -> Path:
    """A small H.264 clip (even sizes)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def copy_tree(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target


def make_fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(path)
    return path



def assert_counted_skip(text: str, kind: str, *names: object) -> None:
    """The printed report counts `kind` and names every one of `names`."""
    assert "Traceback" not in text, text
    assert kind in text, text
    for name in names:
        assert str(name) in text, (name, text)
    record("skip")
