"""Offline tracklet linking: one track per athlete across the gaps a frame-to-frame tracker cannot bridge.

Over a broadcast clip a tracker's tracks break wherever an athlete is lost for longer than its buffer: the camera pans
away and back, players occlude each other, the detector misses a few frames, the source skips frames. Linking joins a
tracklet that ends to one that starts later when they are plausibly the same athlete, as the offline association
stage of tracking-by-detection systems does (the "tracklet association" of Huang, Wu and Nevatia, *Robust object
tracking by hierarchical association of detection responses*, ECCV 2008; StrongSORT's AFLink and the sports
trackers' global tracklet association follow the same scheme). Here the evidence is what the pipeline has without
training another model:

* **where** — the pitch position (metres, from the calibrated camera) where the first tracklet ends and the second
  starts (median of :data:`~.game_state.END_POINTS` points at each end). The pair is impossible when the athlete
  would have had to run faster than ``max_speed`` (plus ``position_noise`` for the calibration's error); the cost
  grows with the distance relative to what a typical run (``typical_speed``) covers in the gap. Pitch positions do
  not depend on where the camera looks, so this also holds across pans and cuts. Tracks never calibrated fall back
  to the image: bottom-centre distance in box heights, only over gaps of at most ``image_gap_frames``.
* **who** — the torso colour (CIE Lab, the kit: a pair further apart than ``max_colour_distance`` is two teams) and
  the voted role (players only link to players, goalkeepers to goalkeepers, referees to referees; balls and
  "other" are never linked); when both tracklets carry decoder embeddings, their cosine distance adds to the cost;
  when both carry re-identification embeddings (:mod:`.reid`, the pixels of the boxes), a pair further apart than
  ``max_appearance_distance`` (cosine distance of the tracklets' mean embeddings) is two athletes, and a closer pair's
  cost falls by ``appearance_weight`` times the margin: a sure match may then link over a longer run.
  Jerseys are not used: the model reads too few numbers to trust a disagreement.

First, a player tracklet is cut where the kit it follows changes (the "split" of GTA, Sun et al., *GTA: Global
Tracklet Association for Multi-Object Tracking in Sports*, 2024): each box's torso colour is given the nearer of the
two teams' kit colours (:func:`~.game_state.kit_colours`), and where at least ``kit_split_fraction`` of the next
``kit_split_boxes`` boxes wear the other kit the tracklet continues under a new id (:func:`kit_cuts`). The frame-to-
frame tracker hands a track from one athlete to a crossing opponent; the cut gives each part to its own athlete and
team. An athlete tracklet with re-identification embeddings is also cut where they change
(:func:`appearance_cuts`: the mean of the next ``appearance_split_boxes`` boxes further than
``appearance_split_distance`` from the mean of the part so far): a track handed to a teammate, whose kit is the same.
Then, an athlete tracklet shorter than ``min_tracklet_seconds`` (0.8 s) that does not touch the clip's first
or last frame is dropped: the detector's flickers, which otherwise add ids to the athletes they touch and take the
links of their long neighbours (chosen on the validation clip below; docs/tracking.md has the numbers).

The ends and starts are matched by a minimum-cost assignment (``scipy.optimize.linear_sum_assignment``) per
connected group of candidate pairs, each tracklet getting at most one successor and one predecessor; a pair is linked
when its cost is at most ``max_cost``. Chains of linked tracklets take the id of their first tracklet.

* :func:`link_tracklets` — the mapping ``track id -> linked id`` from per-track summaries (streaming: the analysis of
  a whole match needs only the summaries, not the detections).
* :func:`link_summaries` — the teams of the clustering as a gate, the mapping, and the summaries merged per athlete
  (what ``soccermaster analyze`` does before its tracklet vote).
* :func:`link_frames` — the same on tracked frames in memory (kit cuts first), relabelled in place.
* :func:`kit_cuts` / :func:`appearance_cuts` / :func:`tracklet_cuts` / :func:`split_at_kit_changes` — where the kit
  or the appearance of each tracklet changes, and the summaries of the parts, from a stream of detections read twice
  (``soccermaster analyze`` reads them from its rows on disk).

The defaults were chosen on a 30-s validation clip (SoccerSynth seed 42, match time 3000-3600 s, never a held-out
clip); ``benchmarks/tracking.py`` measures them on held-out clips (docs/tracking.md).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .game_state import TrackSummary, kit_colours, summarise, summarise_detections, team_assignment
from .types import TrackedDetection, TrackedFrame

__all__ = ["LinkingConfig", "Segments", "appearance_cuts", "kit_cuts", "link_cost", "link_frames", "link_summaries",
           "link_tracklets", "merge_summaries", "split_at_kit_changes", "tracklet_cuts"]

_LINKED_ROLES = ("player", "goalkeeper", "referee")


@dataclass(frozen=True)
class LinkingConfig:
    """Settings of :func:`link_tracklets` (see the module docstring).

    max_gap_seconds: longest gap between two tracklets that may be linked. max_speed / typical_speed: metres per
    second an athlete can run (gate) and typically runs (scale of the position cost). position_noise: metres of the
    calibrated positions' error. image_gap_frames: longest gap linked on image positions when a tracklet has no pitch
    position. max_colour_distance: Lab distance between torso colours beyond which two tracklets are different kits.
    colour_weight / embedding_weight: weights of the colour and embedding terms. max_cost: the highest cost linked.
    max_appearance_distance / appearance_weight: gate and weight of the re-identification term (tracklets with
    :attr:`~.game_state.TrackSummary.appearance` only): cosine distance above the gate is never linked, below it the
    cost falls by ``appearance_weight * (max_appearance_distance - distance)``.
    min_tracklet_seconds: an athlete tracklet with fewer detections than this many seconds of frames is dropped
    before linking (its detections leave the output; 0 keeps every tracklet), unless it touches the first or last
    frame analysed (an athlete cut by the clip's ends). These are the detector's flickers: a
    box that slides off an athlete and vanishes within a few frames, or a box between two teammates. Left in, they
    add ids to the athletes they touch and take the links their long neighbours should get. Balls and "other" are
    never dropped. kit_split_boxes / kit_split_fraction: a player tracklet is cut before a box when at least this
    fraction of the boxes with a torso colour among it and the next ``kit_split_boxes - 1`` wear the other team's
    kit, and at least half of them have a colour (0 boxes: never cut; chosen on the validation clip).
    appearance_split_boxes / appearance_split_distance: an athlete tracklet with re-identification embeddings is cut
    before a box when the mean embedding of it and the next ``appearance_split_boxes - 1`` boxes is further than
    this cosine distance from the mean of the part so far (at least as many boxes); 0 boxes: never cut.
    """

    max_gap_seconds: float = 20.0
    max_speed: float = 9.0
    typical_speed: float = 2.5
    position_noise: float = 5.0
    image_gap_frames: int = 12
    max_colour_distance: float = 80.0
    colour_weight: float = 0.5
    embedding_weight: float = 0.5
    max_appearance_distance: float = 0.5
    appearance_weight: float = 2.0
    max_cost: float = 2.0
    min_tracklet_seconds: float = 0.8
    kit_split_boxes: int = 6
    kit_split_fraction: float = 0.7
    appearance_split_boxes: int = 4
    appearance_split_distance: float = 0.5

    def __post_init__(self):
        for name in ("max_gap_seconds", "max_speed", "typical_speed", "position_noise", "max_colour_distance",
                     "max_cost"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"LinkingConfig.{name} must be a positive number, got {value!r}.")
        if not np.isfinite(self.max_appearance_distance) or not 0 < self.max_appearance_distance <= 2:
            raise ValueError("LinkingConfig.max_appearance_distance must be in (0, 2] (a cosine distance), got "
                             f"{self.max_appearance_distance!r}.")
        for name in ("colour_weight", "embedding_weight", "appearance_weight"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"LinkingConfig.{name} must be >= 0, got {value!r}.")
        if not np.isfinite(self.min_tracklet_seconds) or self.min_tracklet_seconds < 0:
            raise ValueError(f"LinkingConfig.min_tracklet_seconds must be >= 0, got {self.min_tracklet_seconds!r}.")
        if isinstance(self.kit_split_boxes, bool) or not isinstance(self.kit_split_boxes, (int, np.integer)) \
                or self.kit_split_boxes < 0:
            raise ValueError(f"LinkingConfig.kit_split_boxes must be an integer >= 0, got {self.kit_split_boxes!r}.")
        if not np.isfinite(self.kit_split_fraction) or not 0.5 < self.kit_split_fraction <= 1:
            raise ValueError(f"LinkingConfig.kit_split_fraction must be in (0.5, 1], got {self.kit_split_fraction!r}.")
        if isinstance(self.appearance_split_boxes, bool) or \
                not isinstance(self.appearance_split_boxes, (int, np.integer)) or self.appearance_split_boxes < 0:
            raise ValueError("LinkingConfig.appearance_split_boxes must be an integer >= 0, got "
                             f"{self.appearance_split_boxes!r}.")
        if not np.isfinite(self.appearance_split_distance) or not 0 < self.appearance_split_distance <= 2:
            raise ValueError("LinkingConfig.appearance_split_distance must be in (0, 2] (a cosine distance), got "
                             f"{self.appearance_split_distance!r}.")
        if self.image_gap_frames < 0:
            raise ValueError(f"LinkingConfig.image_gap_frames must be >= 0, got {self.image_gap_frames!r}.")


class _KitState:
    """One track's state in :func:`kit_cuts`: its kit (``None`` until ``boxes`` boxes agreed), the votes before
    that, and the window of the last boxes' ``(frame, kit)``."""

    def __init__(self, boxes: int):
        self.kit: int | None = None
        self.votes = [0, 0]
        self.window: deque = deque(maxlen=boxes)


def kit_cuts(detections: Iterable[tuple[int, TrackedDetection]], colours: np.ndarray | None,
             config: LinkingConfig | None = None) -> dict[int, list[int]]:
    """``{track id: [frame, ...]}``: the frames (ascending) where a player tracklet changes kit and a new part
    starts (see :class:`LinkingConfig`); tracks without a cut are left out. `detections`: ``(frame index,
    detection)`` in time order (the detection's ``track_id``, per-box ``role`` and torso ``colour`` are read);
    `colours`: the two kits' CIE Lab colours (:func:`~.game_state.kit_colours`; ``None``: no cut). One pass, a
    window of ``kit_split_boxes`` per track: a whole match streams through."""
    config = config or LinkingConfig()
    boxes = config.kit_split_boxes
    if colours is None or boxes == 0:
        return {}
    colours = np.asarray(colours, float).reshape(2, 3)
    states: dict[int, _KitState] = {}
    cuts: dict[int, list[int]] = {}
    for frame_index, detection in detections:
        if detection.track_id <= 0:
            continue
        kit = None
        colour = detection.colour
        if detection.role == "player" and colour is not None and np.isfinite(colour).all():
            kit = int(np.argmin(np.linalg.norm(colours - np.asarray(colour, float), axis=1)))
        state = states.setdefault(detection.track_id, _KitState(boxes))
        state.window.append((int(frame_index), kit))
        if len(state.window) < boxes:
            continue
        first_frame, first_kit = state.window[0]  # decided once the boxes after it are known
        if first_kit is None:
            continue
        if state.kit is None:
            state.votes[first_kit] += 1
            if state.votes[first_kit] >= boxes:
                state.kit = first_kit
        elif first_kit != state.kit:
            seen = [k for _, k in state.window if k is not None]
            other = sum(k != state.kit for k in seen)
            if len(seen) >= 0.5 * boxes and other >= config.kit_split_fraction * len(seen):
                cuts.setdefault(detection.track_id, []).append(first_frame)
                state.kit = first_kit
    return cuts


class _AppearanceState:
    """One track's state in :func:`appearance_cuts`: the sum and count of the unit embeddings of its current part,
    and the window of the last boxes' ``(frame, unit embedding)``."""

    def __init__(self, boxes: int):
        self.total: np.ndarray | None = None
        self.count = 0
        self.window: deque = deque(maxlen=boxes)


def _appearance_step(states: dict, cuts: dict, frame_index: int, detection: TrackedDetection,
                     config: LinkingConfig) -> None:
    boxes = config.appearance_split_boxes
    vector = detection.appearance
    if boxes == 0 or detection.track_id <= 0 or vector is None or detection.role not in _LINKED_ROLES:
        return
    unit = np.asarray(vector, float) / (np.linalg.norm(vector) + 1e-9)
    state = states.setdefault(detection.track_id, _AppearanceState(boxes))
    if not np.isfinite(unit).all() or (state.window and state.window[-1][1].shape != unit.shape):
        return
    state.window.append((int(frame_index), unit))
    if len(state.window) < boxes:
        return
    if state.count >= boxes:  # the first box of the window is decided once the boxes after it are known
        reference = state.total / (np.linalg.norm(state.total) + 1e-9)
        ahead = np.sum([u for _, u in state.window], axis=0)
        if 1.0 - float(ahead @ reference) / (np.linalg.norm(ahead) + 1e-9) > config.appearance_split_distance:
            # the new part starts at the window's first box that is itself that far from the part so far
            far = [k for k, (_, u) in enumerate(state.window) if 1.0 - float(u @ reference) >
                   config.appearance_split_distance]
            start = far[0] if far else 0
            cuts.setdefault(detection.track_id, []).append(state.window[start][0])
            for _ in range(start):  # boxes of the old part: done with
                state.window.popleft()
            state.total, state.count = None, 0
            if len(state.window) < boxes:
                return
    _, first = state.window[0]
    state.total = first if state.total is None else state.total + first
    state.count += 1


def appearance_cuts(detections: Iterable[tuple[int, TrackedDetection]], config: LinkingConfig | None = None
                    ) -> dict[int, list[int]]:
    """``{track id: [frame, ...]}``: the frames (ascending) where an athlete tracklet's re-identification embedding
    changes and a new part starts (``appearance_split_boxes`` / ``appearance_split_distance`` of
    :class:`LinkingConfig`): the frame-to-frame tracker handed the track to a teammate, whose kit is the same. One
    pass, a window of ``appearance_split_boxes`` per track."""
    config = config or LinkingConfig()
    states: dict[int, _AppearanceState] = {}
    cuts: dict[int, list[int]] = {}
    for frame_index, detection in detections:
        _appearance_step(states, cuts, frame_index, detection, config)
    return cuts


def tracklet_cuts(detections: Iterable[tuple[int, TrackedDetection]], colours: np.ndarray | None,
                  config: LinkingConfig | None = None) -> dict[int, list[int]]:
    """The cuts of :func:`kit_cuts` and :func:`appearance_cuts` together (ascending, each frame once), in one pass
    over `detections`."""
    config = config or LinkingConfig()
    states: dict[int, _AppearanceState] = {}
    appearance: dict[int, list[int]] = {}

    def observed():
        for frame_index, detection in detections:
            _appearance_step(states, appearance, frame_index, detection, config)
            yield frame_index, detection

    stream = observed()
    kit = kit_cuts(stream, colours, config)
    for _ in stream:  # what kit_cuts did not read (without kits it reads nothing)
        pass
    return {track: sorted(set(kit.get(track, [])) | set(appearance.get(track, [])))
            for track in sorted(set(kit) | set(appearance))}


class Segments:
    """``segments(track id, frame) -> id`` of the part of the track that holds that frame, given the cuts of
    :func:`tracklet_cuts`: the first part keeps the track's id, later parts get new ids from `first_id` up (in the order
    of track id, then frame)."""

    def __init__(self, cuts: dict[int, list[int]], first_id: int):
        self.cuts = {track: sorted(frames) for track, frames in cuts.items() if frames}
        self.ids: dict[int, list[int]] = {}
        next_id = int(first_id)
        for track in sorted(self.cuts):
            self.ids[track] = list(range(next_id, next_id + len(self.cuts[track])))
            next_id += len(self.cuts[track])

    def __len__(self) -> int:
        return sum(len(frames) for frames in self.cuts.values())

    def __call__(self, track_id: int, frame_index: int) -> int:
        frames = self.cuts.get(track_id)
        if not frames:
            return track_id
        part = bisect.bisect_right(frames, int(frame_index))
        return track_id if part == 0 else self.ids[track_id][part - 1]


def split_at_kit_changes(detections: Callable[[], Iterable[tuple[int, TrackedDetection]]],
                         summaries: dict[int, TrackSummary], config: LinkingConfig | None = None
                         ) -> tuple[Segments, dict[int, TrackSummary]]:
    """``(segments, summaries)``: the cuts of :func:`tracklet_cuts` (where the kit changes, kits from
    :func:`~.game_state.kit_colours` of `summaries` with their voted roles, and where the re-identification
    embedding changes) and the summaries per part. `detections()` yields ``(frame index,
    detection)`` in time order and is called again to summarise the parts when there is a cut; `summaries` is
    returned as is when there is none."""
    colours = kit_colours(summaries, role_of=lambda _, summary: summary.role)
    segments = Segments(tracklet_cuts(detections(), colours, config), max(summaries, default=0) + 1)
    if not len(segments):
        return segments, summaries
    return segments, summarise_detections(detections(), key=segments)


def link_cost(earlier: TrackSummary, later: TrackSummary, fps: float, config: LinkingConfig = LinkingConfig()
              ) -> float:
    """Cost of `later` continuing `earlier` (``inf`` when impossible): see the module docstring."""
    if earlier.count == 0 or later.count == 0 or later.first_frame <= earlier.last_frame:
        return np.inf
    if earlier.role not in _LINKED_ROLES or later.role != earlier.role:
        return np.inf
    if (later.first_frame - earlier.last_frame) / fps > config.max_gap_seconds:
        return np.inf
    frames = later.first_frame - earlier.last_frame
    end, start = earlier.end_point("tail"), later.end_point("head")
    if frames <= config.image_gap_frames:  # a short gap: the image position is the surer evidence
        a, b = earlier.last_box, later.first_box
        height = max(0.5 * (a[3] - a[1] + b[3] - b[1]), 1.0)
        distance = float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, a[3] - b[3])) / height
        cost = distance / (0.5 + 0.1 * frames)  # in box heights: about half a height a frame at most
    elif end is not None and start is not None:
        gap = max(start[0] - end[0], 1) / fps
        distance = float(np.linalg.norm(start[1] - end[1]))
        if distance > config.position_noise + config.max_speed * gap:
            return np.inf
        cost = distance / (config.position_noise + config.typical_speed * gap)
    else:
        return np.inf
    ca, cb = earlier.colour, later.colour
    if ca is not None and cb is not None:
        colour = float(np.linalg.norm(ca - cb))
        if colour > config.max_colour_distance:
            return np.inf
        cost += config.colour_weight * colour / config.max_colour_distance
    ea, eb = earlier.embedding, later.embedding
    if config.embedding_weight and ea is not None and eb is not None:
        cosine = float(ea @ eb / (np.linalg.norm(ea) * np.linalg.norm(eb) + 1e-9))
        cost += config.embedding_weight * (1.0 - cosine)
    fa, fb = earlier.appearance, later.appearance
    if fa is not None and fb is not None and fa.shape == fb.shape:
        distance = 1.0 - float(fa @ fb / (np.linalg.norm(fa) * np.linalg.norm(fb) + 1e-9))
        if distance > config.max_appearance_distance:
            return np.inf
        cost -= config.appearance_weight * (config.max_appearance_distance - distance)
    return cost if np.isfinite(cost) else np.inf


