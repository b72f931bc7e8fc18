"""Game state per tracklet: roles and jerseys by vote, teams by clustering the clip's athletes.

* :func:`vote_attributes` — role and jersey of a tracklet by a confidence-weighted majority vote over its frames (as
  the SoccerNet-GSR curation does); the per-frame jersey visibility is kept (a frame where the number was not read
  keeps ``None``, as the GSR ground truth and GS-HOTA expect).
* :func:`assign_teams` — relational team assignment over all the clip's athletes instead of a per-box classifier:
  the players' tracklets are clustered into two teams on their appearance (median torso colour in CIE Lab,
  :func:`torso_colour`, optionally with the decoder embeddings), referees stay apart (no team), goalkeepers (their own
  kits) join the team that defends their half; the team whose players stand on average further to the left of the
  pitch (the calibrated ``x``, else the image ``x``) is ``left`` — SoccerNet-GSR's definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import cv2
import numpy as np
from scipy.cluster.vq import kmeans2

from .types import TrackedDetection, TrackedFrame

__all__ = ["assign_teams", "torso_colour", "tracklets", "vote_attributes", "vote_game_state"]


def torso_colour(frame_rgb: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """Median CIE Lab colour (3,) of the torso of an athlete's box (rows 20-45 %, columns 30-70 % of the box), or
    ``None`` when the crop is empty. ``frame_rgb``: (H, W, 3) uint8 RGB."""
    x0, y0, x1, y1 = (float(v) for v in box)
    height, width = frame_rgb.shape[:2]
    w, h = x1 - x0, y1 - y0
    if w < 1 or h < 1:
        return None
    r0, r1 = int(max(0, y0 + 0.2 * h)), int(min(height, y0 + 0.45 * h + 1))
    c0, c1 = int(max(0, x0 + 0.3 * w)), int(min(width, x0 + 0.7 * w + 1))
    if r1 <= r0 or c1 <= c0:
        return None
    crop = np.ascontiguousarray(frame_rgb[r0:r1, c0:c1])
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float64)
    return np.median(lab, axis=0)


def tracklets(frames: Iterable[TrackedFrame]) -> dict[int, list[TrackedDetection]]:
    """Detections grouped by track id (ids <= 0, "not tracked", are left out)."""
    groups: dict[int, list[TrackedDetection]] = defaultdict(list)
    for frame in frames:
        for detection in frame.detections:
            if detection.track_id > 0:
                groups[detection.track_id].append(detection)
    return dict(groups)


def _vote(values: list, weights: list[float]):
    totals: dict = defaultdict(float)
    for value, weight in zip(values, weights):
        totals[value] += weight
    return max(totals.items(), key=lambda item: item[1])[0] if totals else None


def vote_attributes(frames: list[TrackedFrame]) -> list[TrackedFrame]:
    """Set each tracklet's role (everywhere) and jersey (where a number was read) to its confidence-weighted
    majority; returns ``frames`` (modified in place)."""
    for detections in tracklets(frames).values():
        role = _vote([d.role for d in detections], [d.role_score for d in detections])
        read = [d for d in detections if d.jersey is not None]
        jersey = _vote([d.jersey for d in read], [d.jersey_score for d in read])
        for detection in detections:
            detection.role = role
            if detection.jersey is not None:
                detection.jersey = jersey
    return frames


def _mean_or_none(arrays: list) -> np.ndarray | None:
    arrays = [a for a in arrays if a is not None and np.isfinite(a).all()]
    return np.mean(arrays, axis=0) if arrays else None


def _position(detections: list[TrackedDetection], image_width: float | None) -> float | None:
    """Mean pitch ``x`` (metres) of a tracklet, else its mean image ``x`` mapped to [-52.5, 52.5] (the broadcast
    camera looks across the pitch, so image left is pitch left)."""
    pitch = _mean_or_none([d.pitch_point for d in detections])
    if pitch is not None:
        return float(pitch[0])
    if image_width:
        centre = np.mean([(d.box[0] + d.box[2]) / 2 for d in detections])
        return float((centre / image_width - 0.5) * 105.0)
    return None


def assign_teams(frames: list[TrackedFrame], use_embeddings: bool = False, image_width: float | None = None,
                 seed: int = 0) -> list[TrackedFrame]:
    """Team of every player and goalkeeper tracklet from the clip as a whole (see the module docstring); referees,
    balls and others get no team. Returns ``frames`` (modified in place)."""
    groups = tracklets(frames)
    players, keepers = [], []
    for track_id, detections in groups.items():
        role = detections[0].role
        if role == "player":
            players.append(track_id)
        elif role == "goalkeeper":
            keepers.append(track_id)
        else:
            for detection in detections:
                detection.team = None
    features, clustered = [], []
    for track_id in players:
        colour = _mean_or_none([d.colour for d in groups[track_id]])
        if colour is None:
            continue
        feature = colour / 20.0  # Lab units: ~20 separates kits
        if use_embeddings:
            embedding = _mean_or_none([d.embedding / (np.linalg.norm(d.embedding) + 1e-9) for d in groups[track_id]
                                       if d.embedding is not None])
            if embedding is not None:
                feature = np.concatenate([feature, embedding])
        features.append(feature)
        clustered.append(track_id)
    labels = np.zeros(len(clustered), dtype=int)
    if len(clustered) >= 2:
        data = np.stack(features)
        weights = np.array([len(groups[t]) for t in clustered], float)
        # initialise with the two most different tracklets (deterministic), then k-means
        first = int(np.argmax(weights))
        second = int(np.argmax(np.linalg.norm(data - data[first], axis=1)))
        if second == first:
            second = (first + 1) % len(data)
        _, labels = kmeans2(data, data[[first, second]], iter=20, minit="matrix", seed=seed)
    side_of_cluster = {}
    positions = {c: [p for t, label in zip(clustered, labels) if label == c
                     for p in [_position(groups[t], image_width)] if p is not None] for c in (0, 1)}
    mean = {c: np.mean(v) if v else None for c, v in positions.items()}
    if mean[0] is not None and mean[1] is not None:
        left = 0 if mean[0] <= mean[1] else 1
    else:
        left = 0
    side_of_cluster = {left: "left", 1 - left: "right"}
    for track_id, label in zip(clustered, labels):
        for detection in groups[track_id]:
            detection.team = side_of_cluster[int(label)]
    for track_id in players:
        if track_id not in clustered:
            for detection in groups[track_id]:
                detection.team = None
    for track_id in keepers:  # a goalkeeper defends the goal of his own half
        x = _position(groups[track_id], image_width)
        team = None if x is None else ("left" if x < 0 else "right")
        for detection in groups[track_id]:
            detection.team = team
    return frames


def vote_game_state(frames: list[TrackedFrame], use_embeddings: bool = False,
                    image_width: float | None = None) -> list[TrackedFrame]:
    """:func:`vote_attributes` then :func:`assign_teams`."""
    return assign_teams(vote_attributes(frames), use_embeddings=use_embeddings, image_width=image_width)
