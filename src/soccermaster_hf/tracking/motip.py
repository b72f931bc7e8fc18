"""MOTIP's runtime tracker: the ID decoder of a `SoccerMasterForMultiObjectTracking` behind the :class:`Tracker`
interface (``analyze --tracker motip``).

Per frame (MOTIP's ``RuntimeTracker``, its published thresholds in ``tracking_config``): detections scoring above
``detection_threshold`` are identified against the tracked history of the last ``history_length`` frames; the ID
decoder gives each a distribution over the K labels in use and "newborn". ``object-max`` assignment takes each
detection's argmax, gives a label claimed twice to the more confident detection and makes the others newborn;
``hungarian`` solves the assignment on ``1 - p`` (one newborn column per detection). A label is accepted when its
probability is at least ``id_threshold``; a newborn detection starts a track only when its score is above
``newborn_threshold`` (otherwise it is not reported). Tracks unseen for ``history_length`` frames are dropped and their
labels recycled; reported ids come from an increasing counter, so they are never reused within a clip.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

__all__ = ["MOTIPTracker", "normalised_boxes"]


def normalised_boxes(boxes_xyxy: np.ndarray, image_size: tuple[int, int]) -> torch.Tensor:
    """(N, 4) pixel ``(x0, y0, x1, y1)`` -> normalised ``(cx, cy, w, h)`` of an image of `image_size` (width, height),
    the ID decoder's box input."""
    width, height = image_size
    b = torch.as_tensor(np.asarray(boxes_xyxy, dtype=np.float32)).reshape(-1, 4)
    return torch.stack([(b[:, 0] + b[:, 2]) / (2 * width), (b[:, 1] + b[:, 3]) / (2 * height),
                        (b[:, 2] - b[:, 0]) / width, (b[:, 3] - b[:, 1]) / height], dim=-1)