def link_tracklets(summaries: dict[int, TrackSummary], fps: float = 25.0, config: LinkingConfig | None = None,
                   teams: dict[int, str | None] | None = None) -> dict[int, int]:
    """``{track id: linked id}`` for every track of `summaries` (a track not linked keeps its id; a chain of linked
    tracklets takes the id of its first one; an athlete tracklet shorter than ``min_tracklet_seconds`` that does not
    touch the first or last frame of `summaries` maps to 0: dropped). Summaries need the frames they were built with (:meth:`TrackSummary.add` with ``frame_index``)."""
    config = config or LinkingConfig()
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps!r}.")
    shortest = int(np.ceil(config.min_tracklet_seconds * fps - 1e-9))
    athletes = [t for t, s in summaries.items() if s.count and s.role in _LINKED_ROLES]
    # a tracklet that touches the first or last frame analysed may be an athlete cut by the clip's ends: kept
    begin = min((s.first_frame for s in summaries.values() if s.count), default=0)
    end = max((s.last_frame for s in summaries.values() if s.count), default=0)
    dropped = {t for t in athletes if summaries[t].count < shortest
               and begin < summaries[t].first_frame and summaries[t].last_frame < end}
    ids = sorted((t for t in athletes if t not in dropped), key=lambda t: (summaries[t].first_frame, t))
    starts = [summaries[t].first_frame for t in ids]
    max_gap = int(np.ceil(config.max_gap_seconds * fps))
    rows, cols, costs = [], [], []
    for i, track in enumerate(ids):
        summary = summaries[track]
        lo = bisect.bisect_right(starts, summary.last_frame)
        hi = bisect.bisect_right(starts, summary.last_frame + max_gap)
        for j in range(lo, hi):
            if teams is not None and teams.get(track) != teams.get(ids[j]):
                continue
            cost = link_cost(summary, summaries[ids[j]], fps, config)
            if cost <= config.max_cost:
                rows.append(i)
                cols.append(j)
                costs.append(cost)
    successor: dict[int, int] = {}
    if rows:
        n = len(ids)
        # groups of tracklets connected by candidate pairs: one small assignment problem each
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, group = connected_components(graph, directed=False)
        pairs: dict[int, list[int]] = {}
        for k, i in enumerate(rows):
            pairs.setdefault(int(group[i]), []).append(k)
        for members in pairs.values():
            left = sorted({rows[k] for k in members})
            right = sorted({cols[k] for k in members})
            li, rj = {v: a for a, v in enumerate(left)}, {v: a for a, v in enumerate(right)}
            big = config.max_cost * 10 + 1.0
            matrix = np.full((len(left), len(right)), big)
            for k in members:
                matrix[li[rows[k]], rj[cols[k]]] = costs[k]
            for a, b in zip(*linear_sum_assignment(matrix)):
                if matrix[a, b] <= config.max_cost:
                    successor[left[a]] = right[b]
    linked = {track: 0 if track in dropped else track for track in summaries}
    has_predecessor = set(successor.values())
    for i in range(len(ids)):
        if i in has_predecessor:
            continue
        head, j = ids[i], i
        while j in successor:
            j = successor[j]
            linked[ids[j]] = head
    return linked


