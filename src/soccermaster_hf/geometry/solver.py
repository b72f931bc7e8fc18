"""Camera calibration from pitch observations: robust homography, decomposition, non-linear refinement.

Pipeline (:class:`CameraCalibrator`):

1. **Constraints.** Straight ground elements give point-on-line constraints, goal posts/crossbars give point-on-3-D
   segment constraints, circles give point-on-circle constraints, keypoints give point correspondences.
2. **Initial homography.** The image-to-pitch homography ``G`` is linear in the point-on-line constraints
   (``L^T G p = 0`` for an image point ``p`` on the pitch line ``L``) and in keypoint correspondences
   (``q x G p = 0``), so a normalised DLT (Hartley & Zisserman, *Multiple View Geometry*, 2nd ed., §4.1, §4.4) gives
   it from >= 8 independent equations (tier 0). When that gives no good camera, circles are used (tier 1): the
   centre circle, the halfway line and a touch line determine ``G`` through the halfway line's 1-D projectivity, the
   conic's tangents where the halfway line crosses it (images of ``y = -+9.15``, meeting the touch line at the
   ``x`` vanishing point) and the circle's width (:meth:`CameraCalibrator._central_circle_homographies`); the
   penalty arcs give their two ends on the 16-m line (conic x line intersections) as extra correspondences.
3. **Decomposition** into ``K, R, C`` under broadcast priors — square pixels, principal point at the image centre,
   zero skew (H&Z §8.8: ``h1^T w h2 = 0`` and ``h1^T w h1 = h2^T w h2`` with ``w = K^-T K^-1``) — choosing the sign that
   puts the observed points in front of an upright camera above the pitch. Lens distortion can make the free-focal
   estimate fail; decompositions at a grid of fixed focal lengths are then tried, the starts are scored in one
   batched residual evaluation and the best are refined.
4. **Refinement** of focal length, rotation, position and radial distortion ``k1`` (optionally principal point and
   aspect) with ``scipy.optimize.least_squares`` (trust-region reflective, bounded), minimising point-to-line,
   point-to-3-D-segment and point-to-circle distances in pixels (circle distances by the first-order geometric
   (Sampson) approximation), keypoint reprojection errors and a weak zero-roll prior. The first fit is plain least
   squares; if a class is off by more than ``ransac_threshold_px`` the fit is redone with a robust loss
   (``soft_l1``) and classes are chosen by RANSAC over 4-line subsets (Fischler & Bolles 1981); rejected classes are
   reported in :attr:`CalibrationResult.outlier_classes`.
5. Without a usable homography, refinement starts from broadcast-camera priors (camera behind the near touch line,
   looking at the observed elements; 108 candidates scored in one batched call, the 3 best refined).
6. **Mirror ambiguity.** When every observed class is its own mirror image ("Middle line", "Circle central"), the
   labels cannot tell the two sides apart; the solution with the camera on the main (``y > 0``) side is returned.
7. **Checks.** A rank test on the Jacobian rejects under-determined configurations (e.g. parallel lines only,
   ``degenerate_geometry``); an RMS residual above ``max_rms_px`` gives ``inconsistent_observations``.

Every failure is returned as a :class:`CalibrationFailure` with a reason code and a message; no numpy/scipy exception
escapes :meth:`CameraCalibrator.calibrate`.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.observations import PitchObservations
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.modeling.pitch_definitions import (
    CENTER_CIRCLE_RADIUS,
    CIRCLE_CLASSES,
    GOAL_CLASSES,
    GROUND_LINE_CLASSES,
    MIRROR_CLASS,
)

__all__ = [
    "CalibrationFailure",
    "CalibrationResult",
    "CameraCalibrator",
    "SolverConfig",
    "calibrate",
    "calibrate_predicted",
    "homography_from_constraints",
    "camera_from_homography",
    "mirror_camera",
]


# ======================================================================================================== results
@dataclass(frozen=True)
class CalibrationFailure:
    """Why no camera was produced.

    ``reason`` is one of: ``empty_input``, ``too_few_constraints``, ``degenerate_geometry``, ``no_valid_camera``,
    ``inconsistent_observations``, ``internal_error``.
    """

    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass
class CalibrationResult:
    """Outcome of one calibration: ``camera`` on success, ``failure`` otherwise.

    Attributes:
        rms_px: root-mean-square residual over all observed points (pixels).
        class_errors: largest residual (pixels) per observed class.
        outlier_classes: classes rejected as outliers by RANSAC / consistency checks.
        mirrored: whether the camera was swapped to its mirror solution (ambiguous labels).
        method: ``"homography"``, ``"prior_search"`` or ``"previous_frame"`` (how the refinement was initialised;
            :func:`calibrate_predicted` appends ``"+keypoints_only"`` / ``"+lines_only"``).
        time_ms: wall time of the call.
    """

    camera: Camera | None
    failure: CalibrationFailure | None = None
    rms_px: float = math.nan
    class_errors: dict[str, float] = field(default_factory=dict)
    outlier_classes: list[str] = field(default_factory=list)
    mirrored: bool = False
    method: str = ""
    time_ms: float = 0.0
    source: str = ""

    @property
    def success(self) -> bool:
        return self.camera is not None


@dataclass
class SolverConfig:
    """Settings of :class:`CameraCalibrator`.

    Attributes:
        loss, loss_scale_px: robust loss of ``least_squares`` and its soft threshold in pixels. The first refinement
            is least squares (fast); the robust loss is used when a class's largest residual exceeds
            ``ransac_threshold_px`` (possible outliers).
        estimate_distortion: also estimate radial distortion ``k1`` (on by default: broadcast lenses bend lines by
            several pixels at the image border, the largest error source on WorldCup 2014).
        roll_sigma_deg: standard deviation of the zero-roll prior (``None`` disables it).
        ransac_threshold_px: a class whose largest residual exceeds this after the first fit triggers the robust
            refit and class RANSAC.
        max_rms_px: a solution with a larger RMS residual is reported as ``inconsistent_observations``.
        min_focal_factor, max_focal_factor: focal-length bounds as multiples of the image width.
        prefer_main_side: return the main-side solution when the observed labels are mirror-symmetric.
        max_nfev: cap on residual evaluations per refinement (converged solutions need 10-30).
        absent_class_margin_px: push pitch elements that are *not* observed out of the image when they enter it by
            at most this many pixels (annotators skip elements that only touch the border). 0 disables it.
        free_principal_point, principal_point_sigma_px: also estimate the principal point, with a Gaussian prior
            around the image centre.
        free_aspect, aspect_sigma: also estimate ``fy / fx`` (log-ratio prior ``aspect_sigma``).
        tolerance: ``ftol = xtol = gtol`` of ``least_squares``.
        good_rms_px: an RMS residual below this ends the search over starting cameras.
        max_extent_error_px: the residuals measure distances to infinite lines and full circles; a final check
            measures, as the SoccerNet metric does, the distance of every observed point to the *projected, clipped*
            element, and reports ``inconsistent_observations`` when one exceeds this (points far beyond a segment's
            end or on the unpainted part of a penalty arc, e.g. a centre circle + penalty arc view that the line
            residuals alone cannot pin down). ``0`` disables the check.
        keypoint_ransac_px: with 5 or more ground keypoints, fit a pitch-to-image homography to them with OpenCV's
            RANSAC at this reprojection threshold (pixels, scaled by image width / 960) first and drop the keypoints
            it rejects (reported in ``outlier_classes`` as ``"keypoint <index>"``). Predicted keypoints with a wrong
            identity otherwise pull every camera off (the class RANSAC only samples line classes). ``0`` disables it.
    """

    loss: str = "soft_l1"
    loss_scale_px: float = 1.5
    estimate_distortion: bool = True
    roll_sigma_deg: float | None = 10.0
    ransac_threshold_px: float = 12.0
    max_rms_px: float = 20.0
    min_focal_factor: float = 0.2
    max_focal_factor: float = 50.0
    prefer_main_side: bool = True
    max_nfev: int = 60
    absent_class_margin_px: float = 0.0
    free_principal_point: bool = False
    principal_point_sigma_px: float = 20.0
    free_aspect: bool = False
    aspect_sigma: float = 0.02
    tolerance: float = 1e-6
    good_rms_px: float = 6.0
    max_extent_error_px: float = 30.0
    keypoint_ransac_px: float = 15.0


# ======================================================================================================== helpers
def _rodrigues(rvec: np.ndarray) -> np.ndarray:
    theta = float(np.linalg.norm(rvec))
    if theta < 1e-12:
        kx, ky, kz = rvec
        return np.eye(3) + np.array([[0, -kz, ky], [kz, 0, -kx], [-ky, kx, 0]])
    k = rvec / theta
    kx, ky, kz = k
    kk = np.array([[0, -kz, ky], [kz, 0, -kx], [-ky, kx, 0]])
    return np.eye(3) + math.sin(theta) * kk + (1 - math.cos(theta)) * (kk @ kk)


def _rodrigues_batch(rvecs: np.ndarray) -> np.ndarray:
    """Rotation matrices (B, 3, 3) from rotation vectors (B, 3)."""
    theta = np.linalg.norm(rvecs, axis=1)
    small = theta < 1e-12
    k = rvecs / np.where(small, 1.0, theta)[:, None]
    kk = np.zeros((len(rvecs), 3, 3))
    kk[:, 0, 1], kk[:, 0, 2], kk[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kk[:, 1, 0], kk[:, 2, 0], kk[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    sin = np.where(small, 0.0, np.sin(theta))[:, None, None]
    one_cos = np.where(small, 0.0, 1 - np.cos(theta))[:, None, None]
    return np.eye(3)[None] + sin * kk + one_cos * (kk @ kk)


def _clip_inside(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Clip ``x`` strictly inside finite bounds."""
    margin_lo = np.where(np.isfinite(lower), 1e-6 * np.maximum(np.abs(lower), 1.0), 0.0)
    margin_hi = np.where(np.isfinite(upper), 1e-6 * np.maximum(np.abs(upper), 1.0), 0.0)
    return np.clip(x, lower + margin_lo, upper - margin_hi)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (faster than ``np.cross`` for small arrays)."""
    return np.stack(
        [
            a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
            a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
            a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0],
        ],
        axis=-1,
    )


def _rotvec(rotation: np.ndarray) -> np.ndarray:
    r = np.asarray(rotation, dtype=float)
    cos = max(-1.0, min(1.0, (np.trace(r) - 1) / 2))
    theta = math.acos(cos)
    if theta < 1e-9:
        return np.zeros(3)
    if math.pi - theta < 1e-6:
        # near pi: axis from the diagonal
        axis = np.sqrt(np.maximum((np.diag(r) + 1) / 2, 0.0))
        i = int(np.argmax(axis))
        axis[(i + 1) % 3] = math.copysign(axis[(i + 1) % 3], r[i, (i + 1) % 3])
        axis[(i + 2) % 3] = math.copysign(axis[(i + 2) % 3], r[i, (i + 2) % 3])
        return axis / np.linalg.norm(axis) * theta
    w = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]]) / (2 * math.sin(theta))
    return w * theta


def mirror_camera(camera: Camera) -> Camera:
    """The camera seen through the central symmetry of the pitch (rotation by pi about the vertical axis).

    It sees the mirrored labels exactly where ``camera`` sees the original ones.
    """
    flip = np.diag([-1.0, -1.0, 1.0])
    out = camera.copy()
    out.rotation = camera.rotation @ flip
    out.position = flip @ camera.position
    return out


def _normalization(points: np.ndarray) -> np.ndarray:
    """Similarity taking 2-D points to zero mean and mean distance sqrt(2) (Hartley normalisation)."""
    centre = points.mean(axis=0)
    dist = np.mean(np.linalg.norm(points - centre, axis=1))
    s = math.sqrt(2) / dist if dist > 1e-12 else 1.0
    return np.array([[s, 0, -s * centre[0]], [0, s, -s * centre[1]], [0, 0, 1.0]])


def homography_from_constraints(
    line_points: Sequence[tuple[np.ndarray, np.ndarray]],
    point_pairs: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> np.ndarray | None:
    """Image-to-pitch homography ``G`` from point-on-line constraints and point correspondences (normalised DLT).

    Args:
        line_points: ``(pitch line (a, b, c), (N, 2) image points on it)`` pairs.
        point_pairs: ``(pitch point (x, y), image point (u, v))`` pairs.

    Returns:
        ``G`` (3, 3) with ``G[2, 2]``-free scale, or ``None`` if the constraints do not determine it (fewer than 8
        independent equations, degenerate configuration).
    """
    img = [pts for _, pts in line_points] + [np.asarray(p[1], dtype=float)[None] for p in point_pairs]
    if not img:
        return None
    all_img = np.concatenate(img, axis=0)
    pitch_pts = [np.asarray(p[0], dtype=float)[None] for p in point_pairs]
    for line, _ in line_points:
        # two points of the pitch line, for the normalisation of pitch coordinates
        a, b, c = line
        foot = -c * np.array([a, b])
        pitch_pts.append(np.stack([foot - 30 * np.array([-b, a]), foot + 30 * np.array([-b, a])]))
    all_pitch = np.concatenate(pitch_pts, axis=0)
    t_img, t_pitch = _normalization(all_img), _normalization(all_pitch)
    t_pitch_inv_t = np.linalg.inv(t_pitch).T
    rows = []
    for line, pts in line_points:
        ln = t_pitch_inv_t @ np.asarray(line, dtype=float)
        ph = np.column_stack([pts, np.ones(len(pts))]) @ t_img.T
        rows.append((ln[None, :, None] * ph[:, None, :]).reshape(len(pts), 9))
    for q, p in point_pairs:
        qn = t_pitch @ np.array([q[0], q[1], 1.0])
        pn = t_img @ np.array([p[0], p[1], 1.0])
        # q x (G p) = 0: two independent rows
        zero = np.zeros(3)
        rows.append(np.concatenate([zero, -qn[2] * pn, qn[1] * pn])[None])
        rows.append(np.concatenate([qn[2] * pn, zero, -qn[0] * pn])[None])
    a_mat = np.concatenate(rows, axis=0)
    if a_mat.shape[0] < 8:
        return None
    try:
        _, s, vt = np.linalg.svd(a_mat)
    except np.linalg.LinAlgError:
        return None
    if s.size < 8 or s[7] < 1e-9 * s[0]:
        return None  # null space of dimension >= 2: under-determined
    g_n = vt[-1].reshape(3, 3)
    g = np.linalg.inv(t_pitch) @ g_n @ t_img
    if not np.all(np.isfinite(g)) or abs(np.linalg.det(g)) < 1e-300:
        return None
    return g / np.linalg.norm(g)


def camera_from_homography(
    homography: np.ndarray,
    principal_point: tuple[float, float],
    image_points: np.ndarray | None = None,
    focal: float | None = None,
) -> Camera | None:
    """Decompose a pitch-to-image homography into a camera with square pixels and a known principal point.

    Args:
        homography: (3, 3) pitch plane ``(x, y, 1)`` -> image pixels.
        image_points: observed image points used to choose the sign (they must be in front of the camera).
        focal: use this focal length instead of estimating it.

    Returns:
        The camera, or ``None`` when the homography is not that of a camera above the pitch under these priors.
    """
    cx, cy = principal_point
    shift = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
    h = shift @ np.asarray(homography, dtype=float)
    h = h / np.linalg.norm(h)
    h1, h2 = h[:, 0], h[:, 1]
    if focal is None:
        # w = 1/f^2 from h1^T W h2 = 0 and h1^T W h1 = h2^T W h2 with W = diag(w, w, 1)
        a1, b1 = h1[0] * h2[0] + h1[1] * h2[1], h1[2] * h2[2]
        a2, b2 = h1[0] ** 2 + h1[1] ** 2 - h2[0] ** 2 - h2[1] ** 2, h1[2] ** 2 - h2[2] ** 2
        den = a1 * a1 + a2 * a2
        if den <= 0:
            return None
        w = -(a1 * b1 + a2 * b2) / den
        if not w > 0:
            return None
        focal = 1.0 / math.sqrt(w)
    k_inv = np.diag([1.0 / focal, 1.0 / focal, 1.0])
    m = k_inv @ h
    n1, n2 = np.linalg.norm(m[:, 0]), np.linalg.norm(m[:, 1])
    if n1 < 1e-12 or n2 < 1e-12:
        return None
    best: Camera | None = None
    for sign in (1.0, -1.0):
        lam = sign * 2.0 / (n1 + n2)
        r1, r2, t = m[:, 0] * lam, m[:, 1] * lam, m[:, 2] * lam
        r = np.column_stack([r1, r2, np.cross(r1, r2)])
        u, _, vt = np.linalg.svd(r)
        r = u @ vt
        if np.linalg.det(r) < 0:
            continue
        position = -r.T @ t
        camera = Camera(focal, focal, cx, cy, r, position)
        if image_points is not None and len(image_points):
            # depth of the observed ground points must be positive
            try:
                g = np.linalg.inv(camera.ground_homography())
            except np.linalg.LinAlgError:
                continue  # the camera centre lies on the pitch plane
            q = np.column_stack([image_points, np.ones(len(image_points))]) @ g.T
            with np.errstate(divide="ignore", invalid="ignore"):
                q = q[:, :2] / q[:, 2:3]
            pts = np.column_stack([q, np.zeros(len(q))])
            depth = camera.to_camera(pts)[:, 2]
            if not np.all(np.isfinite(depth)) or np.median(depth) <= 0:
                continue
        elif t[2] <= 0:
            continue
        if position[2] >= 0:
            continue  # below the pitch: a reflected solution
        if r[1, 2] <= 0:
            continue  # image "down" pointing up: an upside-down (mirrored-labels) solution
        best = camera
        break
    return best


# ======================================================================================================== problem
class _Problem:
    """Vectorised residuals of one frame's observations.

    Parameter vector: ``[f, rotation vector (3), camera centre (3)]`` + ``[k1]`` + ``[dcx, dcy]`` + ``[log(fy/fx)]``
    (the optional parts as configured). Residual functions take a batch ``(B, P)`` of parameter vectors so that
    the forward-difference Jacobian costs one vectorised call.
    """

    def __init__(self, obs: PitchObservations, pitch: PitchModel, config: SolverConfig, classes: Iterable[str]):
        self.config = config
        width, height = obs.image_size
        self.cx, self.cy = (width - 1) / 2.0, (height - 1) / 2.0
        self.width, self.height = width, height
        classes = set(classes)
        gl_a, gl_b, gl_pts, gl_idx, gl_names = [], [], [], [], []
        s_a, s_b, s_pts, s_idx, s_names = [], [], [], [], []
        c_ctr, c_rad, c_pts, c_idx, c_names = [], [], [], [], []
        for name in sorted(classes):
            pts = obs.lines[name]
            if name in CIRCLE_CLASSES:
                arc = pitch.arc(name)
                c_idx += [len(c_names)] * len(pts)
                c_names.append(name)
                c_ctr.append(arc.centre)
                c_rad.append(arc.radius)
                c_pts.append(pts)
            elif name in GOAL_CLASSES:
                a, b = pitch.segment(name)
                s_idx += [len(s_names)] * len(pts)
                s_names.append(name)
                s_a.append(np.append(a, 1.0))
                s_b.append(np.append(b, 1.0))
                s_pts.append(pts)
            elif name in GROUND_LINE_CLASSES:
                a, b = pitch.segment(name)
                gl_idx += [len(gl_names)] * len(pts)
                gl_names.append(name)
                gl_a.append([a[0], a[1], 1.0])
                gl_b.append([b[0], b[1], 1.0])
                gl_pts.append(pts)

        def stack(lst: list, dim: int) -> np.ndarray:
            return np.concatenate(lst, axis=0) if lst else np.zeros((0, dim))

        self.gl_names, self.s_names, self.c_names = gl_names, s_names, c_names
        self.gl_a, self.gl_b = np.array(gl_a).reshape(-1, 3), np.array(gl_b).reshape(-1, 3)
        self.gl_pts, self.gl_idx = stack(gl_pts, 2), np.array(gl_idx, dtype=int)
        self.s_a, self.s_b = np.array(s_a).reshape(-1, 4), np.array(s_b).reshape(-1, 4)
        self.s_pts, self.s_idx = stack(s_pts, 2), np.array(s_idx, dtype=int)
        self.c_ctr, self.c_rad = np.array(c_ctr).reshape(-1, 2), np.array(c_rad)
        self.c_pts, self.c_idx = stack(c_pts, 2), np.array(c_idx, dtype=int)
        self.c_ctr_pts = self.c_ctr[self.c_idx] if len(self.c_idx) else np.zeros((0, 2))
        self.c_rad_pts = self.c_rad[self.c_idx] if len(self.c_idx) else np.zeros(0)
        kp_all = pitch.keypoints()
        kp_items = sorted(obs.keypoints.items())
        self.k_world = np.array([np.append(kp_all[i], 1.0) for i, _ in kp_items]).reshape(-1, 4)
        self.k_pts = np.array([[v[0], v[1]] for _, v in kp_items]).reshape(-1, 2)
        self.k_w = np.sqrt(np.array([max(v[2], 0.0) for _, v in kp_items]))
        self.k_idx = [i for i, _ in kp_items]
        self.all_pts = np.concatenate([self.gl_pts, self.s_pts, self.c_pts, self.k_pts], axis=0)
        self.n_residuals = len(self.gl_pts) + len(self.s_pts) + len(self.c_pts) + 2 * len(self.k_pts)
        self.absent: list[tuple[str, np.ndarray]] = []
        self.index = {name: i for i, name in enumerate(self._layout())}
        self._bounds = self.bounds()

    # ------------------------------------------------------------------------------------------------ parameters
    def _layout(self) -> list[str]:
        cfg = self.config
        names = ["f", "r0", "r1", "r2", "px", "py", "pz"]
        if cfg.estimate_distortion:
            names.append("k1")
        if cfg.free_principal_point:
            names += ["dcx", "dcy"]
        if cfg.free_aspect:
            names.append("log_aspect")
        return names

    def unpack(self, x: np.ndarray) -> tuple[float, float, float, float, np.ndarray, np.ndarray, np.ndarray]:
        """``(fx, fy, cx, cy, R, C, (k1, k2))`` from a parameter vector."""
        fx, fy, cx, cy, r, c, k = self._unpack_batch(np.asarray(x, dtype=float)[None])
        return float(fx[0]), float(fy[0]), float(cx[0]), float(cy[0]), r[0], c[0], k[0]

    def _unpack_batch(self, xb: np.ndarray) -> tuple[np.ndarray, ...]:
        idx = self.index
        f = xb[:, 0]
        fy = f * np.exp(xb[:, idx["log_aspect"]]) if "log_aspect" in idx else f
        cx = self.cx + (xb[:, idx["dcx"]] if "dcx" in idx else 0.0) + np.zeros_like(f)
        cy = self.cy + (xb[:, idx["dcy"]] if "dcy" in idx else 0.0) + np.zeros_like(f)
        k1 = xb[:, idx["k1"]] if "k1" in idx else np.zeros_like(f)
        k2 = xb[:, idx["k2"]] if "k2" in idx else np.zeros_like(f)
        return f, fy, cx, cy, _rodrigues_batch(xb[:, 1:4]), xb[:, 4:7], np.stack([k1, k2], axis=-1)

    def camera(self, x: np.ndarray) -> Camera:
        fx, fy, cx, cy, r, c, k = self.unpack(x)
        cam = Camera(fx, fy, cx, cy, r, c)
        cam.radial[:2] = k
        return cam

    def vector(self, camera: Camera) -> np.ndarray:
        v = [camera.fx, *_rotvec(camera.rotation), *camera.position]
        idx = self.index
        if "k1" in idx:
            v.append(camera.radial[0])
        if "dcx" in idx:
            v += [camera.cx - self.cx, camera.cy - self.cy]
        if "log_aspect" in idx:
            v.append(math.log(camera.fy / camera.fx))
        return np.array(v, dtype=float)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        cfg = self.config
        w = self.width
        lower = {
            "f": cfg.min_focal_factor * w,
            "pz": -np.inf,
            "k1": -2.0,
            "dcx": -w / 4,
            "dcy": -w / 4,
            "log_aspect": -0.2,
        }
        upper = {"f": cfg.max_focal_factor * w, "pz": -0.1, "k1": 2.0, "dcx": w / 4, "dcy": w / 4, "log_aspect": 0.2}
        names = self._layout()
        return (
            np.array([lower.get(n, -np.inf) for n in names], dtype=float),
            np.array([upper.get(n, np.inf) for n in names], dtype=float),
        )

    @staticmethod
    def _undistort(pts: np.ndarray, fx, fy, cx, cy, k) -> np.ndarray:
        """Undistort (N, 2) points for a batch of cameras ``(B, N, 2)``; ``k`` = (B, 2) radial ``k1, k2`` (k2 = 0)."""
        scale = np.stack([fx, fy], axis=-1)[:, None, :]
        centre = np.stack([cx, cy], axis=-1)[:, None, :]
        out = np.broadcast_to(pts[None], (len(fx), *pts.shape))
        if not np.any(k):
            return out
        n = (out - centre) / scale
        k1 = k[:, 0, None, None]
        r2 = n[..., 0:1] ** 2 + n[..., 1:2] ** 2
        # series inverse of x_d = x_u (1 + k1 r_u^2), accurate to O(k1^3 r^6); k2 is not estimated (tried: it
        # over-fits two-point lines and lowers final@5 on WorldCup 2014 from 97.8 to 86.0)
        u = n * (1 - k1 * r2 + 3 * (k1 * r2) ** 2)
        return u * scale + centre

    # ------------------------------------------------------------------------------------------------ residuals
    def residual_blocks_batch(self, xb: np.ndarray) -> list[np.ndarray]:
        """Residual blocks (ground lines, goal segments, circles, keypoints), each (B, n), for (B, P) parameters."""
        fx, fy, cx, cy, r, c, k = self._unpack_batch(xb)
        bsz = len(fx)
        t = -np.einsum("bij,bj->bi", r, c)
        kmat = np.zeros((bsz, 3, 3))
        kmat[:, 0, 0], kmat[:, 1, 1], kmat[:, 0, 2], kmat[:, 1, 2], kmat[:, 2, 2] = fx, fy, cx, cy, 1.0
        p = kmat @ np.concatenate([r, t[:, :, None]], axis=2)  # (B, 3, 4)
        h = p[:, :, [0, 1, 3]]
        und_all = self._undistort(self.all_pts, fx, fy, cx, cy, k)
        n_gl, n_s, n_c = len(self.gl_pts), len(self.s_pts), len(self.c_pts)
        blocks = []
        for a_pts, b_pts, und, idx, mat in (
            (self.gl_a, self.gl_b, und_all[:, :n_gl], self.gl_idx, h),
            (self.s_a, self.s_b, und_all[:, n_gl : n_gl + n_s], self.s_idx, p),
        ):
            if und.shape[1] == 0:
                blocks.append(np.zeros((bsz, 0)))
                continue
            pa = a_pts @ mat.transpose(0, 2, 1)  # (B, L, 3)
            pb = b_pts @ mat.transpose(0, 2, 1)
            lines = _cross(pa, pb)
            lines = lines / (np.hypot(lines[..., 0], lines[..., 1])[..., None] + 1e-300)
            li = lines[:, idx]
            blocks.append(li[..., 0] * und[..., 0] + li[..., 1] * und[..., 1] + li[..., 2])
        if n_c:
            und = und_all[:, n_gl + n_s : n_gl + n_s + n_c]
            g = np.linalg.inv(h + (np.abs(np.linalg.det(h)) < 1e-300)[:, None, None] * np.eye(3) * 1e-9)
            qh = und @ g[:, :, :2].transpose(0, 2, 1) + g[:, None, :, 2]
            w = qh[..., 2]
            w = np.where(np.abs(w) < 1e-12, 1e-12, w)
            q = qh[..., :2] / w[..., None]
            d = q - self.c_ctr_pts
            rho = np.sqrt(d[..., 0] ** 2 + d[..., 1] ** 2) + 1e-12
            u = d / rho[..., None]
            e = rho - self.c_rad_pts
            # gradient of rho wrt the image point: ((G[:2,:2] - q G[2,:2]) / w)^T u
            gx = u[..., 0] * g[:, None, 0, 0] + u[..., 1] * g[:, None, 1, 0] - (q * u).sum(-1) * g[:, None, 2, 0]
            gy = u[..., 0] * g[:, None, 0, 1] + u[..., 1] * g[:, None, 1, 1] - (q * u).sum(-1) * g[:, None, 2, 1]
            blocks.append(e * np.abs(w) / (np.sqrt(gx * gx + gy * gy) + 1e-12))
        else:
            blocks.append(np.zeros((bsz, 0)))
        if len(self.k_pts):
            und = und_all[:, n_gl + n_s + n_c :]
            proj = self.k_world @ p.transpose(0, 2, 1)
            z = np.where(np.abs(proj[..., 2]) < 1e-9, 1e-9, proj[..., 2])
            uv = proj[..., :2] / z[..., None]
            blocks.append(((uv - und) * self.k_w[None, :, None]).reshape(bsz, -1))
        else:
            blocks.append(np.zeros((bsz, 0)))
        return blocks

    def residual_blocks(self, x: np.ndarray) -> list[np.ndarray]:
        return [blk[0] for blk in self.residual_blocks_batch(np.asarray(x, dtype=float)[None])]

    def prior_residuals_batch(self, xb: np.ndarray) -> list[np.ndarray]:
        cfg = self.config
        out = []
        if cfg.roll_sigma_deg:
            r = _rodrigues_batch(xb[:, 1:4])
            roll = np.degrees(np.arctan2(r[:, 0, 2], r[:, 1, 2]))  # sn convention, tilt in (0, pi)
            out.append(roll[:, None] / cfg.roll_sigma_deg)
        idx = self.index
        if "dcx" in idx:
            out.append(xb[:, [idx["dcx"], idx["dcy"]]] / cfg.principal_point_sigma_px)
        if "log_aspect" in idx:
            out.append(xb[:, [idx["log_aspect"]]] / cfg.aspect_sigma)
        return out

    def residuals_batch(self, xb: np.ndarray) -> np.ndarray:
        blocks = self.residual_blocks_batch(xb)
        blocks += self.prior_residuals_batch(xb)
        if self.absent:
            blocks.append(np.stack([self._absent_residuals(x) for x in xb]))
        out = np.concatenate(blocks, axis=1)
        return np.where(np.isfinite(out), out, 1e6)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        return self.residuals_batch(np.asarray(x, dtype=float)[None])[0]

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """Forward-difference Jacobian, all perturbations evaluated in one batched call."""
        x = np.asarray(x, dtype=float)
        steps = 1e-7 * np.maximum(np.abs(x), 1.0)
        lower, upper = self._bounds
        steps = np.where(x + steps > upper, -steps, steps)  # stay inside the bounds
        xb = np.concatenate([x[None], x[None] + np.diag(steps)], axis=0)
        res = self.residuals_batch(xb)
        return ((res[1:] - res[0][None]) / steps[:, None]).T

    def _absent_residuals(self, x: np.ndarray) -> np.ndarray:
        cam = self.camera(x)
        out = []
        margin = self.config.absent_class_margin_px
        for _, pts in self.absent:
            uv, valid = cam.project(pts)
            uv = uv[valid]
            if len(uv) == 0:
                out.append(0.0)
                continue
            # how far the element reaches into the image (pixels); only small incursions are penalised
            depth_in = np.minimum.reduce(
                [uv[:, 0] + 1.0, self.width - uv[:, 0], uv[:, 1] + 1.0, self.height - uv[:, 1]]
            )
            worst = float(np.max(depth_in))
            out.append(max(worst, 0.0) if worst <= margin else 0.0)
        return np.array(out)

    def undetermined_parameters(self, x: np.ndarray, rcond: float = 1e-6) -> list[str]:
        """Camera parameters (focal, rotation, position) the observations leave free at ``x``.

        Rank test on the column-normalised Jacobian of the data residuals (priors excluded); distortion and the
        optional intrinsics are not tested (they are regularised or may legitimately be weakly observed).
        """
        x = np.asarray(x, dtype=float)
        steps = 1e-6 * np.maximum(np.abs(x[:7]), 1.0)
        xb = np.repeat(x[None], 8, axis=0)
        xb[1:, :7] += np.diag(steps)
        res = np.concatenate(self.residual_blocks_batch(xb), axis=1)
        jac = ((res[1:] - res[0][None]) / steps[:, None]).T  # (n_residuals, 7)
        if jac.shape[0] < 7 or not np.all(np.isfinite(jac)):
            return ["all"]
        # typical scales: focal (relative), rotation (rad), position (10 m)
        scaled = jac * np.array([x[0], 1.0, 1.0, 1.0, 10.0, 10.0, 10.0])
        _, sv, vt = np.linalg.svd(scaled, full_matrices=False)
        if sv[-1] <= rcond * sv[0]:
            direction = np.abs(vt[-1])
            return [self._layout()[i] for i in np.flatnonzero(direction > 0.3)]
        return []

    def class_errors(self, x: np.ndarray) -> dict[str, float]:
        res_gl, res_s, res_c, res_k = self.residual_blocks(x)
        out: dict[str, float] = {}
        for names, idx, res in (
            (self.gl_names, self.gl_idx, res_gl),
            (self.s_names, self.s_idx, res_s),
            (self.c_names, self.c_idx, res_c),
        ):
            for i, name in enumerate(names):
                vals = np.abs(res[idx == i])
                out[name] = float(np.max(vals)) if len(vals) else 0.0
        if len(res_k):
            err = np.linalg.norm(res_k.reshape(-1, 2) / np.maximum(self.k_w[:, None], 1e-12), axis=1)
            for i, e in zip(self.k_idx, err):
                out[f"keypoint {i}"] = float(e)
        return out

    def rms(self, x: np.ndarray) -> float:
        blocks = self.residual_blocks(x)
        res = np.concatenate(blocks)
        return float(np.sqrt(np.mean(res * res))) if len(res) else math.nan


# ======================================================================================================== solver
class CameraCalibrator:
    """Calibrate broadcast cameras from :class:`PitchObservations` (see the module docstring for the method)."""

    def __init__(self, config: SolverConfig | None = None, pitch: PitchModel | None = None):
        self.config = config or SolverConfig()
        self.pitch = pitch or PitchModel()

    # ------------------------------------------------------------------------------------------------ public API
    def calibrate(self, observations: PitchObservations, initial_camera: Camera | None = None) -> CalibrationResult:
        """Calibrate one frame; never raises for bad input (returns a result with ``failure``).

        ``initial_camera`` (e.g. the previous frame's camera of a video): refined first; when it fits the observations
        to ``good_rms_px`` the search over homographies and priors is skipped (``method="previous_frame"``), which
        makes video calibration several times faster. All the checks of a full solve still apply.
        """
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                result = self._calibrate(observations, initial_camera)
        except Exception as error:  # noqa: BLE001 - the contract is "explicit failure objects, never an exception"
            result = CalibrationResult(None, CalibrationFailure("internal_error", f"{type(error).__name__}: {error}"))
        result.time_ms = (time.perf_counter() - start) * 1000.0
        result.source = observations.source
        return result

    def calibrate_batch(self, batch: Iterable[PitchObservations]) -> list[CalibrationResult]:
        """:meth:`calibrate` for each frame of ``batch`` (independent frames)."""
        return [self.calibrate(obs) for obs in batch]

    # ------------------------------------------------------------------------------------------------ internals
    def _fail(self, reason: str, message: str) -> CalibrationResult:
        return CalibrationResult(None, CalibrationFailure(reason, message))

    def _check_input(self, obs: PitchObservations) -> CalibrationResult | None:
        width, height = obs.image_size
        if not (width > 1 and height > 1):
            return self._fail("empty_input", f"invalid image size {obs.image_size}")
        if not obs.lines and not obs.keypoints:
            skipped = f" (skipped: {obs.skipped})" if obs.skipped else ""
            return self._fail("empty_input", f"no usable observation{skipped}")
        for name, pts in obs.lines.items():
            if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
                return self._fail("empty_input", f"class {name!r}: points must be a finite (N, 2) array")
        # constraint count: 7 unknowns (f, rotation, position)
        n_eq = 0
        for name, pts in obs.lines.items():
            n_eq += min(len(pts), 2) if name not in CIRCLE_CLASSES else min(len(pts), 5)
        n_eq += 2 * len(obs.keypoints)
        if n_eq < 7:
            return self._fail(
                "too_few_constraints",
                f"{n_eq} independent equations from classes {sorted(obs.lines)} and {len(obs.keypoints)} keypoints; "
                "at least 7 are needed (e.g. 4 non-parallel lines)",
            )
        return None

    def _ground_constraints(
        self, obs: PitchObservations, classes: Iterable[str]
    ) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]:
        line_points = [
            (self.pitch.ground_line(name), obs.lines[name]) for name in classes if name in GROUND_LINE_CLASSES
        ]
        kp_all = self.pitch.keypoints()
        point_pairs = [
            (kp_all[i][:2], np.array(v[:2])) for i, v in obs.keypoints.items() if kp_all[i][2] == 0.0 and v[2] > 0.0
        ]
        return line_points, point_pairs

    def _circle_correspondences(
        self, obs: PitchObservations, classes: Iterable[str]
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
            conic = _fit_conic(obs.lines[circle])
            line = _fit_line(obs.lines[line_name])
            if conic is None or line is None:
                continue
            inter = _conic_line_intersections(conic, line)
            if inter is None:
                continue
            p0, p1 = inter
            arc = self.pitch.arc(circle)
            x0 = self.pitch.segment(line_name)[0][0]
            dy = math.sqrt(max(arc.radius**2 - (x0 - arc.centre[0]) ** 2, 0.0))
            w_top, w_bottom = np.array([x0, -dy]), np.array([x0, dy])
            options: list[list[tuple[np.ndarray, np.ndarray]]] = []
            side = None
            if circle == "Circle central":
                for side_name, side_y in (
                    ("Side line top", -self.pitch.width / 2),
                    ("Side line bottom", self.pitch.width / 2),
                ):
                    if side_name in classes:
                        side_line = _fit_line(obs.lines[side_name])
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

    def _homographies(self, obs: PitchObservations, classes: list[str], tier: int) -> list[np.ndarray]:
        """Candidate pitch-to-image homographies.

        Tier 0: DLT of the straight ground lines and keypoints. Tier 1 (tried when tier 0 gives no good camera):
        the same plus circle-derived correspondences, and the centre-circle construction.
        """
        line_points, point_pairs = self._ground_constraints(obs, classes)
        gs = []
        if tier == 0:
            gs.append(homography_from_constraints(line_points, point_pairs))
        else:
            for extra in self._circle_correspondences(obs, classes):
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
            out += self._central_circle_homographies(obs, classes)
        return out

    def _central_circle_homographies(self, obs: PitchObservations, classes: list[str]) -> list[np.ndarray]:
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
        s_y = -self.pitch.width / 2 if side == "Side line top" else self.pitch.width / 2
        conic = _fit_conic(obs.lines["Circle central"])
        middle = _fit_line(obs.lines["Middle line"])
        side_line = _fit_line(obs.lines[side])
        if conic is None or middle is None or side_line is None:
            return []
        inter = _conic_line_intersections(conic, middle)
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

    def _homography_cameras(self, obs: PitchObservations, h: np.ndarray) -> list[Camera]:
        """Cameras from one homography: free-focal decomposition, plus fixed-focal decompositions over a grid
        (used when lens distortion or noise makes the free-focal estimate unreliable)."""
        width = obs.image_size[0]
        pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
        pts = np.concatenate([v for v in obs.lines.values()] or [np.zeros((0, 2))])
        out = []
        cam = camera_from_homography(h, pp, pts)
        if cam is not None and self._focal_ok(cam.fx, obs):
            return [cam]
        for factor in (0.8, 1.2, 1.8, 2.7, 4.0, 6.0):
            cam = camera_from_homography(h, pp, pts, focal=factor * width)
            if cam is not None:
                out.append(cam)
        return out

    def _prior_cameras(self, obs: PitchObservations, classes: list[str]) -> list[Camera]:
        """Broadcast-camera starting points (behind the near touch line, looking at the observed elements)."""
        width = obs.image_size[0]
        pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
        mids = []
        for name in classes:
            if name in CIRCLE_CLASSES:
                c = self.pitch.arc(name).centre
                mids.append([c[0], c[1], 0.0])
            else:
                a, b = self.pitch.segment(name)
                mids.append((a + b) / 2)
        target = np.mean(np.array(mids), axis=0) if mids else np.zeros(3)
        target[2] = 0.0
        cams = []
        for x_factor in (0.5, 1.0, 1.5):  # camera x relative to the target's x
            for behind in (6.0, 26.0, 56.0):  # metres behind the near touch line
                for height in (10.0, 20.0, 35.0):
                    for focal_factor in (0.8, 1.5, 2.5, 4.0):
                        pos = np.array([target[0] * x_factor, self.pitch.width / 2 + behind, -height])
                        try:
                            cams.append(Camera.look_at(pos, target, focal_factor * width, pp))
                        except ValueError:
                            continue
        return cams

    def _best_starts(self, problem: _Problem, cameras: list[Camera], keep: int) -> list[np.ndarray]:
        """Score starting cameras in one batched residual evaluation and keep the ``keep`` best."""
        if not cameras:
            return []
        lower, upper = problem.bounds()
        xb = np.stack([_clip_inside(problem.vector(c), lower, upper) for c in cameras])
        res = problem.residuals_batch(xb)
        z = (res / self.config.loss_scale_px) ** 2
        cost = np.sum(2 * (np.sqrt(1 + z) - 1), axis=1)  # soft-l1
        order = np.argsort(cost)[:keep]
        return [xb[i] for i in order if np.isfinite(cost[i])]

    def _focal_ok(self, focal: float, obs: PitchObservations) -> bool:
        w = obs.image_size[0]
        return self.config.min_focal_factor * w <= focal <= self.config.max_focal_factor * w

    def _refine(
        self, problem: _Problem, camera: Camera, max_nfev: int, loss: str | None = None
    ) -> tuple[np.ndarray, float]:
        """Refine a camera with ``scipy.optimize.least_squares`` (trust-region reflective, bounded, robust loss)."""
        cfg = self.config
        x0 = problem.vector(camera)
        lower, upper = problem.bounds()
        x0 = _clip_inside(x0, lower, upper)
        sol = least_squares(
            problem.residuals,
            x0,
            bounds=(lower, upper),
            loss=loss or cfg.loss,
            f_scale=cfg.loss_scale_px,
            x_scale="jac",
            max_nfev=max_nfev,
            method="trf",
            jac=problem.jacobian,
            ftol=cfg.tolerance,
            xtol=cfg.tolerance,
            gtol=cfg.tolerance,
        )
        return sol.x, float(sol.cost)

    def _keypoint_inliers(self, obs: PitchObservations) -> tuple[PitchObservations, list[str]]:
        """``obs`` without the ground keypoints that a RANSAC homography rejects (see ``keypoint_ransac_px``)."""
        import cv2

        kp_all = self.pitch.keypoints()
        ground = [i for i, v in obs.keypoints.items() if kp_all[i][2] == 0.0 and v[2] > 0.0]
        if self.config.keypoint_ransac_px <= 0 or len(ground) < 5:
            return obs, []
        world = np.array([kp_all[i][:2] for i in ground], dtype=np.float64)
        image = np.array([obs.keypoints[i][:2] for i in ground], dtype=np.float64)
        threshold = self.config.keypoint_ransac_px * obs.image_size[0] / 960.0
        homography, mask = cv2.findHomography(world, image, cv2.RANSAC, threshold, maxIters=2000, confidence=0.999)
        if homography is None or mask is None or int(mask.sum()) < 4:
            return obs, []
        dropped = [f"keypoint {i}" for i, keep in zip(ground, mask.ravel().astype(bool)) if not keep]
        return (_without(obs, dropped), dropped) if dropped else (obs, [])

    def _calibrate(self, obs: PitchObservations, initial_camera: Camera | None = None) -> CalibrationResult:
        bad = self._check_input(obs)
        if bad is not None:
            return bad
        obs, keypoint_outliers = self._keypoint_inliers(obs)
        classes = sorted(obs.lines)
        problem = _Problem(obs, self.pitch, self.config, classes)
        method = "homography"
        best_x, best_cost = None, math.inf
        if initial_camera is not None:
            x, cost = self._refine(problem, initial_camera, self.config.max_nfev, loss="linear")
            if np.all(np.isfinite(x)) and problem.rms(x) <= self.config.good_rms_px:
                best_x, best_cost, method = x, cost, "previous_frame"
        for tier in (0, 1) if best_x is None else ():
            cams = [c for h in self._homographies(obs, classes, tier) for c in self._homography_cameras(obs, h)]
            for x0 in self._best_starts(problem, cams, keep=2):
                x, cost = self._refine(problem, problem.camera(x0), self.config.max_nfev, loss="linear")
                if cost < best_cost:
                    best_x, best_cost = x, cost
                if problem.rms(x) < self.config.good_rms_px:
                    break
            if best_x is not None and problem.rms(best_x) <= self.config.good_rms_px:
                break
        if best_x is None or (method != "previous_frame" and problem.rms(best_x) > self.config.good_rms_px):
            # no homography, or a poor fit: search from broadcast priors
            for x0 in self._best_starts(problem, self._prior_cameras(obs, classes), keep=3):
                x, cost = self._refine(problem, problem.camera(x0), self.config.max_nfev, loss="linear")
                if cost < best_cost:
                    best_x, best_cost, method = x, cost, "prior_search"
        if best_x is None:
            return self._fail("degenerate_geometry", f"no camera could be initialised from classes {classes}")

        outliers: list[str] = []
        errors = problem.class_errors(best_x)
        threshold = self.config.ransac_threshold_px
        if max(errors.values(), default=0.0) > threshold and self.config.loss != "linear":
            # large residuals: possible outliers, refit with the robust loss
            x_r, _ = self._refine(problem, problem.camera(best_x), self.config.max_nfev)
            errors_r = problem.class_errors(x_r)
            if np.median(list(errors_r.values())) <= np.median(list(errors.values())):
                best_x, errors = x_r, errors_r
            # a consistent majority with a few far-off items: drop those items and refit without them
            bad = [k for k, e in errors.items() if e > threshold]
            if bad and np.median(list(errors.values())) <= threshold / 3:
                kept = _without(obs, bad)
                if self._check_input(kept) is None:
                    p_in = _Problem(kept, self.pitch, self.config, sorted(kept.lines))
                    x_in, _ = self._refine(p_in, p_in.camera(best_x), self.config.max_nfev, loss="linear")
                    if max(p_in.class_errors(x_in).values(), default=0.0) <= threshold:
                        outliers, problem, best_x, obs = sorted(bad), p_in, x_in, kept
                        classes = sorted(kept.lines)
                        errors = problem.class_errors(best_x)
        if max(errors.values(), default=0.0) > threshold and len(classes) >= 5:
            ransac = self._ransac(obs, classes)
            if ransac is not None:
                x_r, inliers = ransac
                p_in = _Problem(obs, self.pitch, self.config, inliers)
                x_r, _ = self._refine(p_in, p_in.camera(x_r), self.config.max_nfev)
                if p_in.rms(x_r) < problem.rms(best_x):
                    outliers = sorted(set(outliers) | (set(classes) - set(inliers)))
                    problem, best_x = p_in, x_r
                    errors = problem.class_errors(best_x)

        if self.config.absent_class_margin_px > 0:
            best_x = self._push_out_absent(problem, obs, best_x)
            errors = problem.class_errors(best_x)

        rms = problem.rms(best_x)
        camera = problem.camera(best_x)
        if not np.all(np.isfinite(best_x)):
            return self._fail("no_valid_camera", "refinement diverged")
        weak = problem.undetermined_parameters(best_x)
        if weak:
            return CalibrationResult(
                None,
                CalibrationFailure(
                    "degenerate_geometry",
                    f"the observations of {classes} do not determine the camera (no constraint on {weak}); "
                    "e.g. parallel or collinear lines only",
                ),
                rms_px=rms,
                class_errors=errors,
            )
        if rms > self.config.max_rms_px:
            return CalibrationResult(
                None,
                CalibrationFailure(
                    "inconsistent_observations",
                    f"best camera leaves an RMS residual of {rms:.1f} px (> {self.config.max_rms_px} px); "
                    f"worst classes: {sorted(errors.items(), key=lambda kv: -kv[1])[:3]}",
                ),
                rms_px=rms,
                class_errors=errors,
            )
        extent_errors = self._extent_errors(camera, obs, classes)
        worst = max(extent_errors.items(), key=lambda kv: kv[1], default=(None, 0.0))
        if self.config.max_extent_error_px > 0 and worst[1] > self.config.max_extent_error_px:
            return CalibrationResult(
                None,
                CalibrationFailure(
                    "inconsistent_observations",
                    f"best camera puts observed points of {worst[0]!r} {worst[1]:.0f} px from the projected element "
                    f"(> {self.config.max_extent_error_px:g} px): the observations do not pin down the camera",
                ),
                rms_px=rms,
                class_errors=errors,
            )
        mirrored = False
        if self.config.prefer_main_side and camera.position[1] < 0 and all(MIRROR_CLASS[c] == c for c in classes):
            camera, mirrored = mirror_camera(camera), True
        return CalibrationResult(camera, None, rms, errors, sorted(set(outliers) | set(keypoint_outliers)), mirrored,
                                 method)

    def _extent_errors(self, camera: Camera, obs: PitchObservations, classes: Iterable[str]) -> dict[str, float]:
        """Largest distance (px) of each observed class's points to its projected, clipped element (metric rule)."""
        from .metric import distance_to_polyline, project_pitch_polylines

        width, height = obs.image_size
        projected = project_pitch_polylines(camera, width, height, self.pitch)
        out = {}
        for name in classes:
            points = np.asarray(obs.lines.get(name, np.zeros((0, 2))), dtype=float).reshape(-1, 2)
            if not len(points):
                continue
            polyline = projected.get(name)
            out[name] = float(distance_to_polyline(points, polyline).max()) if polyline is not None else math.inf
        return out

    def _push_out_absent(self, problem: _Problem, obs: PitchObservations, x: np.ndarray) -> np.ndarray:
        """Second refinement with hinge terms for elements that are not observed but barely enter the image."""
        from soccermaster_hf.geometry.metric import project_pitch_polylines

        camera = problem.camera(x)
        projected = project_pitch_polylines(camera, obs.image_size[0], obs.image_size[1], self.pitch)
        sampled = self.pitch.sample_all(step=0.5)
        absent = [(name, sampled[name]) for name in projected if name not in obs.lines]
        if not absent:
            return x
        problem.absent = absent
        x2, _ = self._refine(problem, camera, 60)
        problem.absent = []
        # keep only if the observed classes are not made worse beyond the loss scale
        before = max(problem.class_errors(x).values(), default=0.0)
        after = max(problem.class_errors(x2).values(), default=0.0)
        return x2 if after <= max(before, self.config.loss_scale_px * 2) else x

    def _ransac(self, obs: PitchObservations, classes: list[str], iterations: int = 60, seed: int = 0):
        """Class-level RANSAC over minimal subsets of ground lines; returns ``(x, inlier classes)`` or ``None``."""
        ground = [c for c in classes if c in GROUND_LINE_CLASSES]
        if len(ground) < 5:
            return None
        rng = np.random.default_rng(seed)
        full = _Problem(obs, self.pitch, self.config, classes)
        best: tuple[int, float, np.ndarray, list[str]] | None = None
        pp = ((obs.image_size[0] - 1) / 2.0, (obs.image_size[1] - 1) / 2.0)
        if math.comb(len(ground), 4) <= iterations:
            subsets = [list(c) for c in itertools.combinations(ground, 4)]
        else:
            subsets = [list(rng.choice(ground, size=4, replace=False)) for _ in range(iterations)]
        for subset in subsets:
            lp = [(self.pitch.ground_line(n), obs.lines[n]) for n in subset]
            g = homography_from_constraints(lp)
            if g is None:
                continue
            try:
                cam = camera_from_homography(np.linalg.inv(g), pp, np.concatenate([p for _, p in lp]))
            except np.linalg.LinAlgError:
                continue
            if cam is None:
                continue
            x = full.vector(cam)
            errors = full.class_errors(x)
            inliers = [c for c in classes if errors.get(c, math.inf) <= self.config.ransac_threshold_px]
            score = (len(inliers), -sum(min(errors[c], 50.0) for c in inliers))
            if best is None or score > (best[0], best[1]):
                best = (score[0], score[1], x, inliers)
        if best is None or best[0] < 4:
            return None
        return best[2], best[3]


def _without(obs: PitchObservations, names: Iterable[str]) -> PitchObservations:
    """``obs`` without the given classes and keypoints (keypoints named ``"keypoint <index>"``)."""
    names = set(names)
    keypoints = {i: v for i, v in obs.keypoints.items() if f"keypoint {i}" not in names}
    lines = {k: v for k, v in obs.lines.items() if k not in names}
    return PitchObservations(obs.image_size, lines, keypoints, dict(obs.skipped), obs.source)


# ======================================================================================================== conics
def _fit_line(points: np.ndarray) -> np.ndarray | None:
    """Total-least-squares line ``(a, b, c)`` through (N >= 2) points."""
    if len(points) < 2:
        return None
    centre = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - centre)
    if s[0] < 1e-9:
        return None
    normal = vt[-1]
    return np.array([normal[0], normal[1], -normal @ centre])


