"""Names, indices and coordinates of the soccer-pitch elements: the single source of truth.

This module is pure Python (standard library only, no package-absolute imports) because it ships as Hugging Face Hub
remote code next to the model files; the model heads import it as ``from .pitch_definitions import ...`` and
:mod:`soccermaster_hf.geometry` imports it as ``from soccermaster_hf.modeling.pitch_definitions import ...``.

Coordinate frame (SoccerNet calibration, ``sn-calibration/src/soccerpitch.py``): origin at the centre spot, metres,
``x`` along the length (left goal at ``x = -52.5``), ``y`` across (the far, "top" touch line at ``y = -34``, the near,
"bottom" touch line of the main camera at ``y = +34``), ``z`` negative upward (crossbars at ``z = -2.44``).

Sources
    * Class names, their order and the mirror table: SoccerNet ``sn-calibration`` ``src/soccerpitch.py``
      (``SoccerPitch.lines_classes`` and ``SoccerPitch.symetric_classes``).
    * The 57 keypoints and the 23 line channels of the pitch-registration heads: NBJW / PnLCalib
      (``utils/utils_calib.py``: ``keypoint_world_coords_2D``, ``line_world_coords_3D``; keypoints 12, 15, 16 and 19
      are the tops of the goal posts, ``z = -2.44``), as quoted in the project's SPEC §6.3 in a corner-origin frame
      (``x`` in 0..105, ``y`` in 0..68). They are stored here converted once to the centre-origin frame by
      ``x_centre = x_corner - 52.5`` and ``y_centre = y_corner - 34`` (no axis flip: NBJW's line 17, ``(0,0)-(105,0)``,
      is SoccerNet's "Side line top" at ``y = -34``); ``tests/geometry/test_pitch_definitions.py`` checks the
      conversion against the published table.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CENTER_CIRCLE_RADIUS",
    "CIRCLE_CLASSES",
    "EVALUATED_CLASSES",
    "GOAL_AREA_LENGTH",
    "GOAL_AREA_WIDTH",
    "GOAL_CLASSES",
    "GOAL_HEIGHT",
    "GOAL_LINE_TO_PENALTY_MARK",
    "GOAL_WIDTH",
    "GOAL_POST_KEYPOINT_INDICES",
    "GOAL_POST_TOP_KEYPOINT_INDICES",
    "GROUND_LINE_CLASSES",
    "KEYPOINTS",
    "KEYPOINT_BACKGROUND_CHANNEL",
    "KEYPOINT_INDEX",
    "KEYPOINT_NAMES",
    "LINE_BACKGROUND_CHANNEL",
    "LINE_CLASSES",
    "LINE_INDEX",
    "MIRROR_CLASS",
    "NUM_KEYPOINTS",
    "NUM_KEYPOINT_CHANNELS",
    "NUM_LINES",
    "NUM_LINE_CHANNELS",
    "PENALTY_AREA_LENGTH",
    "PENALTY_AREA_WIDTH",
    "PITCH_LENGTH",
    "PITCH_WIDTH",
    "SOCCERNET_CLASSES",
    "UNKNOWN_CLASSES",
    "Keypoint",
    "corner_to_centre",
    "is_known_class",
    "mirror_class",
    "normalize_class_name",
]

# --------------------------------------------------------------------------------------------------------------------
# Dimensions (metres). Laws of the Game / sn-calibration ``SoccerPitch``.
# --------------------------------------------------------------------------------------------------------------------
PITCH_LENGTH: float = 105.0
PITCH_WIDTH: float = 68.0
GOAL_LINE_TO_PENALTY_MARK: float = 11.0
PENALTY_AREA_WIDTH: float = 40.32
PENALTY_AREA_LENGTH: float = 16.5
GOAL_AREA_WIDTH: float = 18.32
GOAL_AREA_LENGTH: float = 5.5
CENTER_CIRCLE_RADIUS: float = 9.15
GOAL_HEIGHT: float = 2.44
GOAL_WIDTH: float = 7.32

# --------------------------------------------------------------------------------------------------------------------
# Line classes.
# --------------------------------------------------------------------------------------------------------------------
#: The 23 straight pitch elements in the exact order of the line head's channels (channel 23 is background).
#: Note the trailing space of ``"Goal left post left "``: it is part of the SoccerNet class name.
LINE_CLASSES: tuple[str, ...] = (
    "Big rect. left bottom",
    "Big rect. left main",
    "Big rect. left top",
    "Big rect. right bottom",
    "Big rect. right main",
    "Big rect. right top",
    "Goal left crossbar",
    "Goal left post left ",
    "Goal left post right",
    "Goal right crossbar",
    "Goal right post left",
    "Goal right post right",
    "Middle line",
    "Side line bottom",
    "Side line left",
    "Side line right",
    "Side line top",
    "Small rect. left bottom",
    "Small rect. left main",
    "Small rect. left top",
    "Small rect. right bottom",
    "Small rect. right main",
    "Small rect. right top",
)
NUM_LINES: int = len(LINE_CLASSES)
LINE_BACKGROUND_CHANNEL: int = NUM_LINES
NUM_LINE_CHANNELS: int = NUM_LINES + 1
LINE_INDEX: dict[str, int] = {name: i for i, name in enumerate(LINE_CLASSES)}

#: The three circular elements. "Circle left"/"Circle right" are the penalty arcs outside the penalty areas.
CIRCLE_CLASSES: tuple[str, ...] = ("Circle central", "Circle left", "Circle right")
#: Classes SoccerNet files may contain that do not name a pitch element.
UNKNOWN_CLASSES: tuple[str, ...] = ("Goal unknown", "Line unknown")
#: Goal posts and crossbars (3-D elements, not on the ground plane).
GOAL_CLASSES: tuple[str, ...] = tuple(name for name in LINE_CLASSES if name.startswith("Goal "))
#: Straight elements lying on the ground plane ``z = 0``.
GROUND_LINE_CLASSES: tuple[str, ...] = tuple(name for name in LINE_CLASSES if not name.startswith("Goal "))
#: The 26 elements the SoccerNet camera-calibration evaluation projects (23 lines + 3 circles).
EVALUATED_CLASSES: tuple[str, ...] = LINE_CLASSES + CIRCLE_CLASSES
#: All 28 SoccerNet calibration classes, in ``SoccerPitch.lines_classes`` (alphabetical) order.
SOCCERNET_CLASSES: tuple[str, ...] = tuple(sorted(EVALUATED_CLASSES + UNKNOWN_CLASSES))

#: Central symmetry through the centre spot (``(x, y) -> (-x, -y)``): left<->right and top<->bottom.
#: This is the relabelling the SoccerNet evaluator applies for its "mirrored labels" pass.
MIRROR_CLASS: dict[str, str] = {
    "Side line top": "Side line bottom",
    "Side line bottom": "Side line top",
    "Side line left": "Side line right",
    "Side line right": "Side line left",
    "Middle line": "Middle line",
    "Big rect. left top": "Big rect. right bottom",
    "Big rect. left bottom": "Big rect. right top",
    "Big rect. left main": "Big rect. right main",
    "Big rect. right top": "Big rect. left bottom",
    "Big rect. right bottom": "Big rect. left top",
    "Big rect. right main": "Big rect. left main",
    "Small rect. left top": "Small rect. right bottom",
    "Small rect. left bottom": "Small rect. right top",
    "Small rect. left main": "Small rect. right main",
    "Small rect. right top": "Small rect. left bottom",
    "Small rect. right bottom": "Small rect. left top",
    "Small rect. right main": "Small rect. left main",
    "Circle left": "Circle right",
    "Circle right": "Circle left",
    "Circle central": "Circle central",
    "Goal left crossbar": "Goal right crossbar",
    "Goal right crossbar": "Goal left crossbar",
    "Goal left post left ": "Goal right post left",
    "Goal right post left": "Goal left post left ",
    "Goal left post right": "Goal right post right",
    "Goal right post right": "Goal left post right",
    "Goal unknown": "Goal unknown",
    "Line unknown": "Line unknown",
}

_STRIPPED_TO_CANONICAL: dict[str, str] = {name.strip().lower(): name for name in SOCCERNET_CLASSES}


def normalize_class_name(name: str) -> str | None:
    """Return the canonical SoccerNet spelling of a calibration class name, or ``None`` if it is not one.

    Matching ignores leading/trailing whitespace and case, so ``"Goal left post left"`` (SoccerNet-GSR spelling) and
    ``"Goal left post left "`` (SoccerNet calibration spelling) both map to ``"Goal left post left "``.
    """
    if not isinstance(name, str):
        return None
    if name in _STRIPPED_TO_CANONICAL.values():
        return name
    return _STRIPPED_TO_CANONICAL.get(name.strip().lower())


def is_known_class(name: str) -> bool:
    """Whether ``name`` (in any accepted spelling) is one of the 28 SoccerNet calibration classes."""
    return normalize_class_name(name) is not None


def mirror_class(name: str) -> str:
    """Class that ``name`` maps to under the central symmetry of the pitch (raises ``KeyError`` if unknown)."""
    canonical = normalize_class_name(name)
    if canonical is None:
        raise KeyError(f"unknown SoccerNet calibration class {name!r}")
    return MIRROR_CLASS[canonical]


# --------------------------------------------------------------------------------------------------------------------
# Keypoints of the keypoint head (NBJW / PnLCalib definition), centre-origin frame, 105 x 68 pitch.
# --------------------------------------------------------------------------------------------------------------------
class Keypoint(NamedTuple):
    """One pitch keypoint: ``index`` is both its 0-based index and its heatmap channel (NBJW number = index + 1)."""

    index: int
    name: str
    x: float
    y: float
    z: float


def corner_to_centre(
    x: float, y: float, length: float = PITCH_LENGTH, width: float = PITCH_WIDTH
) -> tuple[float, float]:
    """Convert NBJW corner-origin pitch coordinates (``x`` in 0..length, ``y`` in 0..width) to SoccerNet's frame."""
    return x - length / 2.0, y - width / 2.0


