"""Homographies from point correspondences and their decomposition into broadcast cameras.

* :func:`homography_from_constraints` — the image-to-pitch homography ``G`` is linear in point-on-line constraints
  (``L^T G p = 0`` for an image point ``p`` on the pitch line ``L``) and in point correspondences (``q x G p = 0``), so a
  normalised DLT (Hartley & Zisserman, *Multiple View Geometry*, 2nd ed., §4.1, §4.4) gives it from >= 8 independent
  equations.
* :func:`camera_from_homography` — ``K, R, C`` under broadcast priors: square pixels, principal point at the image
  centre, zero skew (H&Z §8.8: ``h1^T w h2 = 0`` and ``h1^T w h1 = h2^T w h2`` with ``w = K^-T K^-1``), choosing the
  sign that puts the observed points in front of an upright camera above the pitch.
* :func:`keypoint_ransac_outliers` — ground keypoints that a RANSAC pitch-to-image homography (OpenCV, Fischler &
  Bolles 1981) rejects.
* :func:`fit_line`, :func:`fit_conic`, :func:`conic_line_intersections` — the image conics and lines that the
  circle-based initialisation (:mod:`soccermaster_hf.geometry.initialisation`) intersects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from soccermaster_hf.geometry.camera import Camera

__all__ = [
    "camera_from_homography",
    "conic_line_intersections",
    "fit_conic",
    "fit_line",
    "hartley_normalization",
    "homography_from_constraints",
    "keypoint_ransac_outliers",
]


def hartley_normalization(points: np.ndarray) -> np.ndarray:
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
    t_img, t_pitch = hartley_normalization(all_img), hartley_normalization(all_pitch)
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


def fit_line(points: np.ndarray) -> np.ndarray | None:
    """Total-least-squares line ``(a, b, c)`` through (N >= 2) points."""
    if len(points) < 2:
        return None
    centre = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - centre)
    if s[0] < 1e-9:
        return None
    normal = vt[-1]
    return np.array([normal[0], normal[1], -normal @ centre])


def fit_conic(points: np.ndarray) -> np.ndarray | None:
    """Algebraic conic fit (symmetric 3x3 matrix) through (N >= 5) points, Hartley-normalised."""
    t = hartley_normalization(points)
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


def conic_line_intersections(conic: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
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


def keypoint_ransac_outliers(
    world_keypoints: np.ndarray, keypoints: Mapping[int, Sequence[float]], threshold_px: float
) -> list[int]:
    """Indices of the ground keypoints that a RANSAC pitch-to-image homography rejects (OpenCV, ``threshold_px``).

    Args:
        world_keypoints: (K, 3) pitch coordinates of every keypoint (only those with ``z = 0`` are used).
        keypoints: observed ``index -> (u, v, confidence)``; keypoints with confidence 0 are not used.
        threshold_px: reprojection threshold; ``<= 0`` disables the test.

    Returns:
        The rejected indices (empty with fewer than 5 ground keypoints or when no homography is found).
    """
    import cv2

    ground = [i for i, v in keypoints.items() if world_keypoints[i][2] == 0.0 and v[2] > 0.0]
    if threshold_px <= 0 or len(ground) < 5:
        return []
    world = np.array([world_keypoints[i][:2] for i in ground], dtype=np.float64)
    image = np.array([keypoints[i][:2] for i in ground], dtype=np.float64)
    homography, mask = cv2.findHomography(world, image, cv2.RANSAC, threshold_px, maxIters=2000, confidence=0.999)
    if homography is None or mask is None or int(mask.sum()) < 4:
        return []
    return [i for i, keep in zip(ground, mask.ravel().astype(bool)) if not keep]