def _fit_conic(points: np.ndarray) -> np.ndarray | None:
    """Algebraic conic fit (symmetric 3x3 matrix) through (N >= 5) points, Hartley-normalised."""
    t = _normalization(points)
    ph = np.column_stack([points, np.ones(len(points))]) @ t.T
    x, y = ph[:, 0], ph[:, 1]
    design = np.column_stack([x * x, x * y, y * y, x, y, np.ones_like(x)])
    try:
        _, s, vt = np.linalg.svd(design)
    except np.linalg.LinAlgError:
        return None
    a, b, c, d, e, f = vt[-1]
    conic_n = np.array([[a, b / 2, d / 2], [b / 2, c, e / 2], [d / 2, e / 2, f]])
    conic = t.T @ conic_n @ t
    # must be an ellipse (image of a circle seen from above the pitch)
    if conic[0, 0] * conic[1, 1] - conic[0, 1] ** 2 <= 0:
        return None
    return conic


def _conic_line_intersections(conic: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The two real intersections of a conic and a line, or ``None``."""
    a, b, c = line
    if a * a + b * b < 1e-300:
        return None
    # parametrise the line: p(s) = p0 + s d
    d = np.array([-b, a])
    n2 = a * a + b * b
    p0 = np.array([-a * c / n2, -b * c / n2])
    ph0 = np.append(p0, 1.0)
    dh = np.append(d, 0.0)
    qa = dh @ conic @ dh
    qb = 2 * dh @ conic @ ph0
    qc = ph0 @ conic @ ph0
    disc = qb * qb - 4 * qa * qc
    if abs(qa) < 1e-300 or disc <= 0:
        return None
    root = math.sqrt(disc)
    s1, s2 = (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)
    return p0 + s1 * d, p0 + s2 * d


def calibrate(observations: PitchObservations, config: SolverConfig | None = None) -> CalibrationResult:
    """Convenience wrapper: ``CameraCalibrator(config).calibrate(observations)``."""
    return CameraCalibrator(config).calibrate(observations)


def calibrate_predicted(observations: PitchObservations, config: SolverConfig | None = None,
                        initial_camera: Camera | None = None, first: str = "all") -> CalibrationResult:
    """Calibrate from a *model's* keypoints and lines, where one kind can be systematically worse than the other.

    Tries all observations first; when that fails as ``inconsistent_observations`` or ``degenerate_geometry``, tries
    the keypoints alone, then the lines alone, and returns the first success (its ``method`` says which subset,
    e.g. ``"homography+keypoints_only"``). Otherwise returns the failure of the full set. ``initial_camera``: see
    :meth:`CameraCalibrator.calibrate`. ``first`` (``"all"``, ``"keypoints_only"`` or ``"lines_only"``) moves that
    subset to the front, e.g. the one that worked on the previous frame of a video.
    """
    subsets = {
        "all": observations,
        "keypoints_only": PitchObservations(observations.image_size, {}, dict(observations.keypoints),
                                            dict(observations.skipped), observations.source),
        "lines_only": PitchObservations(observations.image_size, dict(observations.lines), {},
                                        dict(observations.skipped), observations.source),
    }
    if first not in subsets:
        raise ValueError(f"first must be one of {sorted(subsets)}, got {first!r}")
    order = [first] + [name for name in subsets if name != first]
    calibrator = CameraCalibrator(config)
    full_result: CalibrationResult | None = None
    spent = 0.0
    for name in order:
        subset = subsets[name]
        if name != "all" and (not subset.keypoints and not subset.lines
                              or (subset.keypoints == observations.keypoints and subset.lines == observations.lines)):
            continue
        result = calibrator.calibrate(subset, initial_camera)
        spent += result.time_ms
        if name == "all":
            full_result = result
            if not result.success and result.failure.reason not in ("inconsistent_observations",
                                                                    "degenerate_geometry"):
                break  # e.g. too few observations: a subset has even fewer
        if result.success:
            if name != "all":
                result.method = f"{result.method}+{name}"
            result.time_ms = spent
            return result
    full_result.time_ms = spent  # "all" is always tried, so a failure of the full set is there to report
    return full_result