def merge_summaries(summaries: dict[int, TrackSummary], linked: dict[int, int]) -> dict[int, TrackSummary]:
    """The summaries of the linked tracks (each chain's tracklets merged in time order) by linked id; tracks linked
    to 0 (dropped) are left out."""
    out: dict[int, TrackSummary] = {}
    for track in sorted(summaries, key=lambda t: (summaries[t].first_frame or 0, t)):
        target = linked.get(track, track)
        if target == 0:
            continue
        out[target] = out[target].merged(summaries[track]) if target in out else summaries[track]
    return out


def link_summaries(summaries: dict[int, TrackSummary], fps: float = 25.0, config: LinkingConfig | None = None,
                   image_width: float | None = None) -> tuple[dict[int, int], dict[int, TrackSummary]]:
    """``(linked, merged)``: ``{track id: linked id}`` (:func:`link_tracklets`, a pair allowed only within one team of
    :func:`~.game_state.team_assignment` over the tracklets, with their voted roles) and the summaries merged per
    linked id (:func:`merge_summaries`). `image_width`: the frame width, for teams of tracks never calibrated."""
    teams = team_assignment(summaries, image_width=image_width, role_of=lambda _, summary: summary.role)
    linked = link_tracklets(summaries, fps, config, teams=teams)
    return linked, merge_summaries(summaries, linked)


def link_frames(frames: list[TrackedFrame], fps: float = 25.0, config: LinkingConfig | None = None,
                image_width: float | None = None) -> list[TrackedFrame]:
    """Cut the tracklets of tracked frames where their kit changes (:func:`split_at_kit_changes`), link them
    (:func:`link_summaries`) and relabel their detections in place (the detections of dropped tracklets are removed
    from their frames); returns `frames`. Run it before the tracklet vote (:func:`~.game_state.vote_game_state`),
    which then votes per athlete."""
    def stream():
        return ((frame.frame_index, detection) for frame in frames for detection in frame.detections)

    segments, summaries = split_at_kit_changes(stream, summarise(frames), config)
    linked, _ = link_summaries(summaries, fps, config, image_width)
    for frame in frames:
        kept = []
        for detection in frame.detections:
            if detection.track_id > 0:  # ids <= 0 ("not tracked") are left as they are
                part = segments(detection.track_id, frame.frame_index)
                detection.track_id = linked.get(part, part)
                if detection.track_id == 0:  # a dropped tracklet
                    continue
            kept.append(detection)
        frame.detections = kept
    return frames
