"""ByteTrack from a kept library behind the :class:`~soccermaster_hf.tracking.Tracker` interface.

The library is Roboflow's ``trackers`` (pinned in ``pyproject.toml``; Apache-2.0, numpy 2, maintained, benchmarked
on MOT17 / SportsMOT / SoccerNet-Tracking). It is the successor that ``supervision`` points to (``sv.ByteTrack`` was
removed in supervision 0.31 in favour of ``trackers.ByteTrackTracker``), and speaks ``supervision.Detections``;
``boxmot`` was left out for its AGPL-3.0 licence. :func:`to_supervision` / :func:`from_supervision` convert our
detections to and from ``sv.Detections``.

ByteTrack's two-stage association (high-confidence boxes first, then low-confidence boxes to the unmatched tracks,
Kalman-predicted IoU) uses the detection scores; embeddings are not used. A detection that is not part of a confirmed
track yet or an unmatched low-confidence box gets id ``0`` ("not tracked"); the library reports a track from the
frame after its birth (``minimum_consecutive_frames`` counts from there), so each track's first frame is not output.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ByteTracker", "from_supervision", "to_supervision"]


def to_supervision(boxes_xyxy: np.ndarray, scores: np.ndarray | None = None, class_ids: np.ndarray | None = None,
                   **data: np.ndarray):
    """``sv.Detections`` of (N, 4) ``xyxy`` pixel boxes with their confidences, class ids and per-detection ``data``
    arrays (e.g. ``embeddings``); ``data["detection_index"]`` records each detection's input position."""
    import supervision as sv

    boxes = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4)
    count = len(boxes)
    arrays = {key: np.asarray(value) for key, value in data.items()}
    for key, value in arrays.items():
        if len(value) != count:
            raise ValueError(f"data[{key!r}] has {len(value)} rows for {count} boxes.")
    arrays.setdefault("detection_index", np.arange(count))
    return sv.Detections(
        xyxy=boxes,
        confidence=None if scores is None else np.asarray(scores, dtype=np.float32).reshape(count),
        class_id=None if class_ids is None else np.asarray(class_ids, dtype=int).reshape(count),
        data=arrays,
    )


def from_supervision(detections) -> dict[str, np.ndarray]:
    """``{"boxes", "scores", "class_ids", "tracker_ids", **data}`` of ``sv.Detections`` (``None`` fields become
    arrays: scores 1, class ids and tracker ids -1)."""
    count = len(detections)
    out = {
        "boxes": np.asarray(detections.xyxy, dtype=np.float64).reshape(count, 4),
        "scores": np.ones(count) if detections.confidence is None else np.asarray(detections.confidence, float),
        "class_ids": np.full(count, -1) if detections.class_id is None else np.asarray(detections.class_id, int),
        "tracker_ids": np.full(count, -1) if detections.tracker_id is None else np.asarray(detections.tracker_id, int),
    }
    out.update({key: np.asarray(value) for key, value in detections.data.items()})
    return out


class ByteTracker:
    """``trackers.ByteTrackTracker`` as a :class:`~soccermaster_hf.tracking.Tracker` (ids from 1; 0 = not tracked).

    Defaults are the library's, with the clip's frame rate (SoccerNet: 25 fps); see the library for their meaning.
    """

    def __init__(self, frame_rate: float = 25.0, lost_track_buffer: int = 30, track_activation_threshold: float = 0.7,
                 minimum_consecutive_frames: int = 2, minimum_iou_threshold: float = 0.1,
                 high_conf_det_threshold: float = 0.6):
        from trackers import ByteTrackTracker

        self.tracker = ByteTrackTracker(
            lost_track_buffer=lost_track_buffer, frame_rate=frame_rate,
            track_activation_threshold=track_activation_threshold,
            minimum_consecutive_frames=minimum_consecutive_frames, minimum_iou_threshold=minimum_iou_threshold,
            high_conf_det_threshold=high_conf_det_threshold)
        self.last_frame: int | None = None

    def update(self, frame_index: int, boxes_xyxy: np.ndarray, embeddings: np.ndarray | None = None,
               scores: np.ndarray | None = None) -> list[int]:
        if self.last_frame is not None:
            for _ in range(max(0, frame_index - self.last_frame - 1)):  # skipped frames age the tracks
                self.tracker.update(to_supervision(np.zeros((0, 4)), np.zeros(0)))
        self.last_frame = frame_index
        result = from_supervision(self.tracker.update(to_supervision(boxes_xyxy, scores)))
        ids = [0] * len(np.asarray(boxes_xyxy).reshape(-1, 4))
        for index, track in zip(result.get("detection_index", ()), result["tracker_ids"]):  # empty: no data
            ids[int(index)] = int(track) + 1 if track >= 0 else 0
        return ids

    def reset(self) -> None:
        self.tracker.reset()
        self.last_frame = None
