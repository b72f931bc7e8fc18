"""Broadcast camera model: intrinsics with lens distortion, extrinsics, projection, back-projection, SoccerNet JSON.

Conventions (SoccerNet ``sn-calibration`` ``src/camera.py``, reimplemented from its documented behaviour):

* ``rotation`` maps world to camera axes, ``position`` is the camera centre in pitch metres:
  ``X_cam = R (X_world - C)``; the camera looks along its ``+z`` axis, image ``x`` right, ``y`` down.
* ``R = (Rz(pan) Rx(tilt) Rz(roll))^T`` with angles in the JSON in degrees (intrinsic Z-X-Z Euler angles of the
  camera-to-world orientation). :func:`rotation_to_pan_tilt_roll` inverts it, choosing of the two solutions the one with
  the smaller ``|roll|`` (camera operators avoid roll), as sn-calibration does.
* Distortion acts on normalised coordinates ``(x, y) = (X_cam / Z_cam, Y_cam / Z_cam)`` with OpenCV's rational +
  tangential + thin-prism model: ``radial_distortion = [k1..k6]``, ``tangential_distortion = [p1, p2]``,
  ``thin_prism_distortion = [s1..s4]``::

      x' = x (1 + k1 r^2 + k2 r^4 + k3 r^6) / (1 + k4 r^2 + k5 r^4 + k6 r^6) + 2 p1 x y + p2 (r^2 + 2 x^2) + s1 r^2 + s2 r^4
      y' = y (same ratio)                                                + p1 (r^2 + 2 y^2) + 2 p2 x y + s3 r^2 + s4 r^4

  then ``u = fx x' + cx``, ``v = fy y' + cy``.
* Points with camera depth ``<= 1e-3`` are not projectable (behind the camera); :meth:`Camera.project` flags them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Camera",
    "CameraFormatError",
    "mirror_camera",
    "pan_tilt_roll_to_rotation",
    "rotation_to_pan_tilt_roll",
]

MIN_DEPTH = 1e-3


class CameraFormatError(ValueError):
    """A SoccerNet camera JSON is malformed (missing key, wrong length, non-finite value)."""


def _rz(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rx(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def pan_tilt_roll_to_rotation(pan: float, tilt: float, roll: float, degrees: bool = True) -> np.ndarray:
    """World-to-camera rotation ``(Rz(pan) Rx(tilt) Rz(roll))^T`` from SoccerNet's pan/tilt/roll."""
    if degrees:
        pan, tilt, roll = (math.radians(a) for a in (pan, tilt, roll))
    return (_rz(pan) @ _rx(tilt) @ _rz(roll)).T


def rotation_to_pan_tilt_roll(rotation: np.ndarray, degrees: bool = True) -> tuple[float, float, float]:
    """Inverse of :func:`pan_tilt_roll_to_rotation`; of the two Z-X-Z solutions the one with the smaller ``|roll|``.

    For ``O = R^T = Rz(pan) Rx(tilt) Rz(roll)``: ``O[2,2] = cos(tilt)``, ``(O[0,2], -O[1,2]) = sin(tilt) (sin pan,
    cos pan)`` and ``(O[2,0], O[2,1]) = sin(tilt) (sin roll, cos roll)``. At ``sin(tilt) = 0`` (gimbal lock) pan and
    roll are not separable; pan is then set to 0 and the whole in-plane angle is given to roll.
    """
    o = np.asarray(rotation, dtype=float).T
    c = float(np.clip(o[2, 2], -1.0, 1.0))
    best: tuple[float, float, float] | None = None
    for tilt in (math.acos(c), -math.acos(c)):
        s = math.sin(tilt)
        if abs(s) < 1e-12:
            pan = 0.0
            roll = math.atan2(o[1, 0], o[0, 0]) if c > 0 else math.atan2(-o[1, 0], o[0, 0])
        else:
            sign = 1.0 if s > 0 else -1.0
            pan = math.atan2(sign * o[0, 2], -sign * o[1, 2])
            roll = math.atan2(sign * o[2, 0], sign * o[2, 1])
        if best is None or abs(roll) < abs(best[2]):
            best = (pan, tilt, roll)
    assert best is not None
    if degrees:
        return tuple(math.degrees(a) for a in best)  # type: ignore[return-value]
    return best


