"""Tracker benchmark plumbing (tiny untrained model) and the attribute diagnostics against ground truth."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from soccermaster_hf.evaluation.tracking_attributes import attribute_accuracy, tracks_per_athlete
from soccermaster_hf.evaluation.tracking_ground_truth import ground_truth_frames


@pytest.fixture(scope="module")
def clip_root(tmp_path_factory):
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    root = tmp_path_factory.mktemp("tracking_bench") / "synth"
    generate_dataset(root, SynthConfig(clips=1, frames=4, seed=5, tracking="procedural", width=320, height=180,
                                       split="test"), progress=False)
    return root


def test_attribute_diagnostics_on_ground_truth(clip_root):
    truth, _ = ground_truth_frames(clip_root / "SNGS-001")
    assert attribute_accuracy(truth, truth)["role_accuracy"] == 1.0
    assert attribute_accuracy(truth, truth)["team_accuracy"] == 1.0 and tracks_per_athlete(truth, truth) == 1.0
    split = copy.deepcopy(truth)
    for detection in split[-1].detections:
        detection.track_id += 100  # every athlete gets a second id in the last frame
        detection.team = {"left": "right", "right": "left"}.get(detection.team)
    assert tracks_per_athlete(split, truth) == 2.0
    assert attribute_accuracy(split, truth)["team_accuracy"] < 1.0


def test_benchmark_runs_every_tracker_on_shared_detections(clip_root):
    from soccermaster_hf.evaluation.tracking_benchmark import benchmark_trackers
    from soccermaster_hf.processing import SoccerMasterImageProcessor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from soccermaster_hf.modeling import SoccerMasterConfig, SoccerMasterForGameStateReconstruction

        model = SoccerMasterForGameStateReconstruction(SoccerMasterConfig.from_preset("tiny", num_frames=4)).eval()
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    from soccermaster_hf.tracking.linking import LinkingConfig

    trackers = {"bytetrack": {}, "hungarian": {}}
    report = benchmark_trackers(clip_root, model, processor, trackers, threshold=0.0,
                                linking={"linking": LinkingConfig(), "short": LinkingConfig(max_gap_seconds=0.1)})
    assert set(report) == {"bytetrack", "hungarian", "bytetrack + linking", "bytetrack + short", "hungarian + linking",
                           "hungarian + short"}
    assert trackers == {"bytetrack": {}, "hungarian": {}}  # the caller's settings are left as they were
    for name in ("bytetrack", "hungarian"):  # linking joins tracklets, it never splits one (nan: nothing matched)
        plain, linked = report[name]["tracks per athlete"], report[f"{name} + linking"]["tracks per athlete"]
        assert np.isnan(plain) == np.isnan(linked) and not linked > plain
    for row in report.values():
        assert {"HOTA", "DetA", "AssA", "IDF1", "GS-HOTA", "tracker ms/frame", "team accuracy after"} <= set(row)
        assert 0.0 <= row["HOTA"] <= 1.0 and np.isfinite(row["tracker ms/frame"])