_TOP = -GOAL_HEIGHT  # z of a crossbar / post top (z is negative upward)

#: ``(name, x, y, z)`` in metres, centre-origin frame; position in the tuple = index = heatmap channel.
_KEYPOINT_TABLE: tuple[tuple[str, float, float, float], ...] = (
    ("top_left_corner", -52.5, -34.0, 0.0),  # 1
    ("top_halfway_line_end", 0.0, -34.0, 0.0),  # 2: halfway line x top touch line
    ("top_right_corner", 52.5, -34.0, 0.0),  # 3
    ("left_penalty_area_top_left_corner", -52.5, -20.16, 0.0),  # 4
    ("left_penalty_area_top_right_corner", -36.0, -20.16, 0.0),  # 5
    ("right_penalty_area_top_left_corner", 36.0, -20.16, 0.0),  # 6
    ("right_penalty_area_top_right_corner", 52.5, -20.16, 0.0),  # 7
    ("left_goal_area_top_left_corner", -52.5, -9.16, 0.0),  # 8
    ("left_goal_area_top_right_corner", -47.0, -9.16, 0.0),  # 9
    ("right_goal_area_top_left_corner", 47.0, -9.16, 0.0),  # 10
    ("right_goal_area_top_right_corner", 52.5, -9.16, 0.0),  # 11
    ("left_goal_right_post_top", -52.5, -3.66, _TOP),  # 12: top of "Goal left post right"
    ("left_goal_right_post_base", -52.5, -3.66, 0.0),  # 13
    ("right_goal_left_post_base", 52.5, -3.66, 0.0),  # 14: base of "Goal right post left"
    ("right_goal_left_post_top", 52.5, -3.66, _TOP),  # 15
    ("left_goal_left_post_top", -52.5, 3.66, _TOP),  # 16: top of "Goal left post left "
    ("left_goal_left_post_base", -52.5, 3.66, 0.0),  # 17
    ("right_goal_right_post_base", 52.5, 3.66, 0.0),  # 18: base of "Goal right post right"
    ("right_goal_right_post_top", 52.5, 3.66, _TOP),  # 19
    ("left_goal_area_bottom_left_corner", -52.5, 9.16, 0.0),  # 20
    ("left_goal_area_bottom_right_corner", -47.0, 9.16, 0.0),  # 21
    ("right_goal_area_bottom_left_corner", 47.0, 9.16, 0.0),  # 22
    ("right_goal_area_bottom_right_corner", 52.5, 9.16, 0.0),  # 23
    ("left_penalty_area_bottom_left_corner", -52.5, 20.16, 0.0),  # 24
    ("left_penalty_area_bottom_right_corner", -36.0, 20.16, 0.0),  # 25
    ("right_penalty_area_bottom_left_corner", 36.0, 20.16, 0.0),  # 26
    ("right_penalty_area_bottom_right_corner", 52.5, 20.16, 0.0),  # 27
    ("bottom_left_corner", -52.5, 34.0, 0.0),  # 28
    ("bottom_halfway_line_end", 0.0, 34.0, 0.0),  # 29
    ("bottom_right_corner", 52.5, 34.0, 0.0),  # 30
    ("left_penalty_arc_top_end", -36.0, -7.32, 0.0),  # 31: penalty arc x 16-m line
    ("centre_circle_top_on_halfway_line", 0.0, -9.15, 0.0),  # 32
    ("right_penalty_arc_top_end", 36.0, -7.32, 0.0),  # 33
    ("left_penalty_arc_bottom_end", -36.0, 7.31, 0.0),  # 34
    ("centre_circle_bottom_on_halfway_line", 0.0, 9.15, 0.0),  # 35
    ("right_penalty_arc_bottom_end", 36.0, 7.31, 0.0),  # 36
    ("left_penalty_arc_top_tangent_point", -32.51, -1.71, 0.0),  # 37
    ("centre_circle_top_left_tangent_point", -8.82, -2.47, 0.0),  # 38
    ("centre_circle_top_right_tangent_point", 8.81, -2.47, 0.0),  # 39
    ("right_penalty_arc_top_tangent_point", 32.5, -1.71, 0.0),  # 40
    ("left_penalty_arc_bottom_tangent_point", -32.51, 1.7, 0.0),  # 41
    ("centre_circle_bottom_left_tangent_point", -8.82, 2.46, 0.0),  # 42
    ("centre_circle_bottom_right_tangent_point", 8.81, 2.46, 0.0),  # 43
    ("right_penalty_arc_bottom_tangent_point", 32.5, 1.7, 0.0),  # 44
    ("left_penalty_mark", -41.5, 0.0, 0.0),  # 45
    ("left_penalty_area_main_line_midpoint", -36.0, 0.0, 0.0),  # 46
    ("left_penalty_arc_apex", -32.35, 0.0, 0.0),  # 47
    ("centre_circle_top_left_diagonal_point", -6.47, -6.47, 0.0),  # 48
    ("centre_circle_top_right_diagonal_point", 6.47, -6.47, 0.0),  # 49
    ("centre_circle_left_point", -9.15, 0.0, 0.0),  # 50
    ("centre_spot", 0.0, 0.0, 0.0),  # 51
    ("centre_circle_right_point", 9.0, 0.0, 0.0),  # 52: 9.0, not 9.15, in the published table (kept as published)
    ("centre_circle_bottom_left_diagonal_point", -6.47, 6.47, 0.0),  # 53
    ("centre_circle_bottom_right_diagonal_point", 6.47, 6.47, 0.0),  # 54
    ("right_penalty_arc_apex", 32.35, 0.0, 0.0),  # 55
    ("right_penalty_area_main_line_midpoint", 36.0, 0.0, 0.0),  # 56
    ("right_penalty_mark", 41.5, 0.0, 0.0),  # 57
)

KEYPOINTS: tuple[Keypoint, ...] = tuple(Keypoint(i, n, x, y, z) for i, (n, x, y, z) in enumerate(_KEYPOINT_TABLE))
NUM_KEYPOINTS: int = len(KEYPOINTS)
KEYPOINT_BACKGROUND_CHANNEL: int = NUM_KEYPOINTS
NUM_KEYPOINT_CHANNELS: int = NUM_KEYPOINTS + 1
KEYPOINT_NAMES: tuple[str, ...] = tuple(k.name for k in KEYPOINTS)
KEYPOINT_INDEX: dict[str, int] = {k.name: k.index for k in KEYPOINTS}
#: 0-based indices of the keypoints on goal posts (base and top), and of the post tops alone (NBJW 12, 15, 16, 19).
GOAL_POST_KEYPOINT_INDICES: tuple[int, ...] = (11, 12, 13, 14, 15, 16, 17, 18)
GOAL_POST_TOP_KEYPOINT_INDICES: tuple[int, ...] = tuple(k.index for k in KEYPOINTS if k.z != 0.0)
