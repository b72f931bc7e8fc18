"""Frame-to-frame association of detections into tracks.

:class:`Tracker` is the interface the analysis pipeline talks to (``update`` once per frame, ``reset`` between clips);
:class:`HungarianTracker` is the baseline behind it: a Hungarian assignment (``scipy.optimize.linear_sum_assignment``)
on a similarity mixing the IoU of the boxes (``torchvision.ops.box_iou``) and the cosine similarity of the detections'
embeddings (the decoder's query embeddings). ByteTrack (:mod:`.bytetrack`) and MOTIP (:mod:`.motip`) implement the
same interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torchvision.ops import box_iou

__all__ = ["HungarianTracker", "Track", "Tracker", "iou_matrix"]


@runtime_checkable
class Tracker(Protocol):
    """A multi-object tracker fed one frame of detections at a time."""

    def update(
        self,
        frame_index: int,
        boxes_xyxy: np.ndarray,
        embeddings: np.ndarray | None = None,
        scores: np.ndarray | None = None,
    ) -> list[int]:
        """Associate one frame's detections with the tracks.

        Args:
            frame_index: index of the frame in the clip (increasing; gaps count towards a track's age).
            boxes_xyxy: (N, 4) boxes ``(x0, y0, x1, y1)`` in pixels.
            embeddings: (N, D) appearance embeddings, for trackers that use them.
            scores: (N,) detection confidences, for trackers that use them.

        Returns:
            One track id per detection, in the order of ``boxes_xyxy``: ``>= 1`` for a tracked detection, ``0`` for
            one the tracker does not (yet) report as a track (left out of the outputs).
        """
        ...

    def reset(self) -> None:
        """Forget every track (the next clip starts from id 1)."""
        ...


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) IoU of (N, 4) and (M, 4) ``xyxy`` boxes with ``torchvision.ops.box_iou`` (numpy in, numpy out).

    Computed in the boxes' floating dtype; pairs of empty boxes (zero union) have IoU 0.
    """
    a, b = np.asarray(a), np.asarray(b)
    if not np.issubdtype(a.dtype, np.floating) or not np.issubdtype(b.dtype, np.floating):
        a, b = a.astype(np.float64), b.astype(np.float64)
    iou = box_iou(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(np.ascontiguousarray(b)))
    return torch.nan_to_num(iou, nan=0.0).numpy()


@dataclass
class Track:
    """One track's last state: box, embedding and the frame it was last matched in."""

    track_id: int
    box: np.ndarray
    embedding: np.ndarray
    last_frame: int


@dataclass
class HungarianTracker:
    """Frame-to-frame association: Hungarian matching on ``0.6 IoU + 0.4 cosine similarity`` of the embeddings.

    A detection joins a track when the similarity is at least ``min_similarity`` and the boxes overlap (IoU > 0.05);
    every other detection starts a new track. Tracks not matched for more than ``max_age`` frames are dropped.
    Embeddings are required; ``scores`` are accepted for the :class:`Tracker` interface and not used.
    """

    max_age: int = 10
    min_similarity: float = 0.3
    tracks: list[Track] = field(default_factory=list)
    next_id: int = 1

    def update(self, frame_index: int, boxes_xyxy: np.ndarray, embeddings: np.ndarray | None = None,
               scores: np.ndarray | None = None) -> list[int]:
        if embeddings is None:
            raise ValueError("HungarianTracker associates on appearance too: pass the detections' embeddings")
        frame, boxes = frame_index, boxes_xyxy
        self.tracks = [t for t in self.tracks if frame - t.last_frame <= self.max_age]
        ids = [-1] * len(boxes)
        if self.tracks and len(boxes):
            previous = np.stack([t.box for t in self.tracks])
            iou = iou_matrix(previous, boxes)
            a = np.stack([t.embedding for t in self.tracks])
            cosine = (a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-9)) @ \
                (embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-9)).T
            similarity = 0.6 * iou + 0.4 * np.clip(cosine, 0, 1)
            rows, cols = linear_sum_assignment(-similarity)
            for r, c in zip(rows, cols):
                if similarity[r, c] >= self.min_similarity and iou[r, c] > 0.05:
                    ids[c] = self.tracks[r].track_id
                    self.tracks[r].box, self.tracks[r].embedding, self.tracks[r].last_frame = boxes[c], embeddings[c], frame
        for i, track_id in enumerate(ids):
            if track_id < 0:
                ids[i] = self.next_id
                self.tracks.append(Track(self.next_id, boxes[i], embeddings[i], frame))
                self.next_id += 1
        return ids

    def reset(self) -> None:
        self.tracks = []
        self.next_id = 1
