"""Fixtures of the datasets tests: one small SoccerSynth folder (procedural tracking: fast) and its builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """2 clips x 8 frames (192x108) with keypoints, cameras, SNMOT, calibration and event files, and 3 semantic
    1-fps clips of 6 frames."""
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    out = tmp_path_factory.mktemp("datasets-synth") / "synth"
    generate_dataset(out, SynthConfig(clips=2, frames=8, seed=1, width=192, height=108, tracking="procedural",
                                      semantic_clips=3, semantic_frames=6), progress=False)
    return out


@pytest.fixture(scope="session")
def built(synth_dir, tmp_path_factory) -> dict[str, Path]:
    """The SoccerSynth folder built with every --format (spatial records of 4 frames, small shards)."""
    from soccermaster_hf.datasets import DatasetBuildArguments, build_dataset

    root = tmp_path_factory.mktemp("datasets-built")
    folders = {}
    for name in ("gsr", "snmot", "calibration", "soccernet-v2", "matchtime", "unisoccer", "synth"):
        folders[name] = root / name
        build_dataset(DatasetBuildArguments(source=str(synth_dir), format=name, out=str(folders[name]), clip_length=4,
                                            max_shard_size="20KB", progress=False), log=None)
    return folders