def _vector(obj: dict[str, Any], key: str, length: int, source: str, default: list[float] | None = None) -> np.ndarray:
    if key not in obj:
        if default is not None:
            return np.asarray(default, dtype=float)
        raise CameraFormatError(f"{source}: missing key {key!r}")
    try:
        arr = np.asarray(obj[key], dtype=float).reshape(-1)
    except (TypeError, ValueError) as error:
        raise CameraFormatError(f"{source}: {key!r} must be a list of {length} numbers ({error})") from None
    if arr.size != length:
        raise CameraFormatError(f"{source}: {key!r} must have {length} values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise CameraFormatError(f"{source}: {key!r} contains a non-finite value")
    return arr


def _scalar(obj: dict[str, Any], key: str, source: str) -> float:
    if key not in obj:
        raise CameraFormatError(f"{source}: missing key {key!r}")
    try:
        value = float(obj[key])
    except (TypeError, ValueError):
        raise CameraFormatError(f"{source}: {key!r} must be a number, got {obj[key]!r}") from None
    if not math.isfinite(value):
        raise CameraFormatError(f"{source}: {key!r} is not finite")
    return value


@dataclass
class Camera:
    """A pinhole camera with SoccerNet's distortion model.

    Attributes:
        fx, fy: focal lengths in pixels. cx, cy: principal point in pixels.
        rotation: (3, 3) world-to-camera rotation. position: (3,) camera centre in pitch metres.
        radial: k1..k6 (rational model). tangential: p1, p2. thin_prism: s1..s4.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    radial: np.ndarray = field(default_factory=lambda: np.zeros(6))
    tangential: np.ndarray = field(default_factory=lambda: np.zeros(2))
    thin_prism: np.ndarray = field(default_factory=lambda: np.zeros(4))

    def __post_init__(self) -> None:
        self.rotation = np.asarray(self.rotation, dtype=float).reshape(3, 3)
        self.position = np.asarray(self.position, dtype=float).reshape(3)
        self.radial = np.asarray(self.radial, dtype=float).reshape(6)
        self.tangential = np.asarray(self.tangential, dtype=float).reshape(2)
        self.thin_prism = np.asarray(self.thin_prism, dtype=float).reshape(4)

    # ------------------------------------------------------------------------------------------------ constructors
    @classmethod
    def from_pan_tilt_roll(
        cls,
        pan: float,
        tilt: float,
        roll: float,
        position: np.ndarray,
        focal: float,
        principal_point: tuple[float, float],
        fy: float | None = None,
        degrees: bool = True,
    ) -> Camera:
        """Camera from SoccerNet angles (degrees by default), position (m), focal length(s) and principal point."""
        return cls(
            fx=float(focal),
            fy=float(focal if fy is None else fy),
            cx=float(principal_point[0]),
            cy=float(principal_point[1]),
            rotation=pan_tilt_roll_to_rotation(pan, tilt, roll, degrees=degrees),
            position=np.asarray(position, dtype=float),
        )

    @classmethod
    def look_at(
        cls,
        position: np.ndarray,
        target: np.ndarray,
        focal: float,
        principal_point: tuple[float, float],
        roll: float = 0.0,
    ) -> Camera:
        """Camera at ``position`` looking at ``target`` with the image ``y`` axis pointing down (``+z`` world).

        ``roll`` (radians) rotates the image about the optical axis.
        """
        position = np.asarray(position, dtype=float)
        forward = np.asarray(target, dtype=float) - position
        norm = np.linalg.norm(forward)
        if norm == 0:
            raise ValueError("look_at: position and target coincide")
        forward /= norm
        down = np.array([0.0, 0.0, 1.0])  # z is negative upward, so world "down" is +z
        right = np.cross(down, forward)
        if np.linalg.norm(right) < 1e-9:
            raise ValueError("look_at: viewing direction is vertical, the image orientation is undefined")
        right /= np.linalg.norm(right)
        down_img = np.cross(forward, right)
        rotation = np.stack([right, down_img, forward])
        if roll:
            c, s = math.cos(roll), math.sin(roll)
            rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ rotation
        return cls(focal, focal, principal_point[0], principal_point[1], rotation, position)

    # ------------------------------------------------------------------------------------------------ properties
    @property
    def K(self) -> np.ndarray:  # noqa: N802 - the standard name
        """(3, 3) intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def pan_tilt_roll(self) -> tuple[float, float, float]:
        """SoccerNet pan, tilt, roll in degrees."""
        return rotation_to_pan_tilt_roll(self.rotation)

    @property
    def translation(self) -> np.ndarray:
        """``t = -R C`` so that ``X_cam = R X + t``."""
        return -self.rotation @ self.position

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.radial) or np.any(self.tangential) or np.any(self.thin_prism))

    @property
    def projection_matrix(self) -> np.ndarray:
        """(3, 4) matrix ``K [R | -R C]`` (no distortion)."""
        return self.K @ np.hstack([self.rotation, self.translation[:, None]])

    def ground_homography(self) -> np.ndarray:
        """(3, 3) homography from pitch-plane ``(x, y, 1)`` (z = 0) to undistorted image pixels."""
        return self.K @ np.column_stack([self.rotation[:, 0], self.rotation[:, 1], self.translation])

    def copy(self) -> Camera:
        return Camera(
            self.fx,
            self.fy,
            self.cx,
            self.cy,
            self.rotation.copy(),
            self.position.copy(),
            self.radial.copy(),
            self.tangential.copy(),
            self.thin_prism.copy(),
        )

    # ------------------------------------------------------------------------------------------------ distortion
    def distort_normalized(self, xy: np.ndarray) -> np.ndarray:
        """Apply the distortion model to (N, 2) normalised coordinates."""
        xy = np.asarray(xy, dtype=float)
        if not self.has_distortion:
            return xy.copy()
        x, y = xy[..., 0], xy[..., 1]
        # points far outside the view (near the camera plane) overflow to inf / nan: non-finite, as callers expect
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            r2 = x * x + y * y
            k = self.radial
            num = 1 + r2 * (k[0] + r2 * (k[1] + r2 * k[2]))
            den = 1 + r2 * (k[3] + r2 * (k[4] + r2 * k[5]))
            ratio = num / den
            p1, p2 = self.tangential
            s1, s2, s3, s4 = self.thin_prism
            xd = x * ratio + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) + s1 * r2 + s2 * r2 * r2
            yd = y * ratio + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y + s3 * r2 + s4 * r2 * r2
        return np.stack([xd, yd], axis=-1)

    def undistort_normalized(self, xy: np.ndarray, iterations: int = 20) -> np.ndarray:
        """Invert :meth:`distort_normalized` by fixed-point iteration (exact for no distortion)."""
        xy = np.asarray(xy, dtype=float)
        if not self.has_distortion:
            return xy.copy()
        und = xy.copy()
        for _ in range(iterations):
            err = self.distort_normalized(und) - xy
            und = und - err
        return und

    # ------------------------------------------------------------------------------------------------ projection
    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (N, 3) in camera coordinates (N, 3)."""
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        return (points - self.position) @ self.rotation.T

    def project(self, points: np.ndarray, distort: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Project world points (N, 3) to pixels.

        Returns:
            ``(uv, valid)``: (N, 2) pixel coordinates (NaN where invalid) and a (N,) mask of points in front of the
            camera (depth > 1e-3).
        """
        cam = self.to_camera(points)
        valid = cam[:, 2] > MIN_DEPTH
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = cam[:, :2] / np.where(valid, cam[:, 2], np.nan)[:, None]
        if distort:
            xy = self.distort_normalized(xy)
        uv = np.stack([self.fx * xy[:, 0] + self.cx, self.fy * xy[:, 1] + self.cy], axis=-1)
        return uv, valid

    def normalized_from_pixels(self, uv: np.ndarray, undistort: bool = True) -> np.ndarray:
        """Pixels (N, 2) to normalised camera coordinates, optionally undistorted."""
        uv = np.asarray(uv, dtype=float).reshape(-1, 2)
        xy = np.stack([(uv[:, 0] - self.cx) / self.fx, (uv[:, 1] - self.cy) / self.fy], axis=-1)
        return self.undistort_normalized(xy) if undistort else xy

    def backproject_to_ground(self, uv: np.ndarray, z: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Intersect the viewing rays of pixels (N, 2) with the horizontal plane at height ``z`` (default: pitch).

        Returns:
            ``(points, valid)``: (N, 3) world points (NaN where invalid) and a mask of rays that hit the plane in front
            of the camera.
        """
        xy = self.normalized_from_pixels(uv)
        rays_cam = np.concatenate([xy, np.ones((xy.shape[0], 1))], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # a pixel that does not undistort is NaN: not valid
            rays = rays_cam @ self.rotation  # R^T applied to each ray
            lam = (z - self.position[2]) / rays[:, 2]
        valid = np.isfinite(lam) & (lam > 0)
        points = self.position[None] + np.where(valid, lam, np.nan)[:, None] * rays
        return points, valid

    # ------------------------------------------------------------------------------------------------ JSON
    def to_dict(self, include_rotation_matrix: bool = True) -> dict[str, Any]:
        """SoccerNet camera dictionary (pan/tilt/roll in degrees, PnLCalib's ``rotation_matrix`` included)."""
        pan, tilt, roll = self.pan_tilt_roll
        out: dict[str, Any] = {
            "pan_degrees": pan,
            "tilt_degrees": tilt,
            "roll_degrees": roll,
            "x_focal_length": float(self.fx),
            "y_focal_length": float(self.fy),
            "principal_point": [float(self.cx), float(self.cy)],
            "position_meters": [float(v) for v in self.position],
        }
        if include_rotation_matrix:
            out["rotation_matrix"] = self.rotation.tolist()
        out["radial_distortion"] = [float(v) for v in self.radial]
        out["tangential_distortion"] = [float(v) for v in self.tangential]
        out["thin_prism_distortion"] = [float(v) for v in self.thin_prism]
        return out

    @classmethod
    def from_dict(cls, obj: Any, source: str = "<camera>", prefer_rotation_matrix: bool = False) -> Camera:
        """Camera from a SoccerNet camera dictionary.

        The rotation is built from pan/tilt/roll, as the SoccerNet evaluator does; with ``prefer_rotation_matrix``
        a valid ``rotation_matrix`` entry (PnLCalib) is used instead. Distortion entries are optional (zeros).

        Raises:
            CameraFormatError: naming ``source`` and the problem.
        """
        if not isinstance(obj, dict):
            raise CameraFormatError(f"{source}: a camera must be a JSON object, got {type(obj).__name__}")
        pan = _scalar(obj, "pan_degrees", source)
        tilt = _scalar(obj, "tilt_degrees", source)
        roll = _scalar(obj, "roll_degrees", source)
        fx = _scalar(obj, "x_focal_length", source)
        fy = _scalar(obj, "y_focal_length", source)
        if fx <= 0 or fy <= 0:
            raise CameraFormatError(f"{source}: focal lengths must be positive, got {fx}, {fy}")
        pp = _vector(obj, "principal_point", 2, source)
        position = _vector(obj, "position_meters", 3, source)
        rotation = pan_tilt_roll_to_rotation(pan, tilt, roll)
        if prefer_rotation_matrix and "rotation_matrix" in obj:
            rot = _vector(obj, "rotation_matrix", 9, source).reshape(3, 3)
            if not np.allclose(rot @ rot.T, np.eye(3), atol=1e-6) or np.linalg.det(rot) < 0:
                raise CameraFormatError(f"{source}: 'rotation_matrix' is not a rotation")
            rotation = rot
        return cls(
            fx=fx,
            fy=fy,
            cx=float(pp[0]),
            cy=float(pp[1]),
            rotation=rotation,
            position=position,
            radial=_vector(obj, "radial_distortion", 6, source, default=[0.0] * 6),
            tangential=_vector(obj, "tangential_distortion", 2, source, default=[0.0] * 2),
            thin_prism=_vector(obj, "thin_prism_distortion", 4, source, default=[0.0] * 4),
        )

    @classmethod
    def load(cls, path: str | Path, prefer_rotation_matrix: bool = False) -> Camera:
        """Read a SoccerNet camera JSON file (``CameraFormatError`` naming the file for malformed content)."""
        path = Path(path)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise CameraFormatError(f"{path}: not valid JSON ({error})") from None
        return cls.from_dict(obj, source=str(path), prefer_rotation_matrix=prefer_rotation_matrix)

    def save(self, path: str | Path) -> None:
        """Write the camera as SoccerNet JSON (a plain write: callers that publish files one by one use
        `utils.io.atomic_write_json(path, camera.to_dict())`, folder writers stage the whole folder)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def mirror_camera(camera: Camera) -> Camera:
    """The camera seen through the central symmetry of the pitch (rotation by pi about the vertical axis).

    It sees the mirrored labels exactly where ``camera`` sees the original ones.
    """
    flip = np.diag([-1.0, -1.0, 1.0])
    out = camera.copy()
    out.rotation = camera.rotation @ flip
    out.position = flip @ camera.position
    return out
