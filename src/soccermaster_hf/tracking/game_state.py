"""Game state per tracklet: roles and jerseys by vote, teams by clustering the clip's athletes.

* :func:`vote_attributes` — role and jersey of a tracklet by a confidence-weighted majority vote over its frames (as
  the SoccerNet-GSR curation does); the per-frame jersey visibility is kept (a frame where the number was not read
  keeps ``None``, as the GSR ground truth and GS-HOTA expect).
* :func:`assign_teams` — relational team assignment over all the clip's athletes instead of a per-box classifier:
  the players' tracklets are clustered into two teams on their appearance (median torso colour in CIE Lab,
  :func:`torso_colour`, optionally with the decoder embeddings), referees stay apart (no team), goalkeepers (their own
  kits) join the team that defends their half, and so do "player" tracklets in a colour of neither team (a cluster
  with under :data:`MIN_TEAM_SHARE` of the detections: most often a goalkeeper the role head called a player); the
  team whose players stand on average further to the left of the pitch (the calibrated ``x``, else the image ``x``)
  is ``left`` — SoccerNet-GSR's definition.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.cluster.vq import kmeans2

from .types import TrackedDetection, TrackedFrame

#: How many calibrated detections at each end of a tracklet give its end position (their median) for linking.
END_POINTS = 5
#: The smallest share of the clip's clustered player detections that a colour cluster needs to be a team (see
#: :func:`team_assignment`).
MIN_TEAM_SHARE = 0.1

__all__ = ["END_POINTS", "MIN_TEAM_SHARE", "TrackSummary", "assign_teams", "kit_colours", "summarise",
           "summarise_detections", "team_assignment", "torso_colour", "tracklets", "vote_attributes", "vote_game_state"]


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


def _best(totals: dict):
    return max(totals.items(), key=lambda item: item[1])[0] if totals else None


@dataclass
class TrackSummary:
    """What the per-tracklet votes need of a tracklet, accumulated one detection at a time (constant memory per
    track, so a whole match's game state is voted without keeping its detections): role and jersey vote totals, the
    sums behind the mean torso colour, mean decoder embedding and mean re-identification embedding (each unit-
    normalised first) and mean pitch / image ``x``; and what
    linking tracklets across gaps needs (:mod:`.linking`): the first and last frame and box, and the pitch points of
    the first and last :data:`END_POINTS` calibrated detections with their frames."""

    count: int = 0
    first_frame: int | None = None
    last_frame: int | None = None
    first_box: np.ndarray | None = None
    last_box: np.ndarray | None = None
    head: list = field(default_factory=list)
    tail: deque = field(default_factory=lambda: deque(maxlen=END_POINTS))
    first_role: str | None = None
    roles: dict = field(default_factory=lambda: defaultdict(float))
    jerseys: dict = field(default_factory=lambda: defaultdict(float))
    colour_sum: np.ndarray | None = None
    colour_count: int = 0
    embedding_sum: np.ndarray | None = None
    embedding_count: int = 0
    appearance_sum: np.ndarray | None = None
    appearance_count: int = 0
    pitch_x_sum: float = 0.0
    pitch_count: int = 0
    image_x_sum: float = 0.0

    def add(self, detection: TrackedDetection, frame_index: int | None = None) -> None:
        """Count one detection of the track; `frame_index` (0-based) for the linking fields (default: the
        detection's position in the track)."""
        frame_index = self.count if frame_index is None else int(frame_index)
        if self.count == 0:
            self.first_role = detection.role
            self.first_frame, self.first_box = frame_index, np.asarray(detection.box, float)
        self.last_frame, self.last_box = frame_index, np.asarray(detection.box, float)
        self.count += 1
        self.roles[detection.role] += detection.role_score
        if detection.jersey is not None:
            self.jerseys[detection.jersey] += detection.jersey_score
        colour = detection.colour
        if colour is not None and np.isfinite(colour).all():
            self.colour_sum = np.asarray(colour, float) + (0 if self.colour_sum is None else self.colour_sum)
            self.colour_count += 1
        for name in ("embedding", "appearance"):
            vector = getattr(detection, name)
            if vector is not None:
                unit = np.asarray(vector, float) / (np.linalg.norm(vector) + 1e-9)
                total = getattr(self, f"{name}_sum")
                if np.isfinite(unit).all() and (total is None or total.shape == unit.shape):  # else: not comparable
                    setattr(self, f"{name}_sum", unit if total is None else unit + total)
                    setattr(self, f"{name}_count", getattr(self, f"{name}_count") + 1)
        point = detection.pitch_point
        if point is not None and np.isfinite(point).all():
            self.pitch_x_sum += float(point[0])
            self.pitch_count += 1
            if len(self.head) < END_POINTS:
                self.head.append((frame_index, point))
            self.tail.append((frame_index, point))
        self.image_x_sum += float((detection.box[0] + detection.box[2]) / 2)

    def merged(self, later: TrackSummary) -> TrackSummary:
        """The summary of this tracklet followed by `later` (one track after linking): vote totals and sums added,
        the ends taken from the earlier and the later tracklet."""
        if later.count == 0:
            return self
        if self.count == 0:
            return later
        out = TrackSummary(count=self.count + later.count, first_role=self.first_role,
                           first_frame=self.first_frame, last_frame=later.last_frame, first_box=self.first_box,
                           last_box=later.last_box,
                           head=(self.head + later.head)[:END_POINTS],
                           colour_count=self.colour_count + later.colour_count,
                           embedding_count=self.embedding_count + later.embedding_count,
                           appearance_count=self.appearance_count + later.appearance_count,
                           pitch_x_sum=self.pitch_x_sum + later.pitch_x_sum,
                           pitch_count=self.pitch_count + later.pitch_count,
                           image_x_sum=self.image_x_sum + later.image_x_sum)
        out.tail.extend(list(self.tail) + list(later.tail))
        for name in ("roles", "jerseys"):
            for key, value in (*getattr(self, name).items(), *getattr(later, name).items()):
                getattr(out, name)[key] += value
        for name in ("colour_sum", "embedding_sum", "appearance_sum"):
            parts = [v for v in (getattr(self, name), getattr(later, name)) if v is not None]
            setattr(out, name, None if not parts else sum(parts[1:], parts[0]))
        return out

    def end_point(self, end: str) -> tuple[int, np.ndarray] | None:
        """``(frame, median pitch point (2,))`` of the first (`end` ``"head"``) or last (``"tail"``) calibrated
        detections, the frame being the one nearest that end; ``None`` when the track was never calibrated."""
        points = self.head if end == "head" else list(self.tail)
        if not points:
            return None
        frame = points[0][0] if end == "head" else points[-1][0]
        return frame, np.median(np.stack([p for _, p in points]), axis=0)

    @property
    def role(self):
        """The confidence-weighted majority role."""
        return _best(self.roles)

    @property
    def jersey(self):
        """The confidence-weighted majority jersey among the frames where a number was read (``None`` if never)."""
        return _best(self.jerseys)

    @property
    def colour(self) -> np.ndarray | None:
        return None if not self.colour_count else self.colour_sum / self.colour_count

    @property
    def embedding(self) -> np.ndarray | None:
        return None if not self.embedding_count else self.embedding_sum / self.embedding_count

    @property
    def appearance(self) -> np.ndarray | None:
        """The mean unit re-identification embedding of the tracklet (``None`` without one)."""
        return None if not self.appearance_count else self.appearance_sum / self.appearance_count

    def position(self, image_width: float | None) -> float | None:
        """Mean pitch ``x`` (metres), else the mean image ``x`` mapped to [-52.5, 52.5] (the broadcast camera looks
        across the pitch, so image left is pitch left)."""
        if self.pitch_count:
            return self.pitch_x_sum / self.pitch_count
        if image_width and self.count:
            return float((self.image_x_sum / self.count / image_width - 0.5) * 105.0)
        return None


def summarise(frames: Iterable[TrackedFrame]) -> dict[int, TrackSummary]:
    """A :class:`TrackSummary` per track id (ids <= 0, "not tracked", are left out)."""
    return summarise_detections((frame.frame_index, detection) for frame in frames for detection in frame.detections)


def summarise_detections(detections: Iterable[tuple[int, TrackedDetection]], key=None) -> dict[int, TrackSummary]:
    """A :class:`TrackSummary` per ``key(track id, frame index)`` (default: per track id) from ``(frame index,
    detection)`` pairs in time order (ids <= 0, "not tracked", are left out): :func:`summarise` without the frames,
    for a stream."""
    summaries: dict[int, TrackSummary] = defaultdict(TrackSummary)
    for frame_index, detection in detections:
        if detection.track_id > 0:
            target = detection.track_id if key is None else key(detection.track_id, frame_index)
            summaries[target].add(detection, frame_index)
    return dict(summaries)


def vote_attributes(frames: list[TrackedFrame]) -> list[TrackedFrame]:
    """Set each tracklet's role (everywhere) and jersey (where a number was read) to its confidence-weighted
    majority; returns ``frames`` (modified in place)."""
    summaries = summarise(frames)
    for track_id, detections in tracklets(frames).items():
        role, jersey = summaries[track_id].role, summaries[track_id].jersey
        for detection in detections:
            detection.role = role
            if detection.jersey is not None:
                detection.jersey = jersey
    return frames


def _team_position(members: list[TrackSummary], image_width: float | None) -> float | None:
    """Mean pitch ``x`` of a team over all its calibrated detections (each athlete-frame counts once, so the number
    does not depend on how the tracks are cut or linked; the mean of per-track means did, and flipped the sides of
    a 30-s clip whose teams stood about a metre apart on average), else the mean image ``x`` of its detections mapped
    as :meth:`TrackSummary.position` maps it; ``None`` for an empty team."""
    calibrated = sum(m.pitch_count for m in members)
    if calibrated:
        return sum(m.pitch_x_sum for m in members) / calibrated
    count = sum(m.count for m in members)
    if image_width and count:
        return float((sum(m.image_x_sum for m in members) / count / image_width - 0.5) * 105.0)
    return None


def _cluster_players(summaries: dict[int, TrackSummary], players: list[int], use_embeddings: bool = False,
                     seed: int = 0) -> tuple[list[int], np.ndarray]:
    """``(clustered, labels)``: the player tracks with a torso colour and their cluster (0 / 1) by k-means on the
    colour (CIE Lab / 20: ~20 separates kits; with `use_embeddings`, the decoder embedding appended), started from
    the longest tracklet and the one most different from it (deterministic).

    A cluster holding less than :data:`MIN_TEAM_SHARE` of the clustered detections is not a team: one tracklet in a
    colour of its own (a goalkeeper voted "player", a spectator) pulls a cluster to itself and leaves both teams in
    the other, which gave every player of a validation clip one side. Such tracklets get label ``-1`` (apart) and
    the rest is clustered again."""
    features, clustered = [], []
    for track_id in players:
        colour = summaries[track_id].colour
        if colour is None:
            continue
        feature = colour / 20.0
        if use_embeddings and summaries[track_id].embedding is not None:
            feature = np.concatenate([feature, summaries[track_id].embedding])
        features.append(feature)
        clustered.append(track_id)
    labels = np.zeros(len(clustered), dtype=int)
    weights = np.array([summaries[t].count for t in clustered], float)
    active = np.arange(len(clustered))
    while len(active) >= 2:
        data = np.stack([features[i] for i in active])
        first = int(np.argmax(weights[active]))
        second = int(np.argmax(np.linalg.norm(data - data[first], axis=1)))
        if second == first:
            second = (first + 1) % len(data)
        _, found = kmeans2(data, data[[first, second]], iter=20, minit="matrix", seed=seed)
        labels[active] = found
        share = np.array([weights[active][found == c].sum() for c in (0, 1)]) / max(weights[active].sum(), 1e-9)
        small = int(np.argmin(share))
        if share[small] >= MIN_TEAM_SHARE or share[small] == 0:
            break
        labels[active[found == small]] = -1
        active = active[found != small]
    return clustered, labels


def kit_colours(summaries: dict[int, TrackSummary], role_of=None, seed: int = 0) -> np.ndarray | None:
    """The two teams' kit colours (2, 3) in CIE Lab: the mean torso colour of the player tracklets of each cluster of
    :func:`team_assignment` (the same clustering, colours only); ``None`` unless both clusters have a tracklet.
    `role_of` as in :func:`team_assignment`."""
    role_of = role_of or (lambda track_id, summary: summary.first_role)
    players = [t for t, s in summaries.items() if role_of(t, s) == "player"]
    clustered, labels = _cluster_players(summaries, players, seed=seed)
    colours = np.array([summaries[t].colour for t in clustered]).reshape(-1, 3)
    if not {0, 1} <= set(int(label) for label in labels):
        return None
    return np.stack([colours[labels == c].mean(axis=0) for c in (0, 1)])


def team_assignment(summaries: dict[int, TrackSummary], use_embeddings: bool = False,
                    image_width: float | None = None, seed: int = 0, role_of=None) -> dict[int, str | None]:
    """Team (``"left"`` / ``"right"`` / ``None``) of every track from its summary (see the module docstring).
    `role_of(track_id, summary)`: the track's role (default: its first detection's, i.e. the voted role once
    :func:`vote_attributes` ran)."""
    role_of = role_of or (lambda track_id, summary: summary.first_role)
    teams: dict[int, str | None] = {}
    players, keepers = [], []
    for track_id, summary in summaries.items():
        role = role_of(track_id, summary)
        if role == "player":
            players.append(track_id)
        elif role == "goalkeeper":
            keepers.append(track_id)
        else:
            teams[track_id] = None
    clustered, labels = _cluster_players(summaries, players, use_embeddings, seed)
    mean = {c: _team_position([summaries[t] for t, label in zip(clustered, labels) if label == c], image_width)
            for c in (0, 1)}
    left = (0 if mean[0] <= mean[1] else 1) if mean[0] is not None and mean[1] is not None else 0
    side_of_cluster = {left: "left", 1 - left: "right"}
    for track_id in players:
        teams[track_id] = None
    for track_id, label in zip(clustered, labels):
        if label >= 0:
            teams[track_id] = side_of_cluster[int(label)]
        else:  # in a colour of no team: most likely a goalkeeper
            keepers.append(track_id)
    for track_id in keepers:  # a goalkeeper defends the goal of his own half
        x = summaries[track_id].position(image_width)
        teams[track_id] = None if x is None else ("left" if x < 0 else "right")
    return teams


def assign_teams(frames: list[TrackedFrame], use_embeddings: bool = False, image_width: float | None = None,
                 seed: int = 0) -> list[TrackedFrame]:
    """Team of every player and goalkeeper tracklet from the clip as a whole (see the module docstring); referees,
    balls and others get no team. Returns ``frames`` (modified in place)."""
    teams = team_assignment(summarise(frames), use_embeddings=use_embeddings, image_width=image_width, seed=seed)
    for track_id, detections in tracklets(frames).items():
        for detection in detections:
            detection.team = teams[track_id]
    return frames


def vote_game_state(frames: list[TrackedFrame], use_embeddings: bool = False,
                    image_width: float | None = None) -> list[TrackedFrame]:
    """:func:`vote_attributes` then :func:`assign_teams`."""
    return assign_teams(vote_attributes(frames), use_embeddings=use_embeddings, image_width=image_width)
