"""Starting cameras for the refinement, from one frame's observations.

1. **Homographies** (:func:`candidate_homographies`). Tier 0: a normalised DLT of the straight ground lines and the
   ground keypoints (:func:`~soccermaster_hf.geometry.homography.homography_from_constraints`). Tier 1 (tried when
   tier 0 gives no good camera): circles are used too. The centre circle, the halfway line and a touch line determine
   the homography through the halfway line's 1-D projectivity, the conic's tangents where the halfway line crosses it
   (images of ``y = -+9.15``, meeting the touch line at the ``x`` vanishing point) and the circle's width
   (:func:`central_circle_homographies`); the penalty arcs give their two ends on the 16-m line (conic x line
   intersections) as extra correspondences (:func:`circle_correspondences`).
2. **Decomposition** of each homography (:func:`homography_cameras`): the free-focal estimate, or, when lens
   distortion makes it fail, fixed-focal decompositions over a grid of focal lengths.
3. **Broadcast priors** (:func:`prior_cameras`) when no homography works: 108 cameras behind the near touch line,
   looking at the observed elements.

The calibrator scores all starts in one batched residual evaluation and refines the best.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.config import SolverConfig
from soccermaster_hf.geometry.homography import (
    camera_from_homography,
    conic_line_intersections,
    fit_conic,
    fit_line,
    homography_from_constraints,
)
from soccermaster_hf.geometry.observations import PitchObservations
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.modeling.pitch_definitions import CENTER_CIRCLE_RADIUS, CIRCLE_CLASSES, GROUND_LINE_CLASSES

__all__ = [
    "candidate_homographies",
    "central_circle_homographies",
    "circle_correspondences",
    "ground_constraints",
    "homography_cameras",
    "prior_cameras",
]


def ground_constraints(
    obs: PitchObservations, pitch: PitchModel, classes: Iterable[str]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]:
    """``(pitch line, image points)`` of the observed straight ground lines among ``classes`` and ``(pitch point,
    image point)`` of the observed ground keypoints: the input of the DLT."""
    line_points = [
        (pitch.ground_line(name), obs.lines[name]) for name in classes if name in GROUND_LINE_CLASSES
    ]
    kp_all = pitch.keypoints()
    point_pairs = [
        (kp_all[i][:2], np.array(v[:2])) for i, v in obs.keypoints.items() if kp_all[i][2] == 0.0 and v[2] > 0.0
    ]
    return line_points, point_pairs


def circle_correspondences(
    obs: PitchObservations, pitch: PitchModel, classes: Iterable[str]
) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """Alternative sets of point correspondences implied by fitted image conics (see the module docstring).

    Returns a list of options (the assignment of an intersection to its pitch point is ambiguous in some cases,
    each option is one assignment); the product of the options of all circles is tried.
    """
    classes = set(classes)
    per_circle: list[list[list[tuple[np.ndarray, np.ndarray]]]] = []
    for circle, line_name in (
        ("Circle central", "Middle line"),
        ("Circle left", "Big rect. left main"),
        ("Circle right", "Big rect. right main"),
    ):
        if circle not in classes or line_name not in classes or len(obs.lines[circle]) < 5:
            continue
        conic = fit_conic(obs.lines[circle])
        line = fit_line(obs.lines[line_name])
        if conic is None or line is None:
            continue
        inter = conic_line_intersections(conic, line)
        if inter is None:
            continue
        p0, p1 = inter
        arc = pitch.arc(circle)
        x0 = pitch.segment(line_name)[0][0]
        dy = math.sqrt(max(arc.radius**2 - (x0 - arc.centre[0]) ** 2, 0.0))
        w_top, w_bottom = np.array([x0, -dy]), np.array([x0, dy])
        options: list[list[tuple[np.ndarray, np.ndarray]]] = []
        side = None
        if circle == "Circle central":
            for side_name, side_y in (
                ("Side line top", -pitch.width / 2),
                ("Side line bottom", pitch.width / 2),
            ):
                if side_name in classes:
                    side_line = fit_line(obs.lines[side_name])
                    if side_line is not None:
                        s = np.cross(side_line, line)
                        if abs(s[2]) > 1e-12:
                            side = (s[:2] / s[2], side_y)
                            break
        if side is not None:
            s_pt, s_y = side
            # the intersection nearer to the touch-line point has the same sign of y
            near, far = (p0, p1) if np.linalg.norm(p0 - s_pt) < np.linalg.norm(p1 - s_pt) else (p1, p0)
            a_img, b_img = (near, far) if s_y < 0 else (far, near)  # a: y = -r, b: y = +r
            options.append([(w_top, a_img), (w_bottom, b_img), (np.array([0.0, s_y]), s_pt)])
        else:
            options.append([(w_top, p0), (w_bottom, p1)])
            options.append([(w_top, p1), (w_bottom, p0)])
        per_circle.append(options)
    combos: list[list[tuple[np.ndarray, np.ndarray]]] = [[]]
    for options in per_circle:
        combos = [c + o for c in combos for o in options]
    return combos if per_circle else []


def candidate_homographies(
    obs: PitchObservations, pitch: PitchModel, classes: list[str], tier: int
) -> list[np.ndarray]:
    """Candidate pitch-to-image homographies.

    Tier 0: DLT of the straight ground lines and keypoints. Tier 1 (tried when tier 0 gives no good camera):
    the same plus circle-derived correspondences, and the centre-circle construction.
    """
    line_points, point_pairs = ground_constraints(obs, pitch, classes)
    gs = []
    if tier == 0:
        gs.append(homography_from_constraints(line_points, point_pairs))
    else:
        for extra in circle_correspondences(obs, pitch, classes):
            gs.append(homography_from_constraints(line_points, point_pairs + extra))
    out = []
    for g_c in gs:
        if g_c is None:
            continue
        try:
            out.append(np.linalg.inv(g_c))
        except np.linalg.LinAlgError:
            continue
    if tier == 1:
        out += central_circle_homographies(obs, pitch, classes)
    return out


def central_circle_homographies(obs: PitchObservations, pitch: PitchModel, classes: list[str]) -> list[np.ndarray]:
    """Homographies from the centre circle, the halfway line and a touch line (no other straight line needed).

    The circle and the halfway line meet at the images ``A``, ``B`` of ``(0, -r)``, ``(0, r)``; with the touch
    line's crossing ``S`` these fix the 1-D projectivity of the halfway line, i.e. the homography's columns for
    ``y`` and for the origin. The tangents to the image conic at ``A`` and ``B`` are the images of the lines
    ``y = -r`` and ``y = r``; with the touch line they meet at the vanishing point ``v`` of the ``x`` axis, the
    first column up to a scale ``alpha``. Every circle point then gives ``alpha^2`` (``(x/alpha)^2 + y^2 = r^2``);
    the median is used and both signs are returned.
    """
    names = set(classes)
    if "Circle central" not in names or "Middle line" not in names or len(obs.lines["Circle central"]) < 5:
        return []
    side = next((n for n in ("Side line top", "Side line bottom") if n in names), None)
    if side is None:
        return []
    s_y = -pitch.width / 2 if side == "Side line top" else pitch.width / 2
    conic = fit_conic(obs.lines["Circle central"])
    middle = fit_line(obs.lines["Middle line"])
    side_line = fit_line(obs.lines[side])
    if conic is None or middle is None or side_line is None:
        return []
    inter = conic_line_intersections(conic, middle)
    s_h = np.cross(side_line, middle)
    if inter is None or abs(s_h[2]) < 1e-12:
        return []
    s_pt = s_h[:2] / s_h[2]
    p0, p1 = inter
    near, far = (p0, p1) if np.linalg.norm(p0 - s_pt) < np.linalg.norm(p1 - s_pt) else (p1, p0)
    a_img, b_img = (near, far) if s_y < 0 else (far, near)
    r = CENTER_CIRCLE_RADIUS
    direction = b_img - a_img
    norm = float(np.linalg.norm(direction))
    if norm < 1e-9:
        return []
    direction = direction / norm
    s_vals = np.array([float((s_pt - a_img) @ direction), 0.0, norm])
    y_vals = np.array([s_y, -r, r])
    _, _, vt = np.linalg.svd(np.column_stack([s_vals, np.ones(3), -y_vals * s_vals, -y_vals]))
    m0, m1, m2, m3 = vt[-1]
    a_h, d_h = np.append(a_img, 1.0), np.append(direction, 0.0)
    h2 = -m2 * a_h + m3 * d_h
    h3 = m0 * a_h - m1 * d_h
    lines = []
    for ln in (conic @ np.append(a_img, 1.0), conic @ np.append(b_img, 1.0), side_line):
        lines.append(ln / (np.hypot(ln[0], ln[1]) + 1e-300))
    _, _, vt = np.linalg.svd(np.array(lines))
    v_x = vt[-1]
    h1 = np.column_stack([v_x, h2, h3])
    try:
        g1 = np.linalg.inv(h1)
    except np.linalg.LinAlgError:
        return []
    pts = obs.lines["Circle central"]
    q = np.column_stack([pts, np.ones(len(pts))]) @ g1.T
    q = q[:, :2] / q[:, 2:3]
    denom = r * r - q[:, 1] ** 2
    ok = denom > 0.1 * r * r
    if not np.any(ok):
        return []
    alpha = math.sqrt(float(np.median(q[ok, 0] ** 2 / denom[ok])))
    if not np.isfinite(alpha) or alpha <= 0:
        return []
    return [np.column_stack([sign * alpha * v_x, h2, h3]) for sign in (1.0, -1.0)]


def homography_cameras(obs: PitchObservations, h: np.ndarray, config: SolverConfig) -> list[Camera]:
    """Cameras from one homography: free-focal decomposition, plus fixed-focal decompositions over a grid
    (used when lens distortion or noise makes the free-focal estimate unreliable)."""
    width = obs.image_size[0]
    pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
    pts = np.concatenate([v for v in obs.lines.values()] or [np.zeros((0, 2))])
    out = []
    cam = camera_from_homography(h, pp, pts)
    if cam is not None and config.min_focal_factor * width <= cam.fx <= config.max_focal_factor * width:
        return [cam]
    for factor in (0.8, 1.2, 1.8, 2.7, 4.0, 6.0):
        cam = camera_from_homography(h, pp, pts, focal=factor * width)
        if cam is not None:
            out.append(cam)
    return out


def prior_cameras(obs: PitchObservations, pitch: PitchModel, classes: list[str]) -> list[Camera]:
    """Broadcast-camera starting points (behind the near touch line, looking at the observed elements)."""
    width = obs.image_size[0]
    pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
    mids = []
    for name in classes:
        if name in CIRCLE_CLASSES:
            c = pitch.arc(name).centre
            mids.append([c[0], c[1], 0.0])
        else:
            a, b = pitch.segment(name)
            mids.append((a + b) / 2)
    target = np.mean(np.array(mids), axis=0) if mids else np.zeros(3)
    target[2] = 0.0
    cams = []
    for x_factor in (0.5, 1.0, 1.5):  # camera x relative to the target's x
        for behind in (6.0, 26.0, 56.0):  # metres behind the near touch line
            for height in (10.0, 20.0, 35.0):
                for focal_factor in (0.8, 1.5, 2.5, 4.0):
                    pos = np.array([target[0] * x_factor, pitch.width / 2 + behind, -height])
                    try:
                        cams.append(Camera.look_at(pos, target, focal_factor * width, pp))
                    except ValueError:
                        continue
    return cams
