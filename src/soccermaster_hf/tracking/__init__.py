"""Tracking: association of per-frame detections into tracks behind one :class:`Tracker` interface.

* :class:`Tracker` — the interface (``update(frame_index, boxes_xyxy, embeddings, scores) -> track ids``, ``reset()``).
* :class:`HungarianTracker` — the baseline: Hungarian matching on box IoU and embedding cosine similarity.
* :func:`iou_matrix` — pairwise box IoU (``torchvision.ops.box_iou``) on numpy arrays.
"""

from soccermaster_hf.tracking.association import HungarianTracker, Track, Tracker, iou_matrix

__all__ = ["HungarianTracker", "Track", "Tracker", "iou_matrix"]
