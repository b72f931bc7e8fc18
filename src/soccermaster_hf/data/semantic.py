"""Semantic (1-fps) clips with an event keyword and a caption, from UniSoccer / MatchTime-style classification JSON.

The JSON is a list of `{"video": relative path, "caption": event keyword, "comments_text_anonymized": ...}` records
(the real files of UniSoccer; SoccerSynth writes the same format in `events/classification.json`). Videos are decoded
with the video processor's semantic sampling (`num_frames` frames at 1 fps around the clip's middle). Records whose
keyword is not an event class, or whose video is missing or unreadable, are reported by file and counted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from ..modeling.configuration_soccermaster import EVENT_KEYWORDS
from ..processing.image_processing_soccermaster import SoccerMasterImageProcessor
from ..processing.video_processing_soccermaster import (
    VideoDecodingError,
    probe_video,
    read_video_frames,
    sample_frame_indices,
)
from .report import DataReport


class SemanticClips(torch.utils.data.Dataset):
    """Clips listed in a classification JSON (or `<root>/events/classification.json`).

    Event keywords match case-insensitively. Every video is probed when the set is built: records with an unknown
    keyword, a missing or unreadable video are counted in `report` and left out; a set with no usable record raises
    ``ValueError``, and so does a set whose every clip then fails to decode while training (it would otherwise train
    with no event loss).
    """

    def __init__(self, source: str | os.PathLike, num_frames: int = 30, labels: list[str] | None = None,
                 video_root: str | os.PathLike | None = None):
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        path = Path(source)
        if path.is_dir():
            path = path / "events" / "classification.json"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no classification JSON.")
        if not path.is_file():
            raise ValueError(f"{path}: not a regular file (expected a classification JSON).")
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:
            raise ValueError(f"{path}: not valid JSON ({error}).") from error
        if not isinstance(records, list):
            raise ValueError(f"{path}: expected a list of clip records, got {type(records).__name__}.")
        self.path = path
        self.root = Path(video_root) if video_root else path.parent.parent
        self.labels = list(labels or EVENT_KEYWORDS)
        lookup = {label.lower(): i for i, label in enumerate(self.labels)}
        self.num_frames = num_frames
        self.report = DataReport(source=str(path))
        self.records = []
        for number, record in enumerate(records):
            where = f"{path}: record #{number}"
            if not isinstance(record, dict) or not isinstance(record.get("video"), str) or not record["video"]:
                self.report.add("malformed_record", f"{where}: needs a 'video' path string; skipped.")
                continue
            keyword = record.get("caption")
            label = lookup.get(keyword.strip().lower()) if isinstance(keyword, str) else None
            if label is None:
                self.report.add("unknown_event", f"{where}: unknown event keyword {keyword!r}; skipped.")
                continue
            if keyword != self.labels[label]:
                self.report.add("normalised_event", f"{where}: event {keyword!r} read as {self.labels[label]!r}.")
            video = self.root / record["video"]
            if not video.is_file():
                self.report.add("missing_video", f"{video}: listed in {path.name} but missing (or not a regular "
                                                 "file); skipped.")
                continue
            try:
                probe_video(video)
            except VideoDecodingError as error:
                self.report.add("unreadable_video", f"{error} (listed in {path.name}); skipped.")
                continue
            text = record.get("comments_text_anonymized")
            self.records.append({"video": video, "label": label, "text": text if isinstance(text, str) else ""})
        if not self.records:
            raise ValueError(f"{path}: no usable clip ({self.report.summary()}).")
        self._decoded, self._failed = 0, set()

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        record = self.records[index]
        try:
            info = probe_video(record["video"])
            indices = sample_frame_indices(info.num_frames, info.fps, self.num_frames, "semantic", sampling_fps=1.0)
            frames = read_video_frames(record["video"], indices, info)
        except VideoDecodingError as error:
            self.report.add("unreadable_video", f"{error}; the clip is skipped (label -1, no event loss).")
            self._failed.add(index)
            if not self._decoded and len(self._failed) == len(self.records):
                raise ValueError(f"{self.path}: none of its {len(self.records)} clips can be decoded "
                                 f"({self.report.summary()}).") from None
            return {"frames": torch.zeros(self.num_frames, 3, 64, 64), "label": -1, "text": record["text"]}
        self._decoded += 1
        pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
        return {"frames": pixels, "label": record["label"], "text": record["text"]}


def to_semantic_inputs(samples: list[dict], size: int) -> dict:
    """`semantic_pixel_values` (B, T, 3, size, size) and `event_labels` (B,) for `SoccerMasterForPreTraining`."""
    pixels = []
    for sample in samples:
        pixels.append(SoccerMasterImageProcessor.resize_and_normalize(sample["frames"], (size, size),
                                                                      do_rescale=False)[0])
    return {"semantic_pixel_values": torch.stack(pixels),
            "event_labels": torch.tensor([sample["label"] for sample in samples])}


__all__ = ["SemanticClips", "to_semantic_inputs"]
