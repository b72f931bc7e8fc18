"""The residual model of one frame: point-to-line, point-to-segment, point-to-circle and keypoint residuals in pixels.

:class:`ResidualModel` holds one frame's observations of the chosen classes and evaluates, for a batch of camera
parameter vectors at once (so that a forward-difference Jacobian costs one vectorised call):

* straight ground lines: signed distance of each undistorted image point to the projected line;
* goal posts and crossbars: the same to the projected 3-D segment's line;
* circles: the first-order geometric (Sampson) distance of each point to the projected circle;
* keypoints: reprojection errors weighted by ``sqrt(confidence)``;
* priors: zero roll, principal point near the image centre, unit aspect (as configured); optional hinge terms that
  push unobserved elements out of the image.

It also answers the checks of the calibrator: the largest residual per class, the RMS, and a rank test naming the
camera parameters the observations leave free. :func:`extent_errors` is the final check against the *projected,
clipped* elements, measured as the SoccerNet metric does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.config import SolverConfig
from soccermaster_hf.geometry.metric import distance_to_polyline, project_pitch_polylines
from soccermaster_hf.geometry.observations import PitchObservations
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.modeling.pitch_definitions import CIRCLE_CLASSES, GOAL_CLASSES, GROUND_LINE_CLASSES

__all__ = ["ResidualModel", "clip_inside", "extent_errors"]

_EYE3 = np.eye(3)[None]


def _rodrigues_batch(rvecs: np.ndarray) -> np.ndarray:
    """Rotation matrices (B, 3, 3) from rotation vectors (B, 3)."""
    theta = np.sqrt((rvecs * rvecs).sum(axis=1))  # np.linalg.norm's own arithmetic, without its wrapper's overhead
    small = theta < 1e-12
    k = rvecs / np.where(small, 1.0, theta)[:, None]
    kk = np.zeros((len(rvecs), 3, 3))
    kk[:, 0, 1], kk[:, 0, 2], kk[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kk[:, 1, 0], kk[:, 2, 0], kk[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    sin = np.where(small, 0.0, np.sin(theta))[:, None, None]
    one_cos = np.where(small, 0.0, 1 - np.cos(theta))[:, None, None]
    return _EYE3 + sin * kk + one_cos * (kk @ kk)


def clip_inside(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
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


class ResidualModel:
    """Vectorised residuals of one frame's observations of ``classes`` (and all its keypoints).

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
        if not k.any():
            return np.broadcast_to(pts[None], (len(fx), *pts.shape))
        scale = np.stack([fx, fy], axis=-1)[:, None, :]
        centre = np.stack([cx, cy], axis=-1)[:, None, :]
        n = (pts[None] - centre) / scale
        k1 = k[:, 0, None, None]
        r2 = n[..., 0:1] ** 2 + n[..., 1:2] ** 2
        # series inverse of x_d = x_u (1 + k1 r_u^2), accurate to O(k1^3 r^6); k2 is not estimated (tried: it
        # over-fits two-point lines and lowers final@5 on WorldCup 2014 from 97.8 to 86.0)
        u = n * (1 - k1 * r2 + 3 * (k1 * r2) ** 2)
        return u * scale + centre

    # ------------------------------------------------------------------------------------------------ residuals
    def residual_blocks_batch(self, xb: np.ndarray, unpacked: tuple | None = None) -> list[np.ndarray]:
        """Residual blocks (ground lines, goal segments, circles, keypoints), each (B, n), for (B, P) parameters
        (``unpacked``: ``_unpack_batch(xb)`` when the caller has it)."""
        fx, fy, cx, cy, r, c, k = self._unpack_batch(xb) if unpacked is None else unpacked
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

    def prior_residuals_batch(self, xb: np.ndarray, rotations: np.ndarray | None = None) -> list[np.ndarray]:
        cfg = self.config
        out = []
        if cfg.roll_sigma_deg:
            r = _rodrigues_batch(xb[:, 1:4]) if rotations is None else rotations
            roll = np.degrees(np.arctan2(r[:, 0, 2], r[:, 1, 2]))  # sn convention, tilt in (0, pi)
            out.append(roll[:, None] / cfg.roll_sigma_deg)
        idx = self.index
        if "dcx" in idx:
            out.append(xb[:, [idx["dcx"], idx["dcy"]]] / cfg.principal_point_sigma_px)
        if "log_aspect" in idx:
            out.append(xb[:, [idx["log_aspect"]]] / cfg.aspect_sigma)
        return out

    def residuals_batch(self, xb: np.ndarray) -> np.ndarray:
        unpacked = self._unpack_batch(xb)
        blocks = self.residual_blocks_batch(xb, unpacked)
        blocks += self.prior_residuals_batch(xb, unpacked[4])
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

    @property
    def num_items(self) -> int:
        """Observed classes and keypoints in the model."""
        return len(self.gl_names) + len(self.s_names) + len(self.c_names) + len(self.k_idx)

    def rms(self, x: np.ndarray) -> float:
        blocks = self.residual_blocks(x)
        res = np.concatenate(blocks)
        return float(np.sqrt(np.mean(res * res))) if len(res) else math.nan


def extent_errors(
    camera: Camera, obs: PitchObservations, classes: Iterable[str], pitch: PitchModel
) -> dict[str, float]:
    """Largest distance (px) of each observed class's points to its projected, clipped element (metric rule).

    The residuals measure distances to infinite lines and full circles; this measures what the SoccerNet metric
    does, so points far beyond a segment's end or on the unpainted part of a penalty arc show up (``inf`` when the
    element does not project into the image at all).
    """
    width, height = obs.image_size
    projected = project_pitch_polylines(camera, width, height, pitch)
    out = {}
    for name in classes:
        points = np.asarray(obs.lines.get(name, np.zeros((0, 2))), dtype=float).reshape(-1, 2)
        if not len(points):
            continue
        polyline = projected.get(name)
        out[name] = float(distance_to_polyline(points, polyline).max()) if polyline is not None else math.inf
    return out
