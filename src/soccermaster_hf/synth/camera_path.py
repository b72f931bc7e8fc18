"""Broadcast main-camera paths: a camera behind the near touch line that pans and zooms to follow the play.

Parameter ranges were fitted once to the 186 real cameras of PnLCalib on the WorldCup-2014 test set
(``shared/data/real/calibration/wc14_test_pnlcalib_cameras``, SoccerNet camera format, 960x540 images) and are stored
here as constants, so generation never needs ``shared/``:

=====================  =========================  ==============================
quantity               5th-95th percentile (WC14)  used here
=====================  =========================  ==============================
camera x (m)           -4.9 .. 3.8                 U(-5, 5)
camera y (m)           60.6 .. 93.1                U(60, 92) (behind the near line)
height -z (m)          11.4 .. 18.8                U(10, 25) (issue: 10-25 m)
focal @ 960 px         1479 .. 3434                from a horizontal field of view
horizontal FOV         16 .. 36 deg                U(16, 34) deg, zoom follows the play
roll (deg)             -0.5 .. 0.5                 N(0, 0.25)
pan (deg)              -30 .. 34                   follows the ball (clipped +-40)
=====================  =========================  ==============================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..geometry.camera import Camera
from .styles import WC14_CAMERA

WC14_RANGES = WC14_CAMERA  # the default league's installation (styles.LeagueStyle.camera)


@dataclass
class CameraSetting:
    """One camera installation: position (m), horizontal FOV range (deg), roll (rad)."""

    position: np.ndarray
    hfov_min: float
    hfov_max: float
    roll: float


def sample_setting(rng: np.random.Generator, ranges: dict | None = None) -> CameraSetting:
    """One installation drawn from `ranges` (keys of `WC14_RANGES`; default: the WorldCup-2014 fit)."""
    r = WC14_RANGES if ranges is None else ranges
    position = np.array([rng.uniform(*r["x"]), rng.uniform(*r["y"]), -rng.uniform(*r["height"])])
    narrowest, widest = r["hfov_degrees"]
    split = narrowest + (widest - narrowest) * 8.0 / 18.0  # 24 deg for the WC14 range
    low = rng.uniform(narrowest, split)
    high = rng.uniform(min(max(low + 4.0, split), widest), widest)
    return CameraSetting(position, low, high, math.radians(rng.normal(0.0, r["roll_std_degrees"])))


def _smooth(values: np.ndarray, alpha: float) -> np.ndarray:
    """Exponential smoothing forwards then backwards (zero lag), along axis 0."""
    out = values.copy()
    for t in range(1, len(out)):
        out[t] = alpha * out[t] + (1 - alpha) * out[t - 1]
    for t in range(len(out) - 2, -1, -1):
        out[t] = alpha * out[t] + (1 - alpha) * out[t + 1]
    return out


def follow_targets(ball: np.ndarray, players: np.ndarray) -> np.ndarray:
    """Where the camera looks, per frame: the ball when known, else the centroid of the tracked players."""
    centroid = None
    if players.size:
        with warnings.catch_warnings():  # frames where nobody is tracked give NaN: handled below
            warnings.simplefilter("ignore", RuntimeWarning)
            centroid = np.nanmean(np.where(np.isfinite(players), players, np.nan), axis=1)
    target = ball[:, :2].copy()
    missing = ~np.isfinite(target).all(axis=1)
    if centroid is not None:
        target[missing] = centroid[missing]
    # frames with nothing at all: carry the last known target (or the centre spot)
    last = np.zeros(2)
    for t in range(len(target)):
        if np.isfinite(target[t]).all():
            last = target[t]
        else:
            target[t] = last
    return target


def camera_path(
    ball: np.ndarray,
    players: np.ndarray,
    width: int,
    height: int,
    rng: np.random.Generator,
    cut_probability: float = 0.15,
    closeup_probability: float = 0.0,
    views: list[str] | None = None,
    ranges: dict | None = None,
) -> tuple[list[Camera], list[int]]:
    """Cameras for every frame of a clip, and the frame indices where a cut to another setting happens.

    With `closeup_probability` > 0, the shot after a cut is a close-up with that probability: the same installation
    zoomed in to a 3-6 degree field of view on the play (SoccerNet's "Close-up player or field referee"). `views`,
    when given, receives ``"main"`` / ``"closeup"`` per shot. `ranges`: the league's camera installations
    (:attr:`~soccermaster_hf.synth.styles.LeagueStyle.camera`; default `WC14_RANGES`)."""
    ranges = WC14_RANGES if ranges is None else ranges
    num_frames = len(ball)
    target = _smooth(follow_targets(ball, players), alpha=0.08)
    # lead the play slightly towards the attacking direction, keep the target on the pitch
    target[:, 0] = np.clip(target[:, 0], -50.0, 50.0)
    target[:, 1] = np.clip(target[:, 1] * 0.85, -28.0, 28.0)
    with warnings.catch_warnings():  # frames where nobody is tracked give NaN: replaced below
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanstd(np.where(np.isfinite(players[..., 0]), players[..., 0], np.nan), axis=1)
    spread = np.nan_to_num(spread, nan=10.0)
    cuts = [int(rng.integers(num_frames // 3, max(num_frames // 3 + 1, 2 * num_frames // 3)))] \
        if num_frames > 30 and rng.random() < cut_probability else []
    settings = [sample_setting(rng, ranges) for _ in range(len(cuts) + 1)]
    shot_views = ["main"] + [("closeup" if closeup_probability > 0 and rng.random() < closeup_probability else "main")
                             for _ in cuts]
    for setting, view in zip(settings, shot_views):
        if view == "closeup":
            setting.hfov_min, setting.hfov_max = 3.0, 6.0
    if views is not None:
        views[:] = shot_views
    cameras = []
    zoom = _smooth(np.clip((spread - 4.0) / 12.0, 0.0, 1.0), alpha=0.05)
    for t in range(num_frames):
        setting = settings[sum(t >= c for c in cuts)]
        hfov = math.radians(setting.hfov_min + (setting.hfov_max - setting.hfov_min) * zoom[t])
        focal = (width / 2) / math.tan(hfov / 2)
        closeup = shot_views[sum(t >= c for c in cuts)] == "closeup"
        look = np.array([target[t, 0], target[t, 1], 0.0])
        if closeup and players.size:  # the athlete nearest the play, at chest height
            known = np.isfinite(players[t]).all(axis=1)
            if known.any():
                nearest = players[t][known][np.argmin(np.linalg.norm(players[t][known] - target[t], axis=1))]
                look = np.array([nearest[0], nearest[1], -1.2])
        # keep pan within the real range
        direction = look[:2] - setting.position[:2]
        pan = math.atan2(direction[0], -direction[1])
        limit = math.radians(ranges["pan_limit_degrees"])
        if abs(pan) > limit:
            distance = np.linalg.norm(direction)
            pan = math.copysign(limit, pan)
            look[:2] = setting.position[:2] + distance * np.array([math.sin(pan), -math.cos(pan)])
        cameras.append(Camera.look_at(setting.position, look, focal, ((width - 1) / 2, (height - 1) / 2),
                                      roll=setting.roll))
    return cameras, cuts


__all__ = ["WC14_RANGES", "CameraSetting", "camera_path", "follow_targets", "sample_setting"]
