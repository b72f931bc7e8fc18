"""3-D soccer-pitch model in SoccerNet's frame: line segments, circle arcs, goals, keypoints and sampling.

Frame and names come from :mod:`soccermaster_hf.modeling.pitch_definitions` (origin at the centre spot, metres, ``x``
along the length, ``y`` across with the "top" touch line at ``y = -W/2``, ``z`` negative upward). The element
definitions (which corners bound which line, which arc is "Circle left") follow SoccerNet ``sn-calibration``
``src/soccerpitch.py``; :meth:`PitchModel.sample_soccernet` reproduces that file's ``sample_field_points`` sampling rule,
which the SoccerNet camera-calibration evaluation uses with ``dist = 0.9`` m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from soccermaster_hf.modeling.pitch_definitions import (
    CENTER_CIRCLE_RADIUS,
    CIRCLE_CLASSES,
    GOAL_AREA_LENGTH,
    GOAL_AREA_WIDTH,
    GOAL_CLASSES,
    GOAL_HEIGHT,
    GOAL_LINE_TO_PENALTY_MARK,
    GOAL_WIDTH,
    GROUND_LINE_CLASSES,
    KEYPOINTS,
    LINE_CLASSES,
    PENALTY_AREA_LENGTH,
    PENALTY_AREA_WIDTH,
    PITCH_LENGTH,
    PITCH_WIDTH,
)

__all__ = ["Arc", "PitchModel"]


@dataclass(frozen=True)
class Arc:
    """A circle arc on the ground plane: ``centre`` (x, y), ``radius`` and the angle interval it spans (radians).

    The arc runs counter-clockwise (in the x-y plane) from ``start_angle`` to ``end_angle`` (``end_angle >
    start_angle``); a full circle spans ``2*pi``.
    """

    centre: tuple[float, float]
    radius: float
    start_angle: float
    end_angle: float

    @property
    def is_full_circle(self) -> bool:
        return self.end_angle - self.start_angle >= 2 * math.pi - 1e-9

    def points(self, angles: np.ndarray) -> np.ndarray:
        """3-D points (z = 0) at the given angles."""
        angles = np.asarray(angles, dtype=float)
        return np.stack(
            [
                self.centre[0] + self.radius * np.cos(angles),
                self.centre[1] + self.radius * np.sin(angles),
                np.zeros_like(angles),
            ],
            axis=-1,
        )

    def contains_angle(self, angle: np.ndarray) -> np.ndarray:
        """Whether each angle lies on the arc."""
        if self.is_full_circle:
            return np.ones_like(np.asarray(angle, dtype=float), dtype=bool)
        rel = np.mod(np.asarray(angle, dtype=float) - self.start_angle, 2 * math.pi)
        return rel <= (self.end_angle - self.start_angle) + 1e-12


@dataclass(frozen=True)
class PitchModel:
    """A soccer pitch of configurable length and width (default 105 x 68 m) with standard markings.

    Attributes:
        length: touch-line length in metres (x extent).
        width: goal-line length in metres (y extent).
    """

    length: float = PITCH_LENGTH
    width: float = PITCH_WIDTH
    _segments: dict[str, tuple[np.ndarray, np.ndarray]] = field(init=False, repr=False, compare=False)
    _arcs: dict[str, Arc] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.length) and math.isfinite(self.width)):
            raise ValueError(f"pitch dimensions must be finite, got {self.length} x {self.width}")
        if self.length <= 2 * (PENALTY_AREA_LENGTH + CENTER_CIRCLE_RADIUS) or self.width <= PENALTY_AREA_WIDTH:
            raise ValueError(
                f"pitch {self.length} x {self.width} m is too small to hold the standard penalty areas and centre circle"
            )
        object.__setattr__(self, "_segments", self._build_segments())
        object.__setattr__(self, "_arcs", self._build_arcs())

    # ---------------------------------------------------------------------------------------------------- elements
    def _build_segments(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        hl, hw = self.length / 2.0, self.width / 2.0
        pa_x, pa_y = hl - PENALTY_AREA_LENGTH, PENALTY_AREA_WIDTH / 2.0
        ga_x, ga_y = hl - GOAL_AREA_LENGTH, GOAL_AREA_WIDTH / 2.0
        gy, gz = GOAL_WIDTH / 2.0, -GOAL_HEIGHT

        def p(x: float, y: float, z: float = 0.0) -> np.ndarray:
            return np.array([x, y, z], dtype=float)

        # Endpoint order follows sn-calibration's ``line_extremities`` (it fixes the sampling direction).
        seg = {
            "Big rect. left bottom": (p(-hl, pa_y), p(-pa_x, pa_y)),
            "Big rect. left top": (p(-hl, -pa_y), p(-pa_x, -pa_y)),
            "Big rect. left main": (p(-pa_x, -pa_y), p(-pa_x, pa_y)),
            "Big rect. right bottom": (p(pa_x, pa_y), p(hl, pa_y)),
            "Big rect. right top": (p(pa_x, -pa_y), p(hl, -pa_y)),
            "Big rect. right main": (p(pa_x, -pa_y), p(pa_x, pa_y)),
            "Small rect. left bottom": (p(-hl, ga_y), p(-ga_x, ga_y)),
            "Small rect. left top": (p(-hl, -ga_y), p(-ga_x, -ga_y)),
            "Small rect. left main": (p(-ga_x, -ga_y), p(-ga_x, ga_y)),
            "Small rect. right bottom": (p(ga_x, ga_y), p(hl, ga_y)),
            "Small rect. right top": (p(ga_x, -ga_y), p(hl, -ga_y)),
            "Small rect. right main": (p(ga_x, -ga_y), p(ga_x, ga_y)),
            "Side line top": (p(-hl, -hw), p(hl, -hw)),
            "Side line bottom": (p(-hl, hw), p(hl, hw)),
            "Side line left": (p(-hl, -hw), p(-hl, hw)),
            "Side line right": (p(hl, -hw), p(hl, hw)),
            "Middle line": (p(0.0, -hw), p(0.0, hw)),
            "Goal left crossbar": (p(-hl, -gy, gz), p(-hl, gy, gz)),
            "Goal left post left ": (p(-hl, gy, gz), p(-hl, gy)),
            "Goal left post right": (p(-hl, -gy, gz), p(-hl, -gy)),
            "Goal right crossbar": (p(hl, -gy, gz), p(hl, gy, gz)),
            "Goal right post left": (p(hl, -gy, gz), p(hl, -gy)),
            "Goal right post right": (p(hl, gy, gz), p(hl, gy)),
        }
        return {name: seg[name] for name in LINE_CLASSES}

    def _build_arcs(self) -> dict[str, Arc]:
        hl = self.length / 2.0
        r = CENTER_CIRCLE_RADIUS
        dx = PENALTY_AREA_LENGTH - GOAL_LINE_TO_PENALTY_MARK
        half = math.acos(dx / r)  # half-angle of the arc outside the penalty area
        return {
            "Circle central": Arc((0.0, 0.0), r, 0.0, 2 * math.pi),
            # Left arc: centred on the left penalty mark, bulging towards +x.
            "Circle left": Arc((-hl + GOAL_LINE_TO_PENALTY_MARK, 0.0), r, -half, half),
            # Right arc: centred on the right penalty mark, bulging towards -x.
            "Circle right": Arc((hl - GOAL_LINE_TO_PENALTY_MARK, 0.0), r, math.pi - half, math.pi + half),
        }

    @property
    def segments(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The 23 straight elements (lines, posts, crossbars) as 3-D endpoint pairs, keyed by class name."""
        return {k: (a.copy(), b.copy()) for k, (a, b) in self._segments.items()}

    @property
    def arcs(self) -> dict[str, Arc]:
        """The 3 circular elements keyed by class name."""
        return dict(self._arcs)

    def segment(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Endpoints of one straight element (``KeyError`` for a circle or an unknown class)."""
        a, b = self._segments[name]
        return a.copy(), b.copy()

    def arc(self, name: str) -> Arc:
        """One circular element (``KeyError`` for a straight element or an unknown class)."""
        return self._arcs[name]

    def ground_line(self, name: str) -> np.ndarray:
        """Homogeneous 2-D line ``(a, b, c)`` (``a x + b y + c = 0``, ``a^2 + b^2 = 1``) of a ground-plane element."""
        if name not in GROUND_LINE_CLASSES:
            raise KeyError(f"{name!r} is not a straight element of the ground plane")
        a, b = self._segments[name]
        line = np.cross([a[0], a[1], 1.0], [b[0], b[1], 1.0])
        return line / np.hypot(line[0], line[1])

    def goal(self, side: str) -> dict[str, np.ndarray]:
        """3-D goal-frame corners of the ``"left"`` or ``"right"`` goal: post bases and tops keyed by name."""
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        x = -self.length / 2.0 if side == "left" else self.length / 2.0
        gy, gz = GOAL_WIDTH / 2.0, -GOAL_HEIGHT
        # "left"/"right" posts as sn-calibration names them (seen from the main camera for the left goal).
        left_y, right_y = (gy, -gy) if side == "left" else (-gy, gy)
        return {
            "left_post_base": np.array([x, left_y, 0.0]),
            "left_post_top": np.array([x, left_y, gz]),
            "right_post_base": np.array([x, right_y, 0.0]),
            "right_post_top": np.array([x, right_y, gz]),
        }

    # ---------------------------------------------------------------------------------------------------- keypoints
    def keypoints(self) -> np.ndarray:
        """(57, 3) keypoint coordinates for this pitch size, row ``i`` = keypoint/channel ``i``.

        The table in :mod:`~soccermaster_hf.modeling.pitch_definitions` is for 105 x 68 m. For other sizes the
        markings keep their standard size: points on a goal line or touch line move with it, points of the penalty
        and goal areas stay at the same distance from their goal line, central points do not move.
        """
        out = np.array([[k.x, k.y, k.z] for k in KEYPOINTS], dtype=float)
        if self.length == PITCH_LENGTH and self.width == PITCH_WIDTH:
            return out
        hl0, hw0 = PITCH_LENGTH / 2.0, PITCH_WIDTH / 2.0
        hl, hw = self.length / 2.0, self.width / 2.0
        x, y = out[:, 0], out[:, 1]
        near_goal = np.abs(x) > hl0 - (PENALTY_AREA_LENGTH + CENTER_CIRCLE_RADIUS)  # belongs to a goal end
        out[:, 0] = np.where(near_goal, np.sign(x) * (hl - (hl0 - np.abs(x))), x)
        out[:, 1] = np.where(np.isclose(np.abs(y), hw0), np.sign(y) * hw, y)
        return out

    # ---------------------------------------------------------------------------------------------------- sampling
    def sample(self, name: str, step: float = 0.5) -> np.ndarray:
        """Points along one element every ``step`` metres (endpoints included), shape (N, 3)."""
        if step <= 0:
            raise ValueError(f"step must be positive, got {step}")
        if name in self._segments:
            a, b = self._segments[name]
            n = max(int(math.ceil(np.linalg.norm(b - a) / step)), 1)
            t = np.linspace(0.0, 1.0, n + 1)[:, None]
            return a[None] * (1 - t) + b[None] * t
        arc = self._arcs[name]
        span = arc.end_angle - arc.start_angle
        n = max(int(math.ceil(arc.radius * span / step)), 8)
        angles = np.linspace(arc.start_angle, arc.end_angle, n + 1)
        return arc.points(angles)

    def sample_all(self, step: float = 0.5) -> dict[str, np.ndarray]:
        """:meth:`sample` for all 26 elements."""
        return {name: self.sample(name, step) for name in (*LINE_CLASSES, *CIRCLE_CLASSES)}

    def sample_soccernet(self, dist: float = 0.9, dist_circles: float = 0.2) -> dict[str, np.ndarray]:
        """Sample every element exactly as the SoccerNet evaluator's ``SoccerPitch.sample_field_points`` does.

        Rules (sn-calibration ``src/soccerpitch.py``): a straight element starts at its first extremity, adds
        ``int(length / dist - 1)`` points every ``dist`` metres and ends with its second extremity; the centre circle
        starts at angle 0 and adds points every ``dist_circles`` metres of arc, ``int(2 pi r / dist_circles) - 1`` of
        them (the polyline is not closed); a penalty arc starts at its first end, adds ``int(arc length /
        dist_circles)`` points every ``dist_circles`` metres and ends with its other end. The evaluator calls it with
        ``dist = 0.9``.
        """
        out: dict[str, np.ndarray] = {}
        central = self._arcs["Circle central"]
        n_c = int(central.radius * 2 * math.pi / dist_circles)
        dangle = dist_circles / central.radius
        out["Circle central"] = central.points(np.arange(n_c) * dangle)
        for name in LINE_CLASSES:
            a, b = self._segments[name]
            total = float(np.linalg.norm(b - a))
            n = int(total / dist - 1)
            v = (b - a) / total
            inner = a[None] + dist * np.arange(1, n + 1)[:, None] * v[None] if n > 0 else np.zeros((0, 3))
            out[name] = np.concatenate([a[None], inner, b[None]], axis=0)
        for name in ("Circle left", "Circle right"):
            arc = self._arcs[name]
            # sn-calibration walks the left arc from its top end (negative y) and the right arc from its bottom end
            # (positive y); both walks are counter-clockwise.
            start, end = arc.start_angle, arc.end_angle
            n = int(arc.radius * (end - start) / dist_circles)
            dangle = dist_circles / arc.radius
            angles = np.concatenate([[start], start + dangle * np.arange(1, n + 1), [end]])
            out[name] = arc.points(angles)
        return out

    # ---------------------------------------------------------------------------------------------------- symmetry
    @staticmethod
    def element_classes() -> tuple[str, ...]:
        """The 26 element classes (23 straight, 3 circular)."""
        return (*LINE_CLASSES, *CIRCLE_CLASSES)

    @staticmethod
    def is_goal_element(name: str) -> bool:
        return name in GOAL_CLASSES