class MOTIPTracker:
    """Track with a `SoccerMasterForMultiObjectTracking`'s ID decoder (thresholds default to its config).

    `image_size` ``(width, height)`` of the frames normalises the boxes for a decoder with ``box_embedding``."""

    def __init__(self, model, detection_threshold: float | None = None, newborn_threshold: float | None = None,
                 id_threshold: float | None = None, assignment: str | None = None,
                 image_size: tuple[int, int] | None = None):
        decoder = getattr(model, "id_decoder", None)
        if decoder is None:
            raise ValueError(f"the motip tracker needs a SoccerMasterForMultiObjectTracking, got "
                             f"{type(model).__name__} (no ID decoder).")
        config = model.config.tracking_config
        self.decoder = decoder.eval()
        if decoder.box_embedding is not None and (image_size is None or min(image_size) <= 0):
            raise ValueError(f"this ID decoder embeds boxes: give the frames' image_size (width, height), got "
                             f"{image_size}.")
        self.image_size = image_size
        self.num_ids, self.history_length = int(config.num_ids), int(config.history_length)
        self.detection_threshold = float(config.detection_threshold if detection_threshold is None
                                         else detection_threshold)
        self.newborn_threshold = float(config.newborn_threshold if newborn_threshold is None else newborn_threshold)
        self.id_threshold = float(config.id_threshold if id_threshold is None else id_threshold)
        self.assignment = assignment or config.assignment
        if self.assignment not in ("object-max", "hungarian"):
            raise ValueError(f"assignment must be 'object-max' or 'hungarian', got {self.assignment!r}.")
        for name in ("detection_threshold", "newborn_threshold", "id_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}.")
        self.reset()

    def reset(self) -> None:
        # (frame, features (n, F), labels (n,), normalised boxes (n, 4))
        self.history: list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        self.track_of_label: dict[int, int] = {}
        self.last_seen: dict[int, int] = {}
        self.free_labels = deque(range(self.num_ids))
        self.next_track_id = 1

    def _expire(self, frame_index: int) -> None:
        oldest = frame_index - self.history_length
        self.history = [entry for entry in self.history if entry[0] >= oldest]
        for label in [label for label, seen in self.last_seen.items() if seen < oldest]:
            del self.last_seen[label], self.track_of_label[label]
            self.free_labels.append(label)

    def _probabilities(self, frame_index: int, features: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """(n, K + 1) probabilities over the labels in use and newborn (unused labels get 0)."""
        times = torch.tensor([time for time, f, _, _ in self.history for _ in range(len(f))], dtype=torch.long)
        history = torch.cat([f for _, f, _, _ in self.history])
        labels = torch.cat([label for _, _, label, _ in self.history])
        history_boxes = torch.cat([b for _, _, _, b in self.history])
        with torch.inference_mode():
            logits = self.decoder(features[None], torch.full((1, len(features)), frame_index, dtype=torch.long),
                                  torch.ones(1, len(features), dtype=torch.bool), history[None], labels[None],
                                  times[None], torch.ones(1, len(history), dtype=torch.bool), boxes[None],
                                  history_boxes[None])[0].float()
        in_use = torch.zeros(self.num_ids + 1, dtype=torch.bool)
        in_use[list(self.track_of_label)] = True
        in_use[self.num_ids] = True
        return logits.masked_fill(~in_use, float("-inf")).softmax(-1)

    def _assign(self, probabilities: torch.Tensor) -> list[int | None]:
        """A label (or `None`: newborn) per detection."""
        count, newborn = len(probabilities), self.num_ids
        chosen: list[int | None] = [None] * count
        if self.assignment == "hungarian":
            cost = 1.0 - probabilities[:, :newborn].numpy()
            cost = np.concatenate([cost, np.repeat(1.0 - probabilities[:, newborn:].numpy(), count, axis=1)], axis=1)
            rows, columns = linear_sum_assignment(cost)
            for row, column in zip(rows, columns):
                if column < newborn and probabilities[row, column] >= self.id_threshold:
                    chosen[row] = int(column)
            return chosen
        best, labels = probabilities.max(-1)
        claims: dict[int, int] = {}
        for detection in torch.argsort(best, descending=True).tolist():  # most confident first keeps a label
            label = int(labels[detection])
            if label != newborn and float(best[detection]) >= self.id_threshold and label not in claims:
                claims[label] = detection
                chosen[detection] = label
        return chosen

    def update(self, frame_index: int, boxes_xyxy: np.ndarray, embeddings: np.ndarray | None = None,
               scores: np.ndarray | None = None) -> list[int]:
        boxes = np.asarray(boxes_xyxy).reshape(-1, 4)
        count = len(boxes)
        self._expire(frame_index)
        if count == 0:
            return []
        if embeddings is None or np.asarray(embeddings).shape != (count, self.decoder.feature_size):
            raise ValueError(f"the motip tracker needs one {self.decoder.feature_size}-d detection embedding per box "
                             f"(the detection head's decoder states), got "
                             f"{None if embeddings is None else np.asarray(embeddings).shape} for {count} boxes.")
        scores = np.ones(count) if scores is None else np.asarray(scores, dtype=np.float64).reshape(count)
        features = torch.as_tensor(np.asarray(embeddings, dtype=np.float32))
        if not torch.isfinite(features).all():
            raise ValueError("the motip tracker got non-finite detection embeddings.")
        normalised = normalised_boxes(boxes, self.image_size) if self.image_size is not None else torch.zeros(count, 4)
        kept = [i for i in range(count) if scores[i] > self.detection_threshold]
        ids = [0] * count
        labels: dict[int, int] = {}
        if kept and self.history and self.track_of_label:
            probabilities = self._probabilities(frame_index, features[kept], normalised[kept])
            for detection, label in zip(kept, self._assign(probabilities)):
                if label is not None:
                    labels[detection] = label
        for detection in kept:
            if detection not in labels and scores[detection] > self.newborn_threshold and self.free_labels:
                label = self.free_labels.popleft()
                self.track_of_label[label] = self.next_track_id
                self.next_track_id += 1
                labels[detection] = label
        if labels:
            order = sorted(labels)
            self.history.append((frame_index, features[order],
                                 torch.tensor([labels[i] for i in order], dtype=torch.long), normalised[order]))
            for detection, label in labels.items():
                self.last_seen[label] = frame_index
                ids[detection] = self.track_of_label[label]
        return ids
