"""pitch_definitions: names, orders, the corner->centre keypoint conversion, stdlib-only imports."""

from __future__ import annotations

import ast
import inspect
import math

from soccermaster_hf.modeling import pitch_definitions as pd

# SPEC §6.3 (NBJW / PnLCalib keypoint_world_coords_2D), corner-origin frame, 1-based numbering.
SPEC_CORNER_TABLE = """
1 (0,0) 2 (52.5,0) 3 (105,0) 4 (0,13.84) 5 (16.5,13.84) 6 (88.5,13.84) 7 (105,13.84) 8 (0,24.84) 9 (5.5,24.84)
10 (99.5,24.84) 11 (105,24.84) 12 (0,30.34) 13 (0,30.34) 14 (105,30.34) 15 (105,30.34) 16 (0,37.66) 17 (0,37.66)
18 (105,37.66) 19 (105,37.66) 20 (0,43.16) 21 (5.5,43.16) 22 (99.5,43.16) 23 (105,43.16) 24 (0,54.16)
25 (16.5,54.16) 26 (88.5,54.16) 27 (105,54.16) 28 (0,68) 29 (52.5,68) 30 (105,68) 31 (16.5,26.68) 32 (52.5,24.85)
33 (88.5,26.68) 34 (16.5,41.31) 35 (52.5,43.15) 36 (88.5,41.31) 37 (19.99,32.29) 38 (43.68,31.53) 39 (61.31,31.53)
40 (85,32.29) 41 (19.99,35.7) 42 (43.68,36.46) 43 (61.31,36.46) 44 (85,35.7) 45 (11,34) 46 (16.5,34) 47 (20.15,34)
48 (46.03,27.53) 49 (58.97,27.53) 50 (43.35,34) 51 (52.5,34) 52 (61.5,34) 53 (46.03,40.47) 54 (58.97,40.47)
55 (84.85,34) 56 (88.5,34) 57 (94,34)
"""

SPEC_LINES = (
    "Big rect. left bottom, Big rect. left main, Big rect. left top, Big rect. right bottom, Big rect. right main, "
    "Big rect. right top, Goal left crossbar, Goal left post left , Goal left post right, Goal right crossbar, "
    "Goal right post left, Goal right post right, Middle line, Side line bottom, Side line left, Side line right, "
    "Side line top, Small rect. left bottom, Small rect. left main, Small rect. left top, Small rect. right bottom, "
    "Small rect. right main, Small rect. right top"
)


def _spec_keypoints() -> dict[int, tuple[float, float]]:
    tokens = SPEC_CORNER_TABLE.split()
    out = {}
    for number, coords in zip(tokens[0::2], tokens[1::2]):
        x, y = coords.strip("()").split(",")
        out[int(number)] = (float(x), float(y))
    return out


def test_line_channel_order_matches_spec():
    spec = []
    for item in SPEC_LINES.split(", "):
        spec.append("Goal left post left " if item == "Goal left post left" else item)
    assert tuple(spec) == pd.LINE_CLASSES
    assert pd.NUM_LINES == 23 and pd.LINE_BACKGROUND_CHANNEL == 23 and pd.NUM_LINE_CHANNELS == 24
    assert pd.LINE_INDEX["Side line top"] == 16


def test_soccernet_class_set():
    assert len(pd.SOCCERNET_CLASSES) == 28
    assert tuple(sorted(pd.SOCCERNET_CLASSES)) == pd.SOCCERNET_CLASSES
    assert set(pd.CIRCLE_CLASSES) == {"Circle central", "Circle left", "Circle right"}
    assert len(pd.EVALUATED_CLASSES) == 26
    assert len(pd.GOAL_CLASSES) == 6 and len(pd.GROUND_LINE_CLASSES) == 17


def test_class_name_normalisation():
    assert pd.normalize_class_name("Goal left post left") == "Goal left post left "
    assert pd.normalize_class_name("Goal left post left ") == "Goal left post left "
    assert pd.normalize_class_name(" side line TOP ") == "Side line top"
    assert pd.normalize_class_name("Penalty spot") is None
    assert pd.normalize_class_name(3) is None  # type: ignore[arg-type]
    assert pd.is_known_class("Line unknown") and not pd.is_known_class("Goal net")


def test_mirror_is_an_involution_over_all_classes():
    assert set(pd.MIRROR_CLASS) == set(pd.SOCCERNET_CLASSES)
    for name in pd.SOCCERNET_CLASSES:
        assert pd.MIRROR_CLASS[pd.MIRROR_CLASS[name]] == name
    assert pd.mirror_class("Goal left post left") == "Goal right post left"
    assert pd.mirror_class("Big rect. left top") == "Big rect. right bottom"


def test_keypoints_are_the_spec_table_converted_to_the_centre_frame():
    spec = _spec_keypoints()
    assert len(spec) == 57 == pd.NUM_KEYPOINTS
    for kp in pd.KEYPOINTS:
        cx, cy = pd.corner_to_centre(*spec[kp.index + 1])
        assert math.isclose(kp.x, cx, abs_tol=1e-9), kp
        assert math.isclose(kp.y, cy, abs_tol=1e-9), kp
    assert pd.KEYPOINT_BACKGROUND_CHANNEL == 57 and pd.NUM_KEYPOINT_CHANNELS == 58
    assert len(set(pd.KEYPOINT_NAMES)) == 57
    assert pd.KEYPOINTS[pd.KEYPOINT_INDEX["centre_spot"]][2:4] == (0.0, 0.0)


def test_corner_to_centre_examples():
    assert pd.corner_to_centre(0.0, 0.0) == (-52.5, -34.0)  # top-left corner ("Side line top" at y = -34)
    assert pd.corner_to_centre(105.0, 68.0) == (52.5, 34.0)
    assert pd.corner_to_centre(0.0, 0.0, length=100.0, width=60.0) == (-50.0, -30.0)


def test_goal_post_keypoints_have_height():
    tops = {kp.index + 1 for kp in pd.KEYPOINTS if kp.z != 0.0}
    assert tops == {12, 15, 16, 19}  # NBJW numbering
    assert all(pd.KEYPOINTS[i].z == -2.44 for i in pd.GOAL_POST_TOP_KEYPOINT_INDICES)
    for i in pd.GOAL_POST_KEYPOINT_INDICES:
        assert abs(pd.KEYPOINTS[i].x) == 52.5 and abs(pd.KEYPOINTS[i].y) == 3.66
    # each post has one top and one base at the same (x, y)
    by_xy: dict[tuple[float, float], list[float]] = {}
    for i in pd.GOAL_POST_KEYPOINT_INDICES:
        by_xy.setdefault((pd.KEYPOINTS[i].x, pd.KEYPOINTS[i].y), []).append(pd.KEYPOINTS[i].z)
    assert len(by_xy) == 4 and all(sorted(z) == [-2.44, 0.0] for z in by_xy.values())


def test_module_uses_only_the_standard_library():
    tree = ast.parse(inspect.getsource(pd))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 or node.module is None or not node.module.startswith("soccermaster_hf")
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in {"__future__", "typing", "math"}, name
