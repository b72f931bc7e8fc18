"""PitchModel: element geometry agrees with the keypoint table, SoccerNet sampling rule, other sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soccermaster_hf.geometry import PitchModel
from soccermaster_hf.modeling.pitch_definitions import KEYPOINT_INDEX, LINE_CLASSES


def kp(name: str) -> np.ndarray:
    return PitchModel().keypoints()[KEYPOINT_INDEX[name]]


def test_segment_endpoints_are_keypoints():
    pitch = PitchModel()
    a, b = pitch.segment("Side line top")
    np.testing.assert_allclose([a, b], [kp("top_left_corner"), kp("top_right_corner")])
    a, b = pitch.segment("Big rect. left main")
    np.testing.assert_allclose(
        [a, b], [kp("left_penalty_area_top_right_corner"), kp("left_penalty_area_bottom_right_corner")]
    )
    a, b = pitch.segment("Goal left post left ")
    np.testing.assert_allclose([a, b], [kp("left_goal_left_post_top"), kp("left_goal_left_post_base")])
    a, b = pitch.segment("Goal right crossbar")
    np.testing.assert_allclose([a, b], [kp("right_goal_left_post_top"), kp("right_goal_right_post_top")])
    assert set(pitch.segments) == set(LINE_CLASSES)


def test_penalty_arc_ends_lie_on_the_16m_line():
    pitch = PitchModel()
    arc = pitch.arc("Circle left")
    ends = arc.points(np.array([arc.start_angle, arc.end_angle]))
    np.testing.assert_allclose(ends[:, 0], -36.0, atol=1e-9)
    np.testing.assert_allclose(ends[:, 1], [-7.3125, 7.3125], atol=1e-3)
    np.testing.assert_allclose(ends[0, :2], kp("left_penalty_arc_top_end")[:2], atol=0.01)
    right = pitch.arc("Circle right")
    mid = right.points(np.array([(right.start_angle + right.end_angle) / 2]))[0]
    np.testing.assert_allclose(mid[:2], [41.5 - 9.15, 0.0], atol=1e-9)  # bulges towards the centre
    assert not right.contains_angle(np.array([0.0]))[0] and right.contains_angle(np.array([math.pi]))[0]


def test_ground_line_is_normalised_and_contains_its_endpoints():
    pitch = PitchModel()
    line = pitch.ground_line("Small rect. right main")
    assert math.isclose(math.hypot(line[0], line[1]), 1.0)
    for p in pitch.segment("Small rect. right main"):
        assert abs(line @ [p[0], p[1], 1.0]) < 1e-9
    with pytest.raises(KeyError):
        pitch.ground_line("Goal left crossbar")


def test_soccernet_sampling_rule():
    s = PitchModel().sample_soccernet(dist=0.9)
    assert len(s["Side line top"]) == int(105 / 0.9 - 1) + 2
    np.testing.assert_allclose(s["Side line top"][1] - s["Side line top"][0], [0.9, 0, 0])
    assert len(s["Circle central"]) == int(2 * math.pi * 9.15 / 0.2)
    assert len(s["Goal left post left "]) == int(2.44 / 0.9 - 1) + 2
    np.testing.assert_allclose(np.linalg.norm(s["Circle right"][:, :2] - [41.5, 0], axis=1), 9.15)
    assert set(s) == set(PitchModel.element_classes())


def test_sample_spacing_and_goal():
    pitch = PitchModel()
    pts = pitch.sample("Middle line", step=1.0)
    assert len(pts) == 69 and np.allclose(pts[:, 0], 0.0)
    goal = pitch.goal("right")
    assert goal["left_post_top"][2] == -2.44 and goal["left_post_base"][1] == -3.66
    with pytest.raises(ValueError):
        pitch.goal("centre")


def test_other_pitch_sizes():
    pitch = PitchModel(100.0, 64.0)
    a, b = pitch.segment("Side line bottom")
    np.testing.assert_allclose([a, b], [[-50, 32, 0], [50, 32, 0]])
    keypoints = pitch.keypoints()
    np.testing.assert_allclose(keypoints[KEYPOINT_INDEX["bottom_right_corner"]], [50, 32, 0])
    np.testing.assert_allclose(keypoints[KEYPOINT_INDEX["right_penalty_mark"]], [39.0, 0, 0])
    np.testing.assert_allclose(keypoints[KEYPOINT_INDEX["left_penalty_area_top_right_corner"]], [-33.5, -20.16, 0])
    np.testing.assert_allclose(keypoints[KEYPOINT_INDEX["centre_circle_left_point"]], [-9.15, 0, 0])
    assert pitch.arc("Circle right").centre == (39.0, 0.0)
    with pytest.raises(ValueError):
        PitchModel(40.0, 68.0)
