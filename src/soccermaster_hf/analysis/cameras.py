"""Shots and cameras over a video: cut detection, main-camera vs other views, and the plausibility gate that decides
whether a frame counts as calibrated.

* **Cuts** (:class:`ShotDetector`): the Bhattacharyya distance between the hue-saturation histograms of consecutive
  frames (downscaled to 160 px wide) above `cut_threshold` (0.2: on SoccerSynth, consecutive main-camera frames
  differ by 0.02-0.08 and the cuts by 0.23-0.42; a fast close-up can pass it too) starts a new shot — the classic colour-histogram
  shot-boundary detector (e.g. PySceneDetect's ``HistogramDetector``). The camera's warm start is dropped at a cut.
* **Views** (:func:`view_class`): SoccerNet's ``Labels-cameras.json`` separates the three main cameras (center, left,
  right: the wide broadcast view the paper's spatial data come from) from close-ups, spider cameras, the public and
  replays. Per frame we call a view *main* when grass covers at least `min_grass` of the image and the detected
  athletes are small (median box height at most `max_athlete_height` of the image); else *other*. A main view with a
  camera gets SoccerNet's left / center / right class from the camera's pan.
* **Plausible cameras** (:class:`CameraGate`): a solved camera is rejected when it sits in an implausible place
  (height outside 3-80 m, more than 200 m from the centre spot), when the detected athletes' feet fall off the pitch
  (fewer than `min_on_pitch` of them within the pitch plus a 5 m margin), or when within one shot the ground point
  under the image centre moves more than `max_jump_m` metres per frame since the last accepted camera or the focal
  length changes by more than a factor `max_zoom_ratio` per frame; after `max_rejections` such refusals in a row the
  reference is taken to be the wrong one and the next plausible camera starts afresh. Accepted cameras are smoothed
  within a shot (exponential smoothing of pan, tilt, roll, focal lengths and position, `smoothing` the weight of the
  past), and everything restarts at a cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry.camera import Camera, pan_tilt_roll_to_rotation

MAIN_CAMERA_CLASSES = ("Main camera center", "Main camera left", "Main camera right")
OTHER_VIEW = "Other view"


class ShotDetector:
    """Online cut detection: :meth:`update` returns ``True`` when `frame` starts a new shot."""

    def __init__(self, cut_threshold: float = 0.2, width: int = 160):
        if not 0 < cut_threshold < 1:
            raise ValueError(f"cut_threshold must be in (0, 1), got {cut_threshold}.")
        self.cut_threshold, self.width = cut_threshold, width
        self.previous: np.ndarray | None = None

    def histogram(self, frame: np.ndarray) -> np.ndarray:
        height = max(1, round(frame.shape[0] * self.width / max(1, frame.shape[1])))
        small = cv2.resize(frame, (self.width, height), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
        return cv2.normalize(hist, hist).astype(np.float32)

    def distance(self, frame: np.ndarray) -> float:
        """Distance of `frame` to the previous frame (1 for the first); updates the state."""
        hist = self.histogram(frame)
        value = 1.0 if self.previous is None else float(
            cv2.compareHist(self.previous, hist, cv2.HISTCMP_BHATTACHARYYA))
        self.previous = hist
        return value

    def update(self, frame: np.ndarray) -> bool:
        first = self.previous is None
        return self.distance(frame) > self.cut_threshold or first


def grass_fraction(frame: np.ndarray, width: int = 160) -> float:
    """Share of the image whose colour is grass green (hue 30-90 in OpenCV's 0-180 scale, saturated, not dark)."""
    height = max(1, round(frame.shape[0] * width / max(1, frame.shape[1])))
    hsv = cv2.cvtColor(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return float(np.mean((hue >= 30) & (hue <= 90) & (saturation >= 50) & (value >= 40)))


def view_class(frame: np.ndarray, boxes: np.ndarray, min_grass: float = 0.35,
               max_athlete_height: float = 0.3) -> str:
    """``"main"`` (the wide broadcast view) or ``"other"`` (close-up, public, ...), from the grass share and the
    athletes' median height (see the module docstring)."""
    if grass_fraction(frame) < min_grass:
        return "other"
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    if len(boxes) and np.median(boxes[:, 3] - boxes[:, 1]) > max_athlete_height * frame.shape[0]:
        return "other"
    return "main"


def main_camera_class(camera: Camera) -> str:
    """SoccerNet's main-camera class of a main-view camera from where it stands: the main camera near the halfway
    line (|x| <= 20 m) is "center", the cameras further along the touch line are "left" (x < -20 m) or "right"."""
    x = float(camera.position[0])
    if x < -20.0:
        return "Main camera left"
    if x > 20.0:
        return "Main camera right"
    return "Main camera center"


def centre_ground_point(camera: Camera, width: int, height: int) -> np.ndarray | None:
    point, valid = camera.backproject_to_ground(np.array([[(width - 1) / 2, (height - 1) / 2]], dtype=float))
    return point[0, :2] if bool(valid[0]) and np.isfinite(point[0, :2]).all() else None


@dataclass
class GateDecision:
    """A gate's verdict on one frame: the camera to use (smoothed) or ``None``, why not, and the share of athletes
    whose feet land on the pitch (``nan`` without athletes)."""

    camera: Camera | None
    reason: str | None
    on_pitch: float


class CameraGate:
    """Plausibility checks and smoothing of per-frame cameras (see the module docstring); :meth:`reset` at a cut."""

    def __init__(self, min_on_pitch: float = 0.7, max_jump_m: float = 3.0, max_zoom_ratio: float = 1.05,
                 smoothing: float = 0.25, margin_m: float = 5.0, max_rejections: int = 3):
        for name, value in (("min_on_pitch", min_on_pitch), ("smoothing", smoothing)):
            if not 0 <= value < 1 or not np.isfinite(value):
                raise ValueError(f"{name} must be in [0, 1), got {value}.")
        if max_jump_m <= 0 or max_zoom_ratio <= 1:
            raise ValueError("max_jump_m must be positive and max_zoom_ratio above 1.")
        self.min_on_pitch, self.max_jump_m, self.max_zoom_ratio = min_on_pitch, max_jump_m, max_zoom_ratio
        self.smoothing, self.margin_m, self.max_rejections = smoothing, margin_m, max_rejections
        self.reset()

    def reset(self) -> None:
        self.previous: Camera | None = None
        self.previous_frame: int | None = None
        self.state: np.ndarray | None = None  # smoothed (pan, tilt, roll, fx, fy, x, y, z)
        self.jumps = 0  # consecutive cameras refused for a jump

    def on_pitch(self, camera: Camera, feet: np.ndarray) -> float:
        if not len(feet):
            return float("nan")
        ground, valid = camera.backproject_to_ground(np.asarray(feet, dtype=float).reshape(-1, 2))
        inside = valid & (np.abs(ground[:, 0]) <= 52.5 + self.margin_m) & (np.abs(ground[:, 1]) <= 34 + self.margin_m)
        return float(np.mean(inside))

    def check(self, frame_index: int, camera: Camera | None, feet: np.ndarray, width: int, height: int
              ) -> GateDecision:
        """The camera to use for `frame_index` (``None`` when `camera` is ``None`` or implausible)."""
        if camera is None:
            return GateDecision(None, None, float("nan"))
        position = camera.position
        if not np.isfinite(position).all() or not 3.0 <= -position[2] <= 80.0 or np.hypot(*position[:2]) > 200.0:
            return GateDecision(None, "implausible camera position", float("nan"))
        share = self.on_pitch(camera, feet)
        if len(feet) >= 3 and share < self.min_on_pitch:
            return GateDecision(None, f"athletes off the pitch ({share:.0%} on it)", share)
        centre = centre_ground_point(camera, width, height)
        if centre is None or np.hypot(*centre) > 150.0:
            return GateDecision(None, "image centre not on the ground near the pitch", share)
        if self.previous is not None and self.previous_frame is not None and self.jumps < self.max_rejections:
            gap = max(1, frame_index - self.previous_frame)
            before = centre_ground_point(self.previous, width, height)
            zoom = camera.fx / max(self.previous.fx, 1e-9)
            reason = None
            if before is not None and np.hypot(*(centre - before)) > self.max_jump_m * gap:
                reason = "camera jumped since the previous camera"
            elif max(zoom, 1 / zoom) > self.max_zoom_ratio ** gap:
                reason = "focal length jumped since the previous camera"
            if reason is not None:
                self.jumps += 1
                return GateDecision(None, reason, share)
        if self.jumps >= self.max_rejections:
            # the reference itself was probably wrong: start again from this plausible camera
            self.state = None
        self.jumps = 0
        self.previous, self.previous_frame = camera, frame_index
        return GateDecision(self._smoothed(camera, width, height), None, share)

    def _smoothed(self, camera: Camera, width: int, height: int) -> Camera:
        pan, tilt, roll = camera.pan_tilt_roll
        values = np.array([pan, tilt, roll, camera.fx, camera.fy, *camera.position], dtype=float)
        if self.state is None or self.smoothing == 0 or abs(pan - self.state[0]) > 90:
            self.state = values
            return camera
        self.state = self.smoothing * self.state + (1 - self.smoothing) * values
        pan, tilt, roll, fx, fy = self.state[:5]
        smoothed = camera.copy()
        smoothed.rotation = pan_tilt_roll_to_rotation(pan, tilt, roll)
        smoothed.fx, smoothed.fy, smoothed.position = float(fx), float(fy), self.state[5:].copy()
        return smoothed


__all__ = ["MAIN_CAMERA_CLASSES", "OTHER_VIEW", "CameraGate", "GateDecision", "ShotDetector", "centre_ground_point",
           "grass_fraction", "main_camera_class", "view_class"]
