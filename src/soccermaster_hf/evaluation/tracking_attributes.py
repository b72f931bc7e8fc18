"""Diagnostics of tracked game state against ground truth that the official evaluators do not report separately:
role and team accuracy of matched detections, and how many predicted tracks each real athlete is split into.

Detections are matched to the ground truth per frame by a Hungarian assignment on box IoU (``>= iou_threshold``),
as TrackEval's CLEAR matching does; GS-HOTA and HOTA themselves come from :mod:`.tracking`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..tracking.association import iou_matrix
from ..tracking.types import TrackedDetection, TrackedFrame

__all__ = ["attribute_accuracy", "match_frames", "tracks_per_athlete"]

_ATHLETES = ("player", "goalkeeper", "referee")


def match_frames(predicted: list[TrackedFrame], truth: list[TrackedFrame], iou_threshold: float = 0.5
                 ) -> list[tuple[TrackedDetection, TrackedDetection]]:
    """``(prediction, ground truth)`` pairs over the clip (frames matched by ``frame_index``)."""
    by_index = {frame.frame_index: frame for frame in predicted}
    pairs = []
    for gt_frame in truth:
        frame = by_index.get(gt_frame.frame_index)
        if frame is None or not frame.detections or not gt_frame.detections:
            continue
        iou = iou_matrix(np.stack([d.box for d in frame.detections]).astype(float),
                         np.stack([d.box for d in gt_frame.detections]).astype(float))
        rows, cols = linear_sum_assignment(-iou)
        pairs += [(frame.detections[r], gt_frame.detections[c]) for r, c in zip(rows, cols)
                  if iou[r, c] >= iou_threshold]
    return pairs


def attribute_accuracy(predicted: list[TrackedFrame], truth: list[TrackedFrame], iou_threshold: float = 0.5
                       ) -> dict[str, float]:
    """``role_accuracy`` over matched athletes (players, goalkeepers, referees), ``team_accuracy`` over matched
    players and goalkeepers with an annotated team, and the counts they are computed on."""
    pairs = match_frames(predicted, truth, iou_threshold)
    roles = [(p.role == g.role) for p, g in pairs if g.role in _ATHLETES]
    teams = [(p.team == g.team) for p, g in pairs if g.role in ("player", "goalkeeper") and g.team is not None]
    return {"role_accuracy": float(np.mean(roles)) if roles else float("nan"), "roles_compared": len(roles),
            "team_accuracy": float(np.mean(teams)) if teams else float("nan"), "teams_compared": len(teams)}


def tracks_per_athlete(predicted: list[TrackedFrame], truth: list[TrackedFrame], iou_threshold: float = 0.5) -> float:
    """Mean number of distinct predicted track ids matched to each ground-truth athlete (1.0 is perfect)."""
    ids: dict[int, set[int]] = defaultdict(set)
    for p, g in match_frames(predicted, truth, iou_threshold):
        if g.role in _ATHLETES:
            ids[g.track_id].add(p.track_id)
    return float(np.mean([len(v) for v in ids.values()])) if ids else float("nan")
