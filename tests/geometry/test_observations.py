"""Pitch observations from pixels: keypoints by index or by name, removing classes and keypoints."""

from __future__ import annotations

import numpy as np

from soccermaster_hf.geometry import PitchObservations
from soccermaster_hf.modeling.pitch_definitions import KEYPOINT_NAMES


def test_keypoints_by_name_equal_keypoints_by_index():
    by_index = {3: (100.0, 50.0, 0.8), 10: (300.0, 200.0, 0.6)}
    by_name = {KEYPOINT_NAMES[i]: v for i, v in by_index.items()}
    by_name["no such keypoint"] = (1.0, 1.0, 1.0)
    named = PitchObservations.from_pixels((960, 540), keypoints=by_name)
    assert named.keypoints == PitchObservations.from_pixels((960, 540), keypoints=by_index).keypoints
    assert named.skipped == {"unrecognized_keypoint": 1}


def test_without_drops_classes_and_keypoints():
    obs = PitchObservations.from_pixels(
        (960, 540), lines={"Middle line": np.array([[10.0, 10.0], [20.0, 400.0]]), "Side line top": [[0, 5], [900, 9]]},
        keypoints={1: (5.0, 5.0, 0.9), 2: (50.0, 5.0, 0.9)}, source="frame 7")
    kept = obs.without(["Middle line", "keypoint 2"])
    assert kept.classes == ["Side line top"] and list(kept.keypoints) == [1] and kept.source == "frame 7"
    assert obs.classes == ["Middle line", "Side line top"] and len(obs.keypoints) == 2  # the original is unchanged
