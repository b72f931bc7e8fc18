"""The on-disk state of a streaming analysis: per-frame rows, segment commits and identity stitching.

A run is cut into segments of `segment_frames` frames. Each segment writes, under ``OUT/.analysis/``,
``NNNNN.rows.jsonl`` (one line per frame: time, shot, view, camera status, tracked athletes), ``NNNNN.windows.jsonl``
(event scores of the spotting windows that ended in it), its overlay and minimap videos, and last
``NNNNN.done.json`` (written atomically: the commit). ``--resume`` continues after the last committed segment. Every
segment starts a fresh tracker whose ids are stitched to the previous segment's last frame (:class:`IdentityStitcher`),
so a resumed run writes exactly what an uninterrupted run writes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..tracking.association import iou_matrix
from ..tracking.types import TrackedDetection, TrackedFrame

STATE_DIR = ".analysis"
_DETECTION_KEYS = ("track_id", "box", "score", "role", "role_score", "team", "team_score", "jersey", "jersey_score",
                   "colour", "appearance", "bbox_pitch")


def encode_appearance(vector: np.ndarray | None) -> str | None:
    """A unit re-identification embedding as base64 of its components x 127 in int8 (4 characters per 3 numbers;
    the cosine of two embeddings changes by < 0.001)."""
    if vector is None:
        return None
    return base64.b64encode(np.clip(np.round(np.asarray(vector, float) * 127), -127, 127).astype(np.int8).tobytes()
                            ).decode("ascii")


def decode_appearance(text: str | None) -> np.ndarray | None:
    """The embedding of :func:`encode_appearance` (``None`` for ``None``, or for text that is not one)."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return np.frombuffer(raw, dtype=np.int8).astype(np.float64) / 127.0 if raw else None


def _round(values, digits: int):
    return None if values is None else [round(float(v), digits) for v in values]


def detection_row(detection: TrackedDetection) -> dict:
    """A tracked detection as a JSON-able dict with rounded values (the rows are the run's source of truth: what
    is voted, written and drawn is read back from them, so a resumed run matches an uninterrupted one)."""
    return {
        "track_id": int(detection.track_id), "box": _round(detection.box, 2), "score": round(detection.score, 4),
        "role": detection.role, "role_score": round(detection.role_score, 4), "team": detection.team,
        "team_score": round(detection.team_score, 4), "jersey": detection.jersey,
        "jersey_score": round(detection.jersey_score, 4), "colour": _round(detection.colour, 2),
        "appearance": encode_appearance(detection.appearance),
        "bbox_pitch": None if detection.bbox_pitch is None else
        {k: round(float(v), 3) for k, v in detection.bbox_pitch.items()},
    }


def detection_from_row(row: dict) -> TrackedDetection:
    return TrackedDetection(
        track_id=int(row["track_id"]), box=np.asarray(row["box"], float), score=float(row["score"]), role=row["role"],
        role_score=float(row["role_score"]), team=row["team"], team_score=float(row["team_score"]),
        jersey=row["jersey"], jersey_score=float(row["jersey_score"]),
        colour=None if row["colour"] is None else np.asarray(row["colour"], float),
        appearance=decode_appearance(row.get("appearance")), bbox_pitch=row["bbox_pitch"])


def frame_from_row(row: dict) -> TrackedFrame:
    return TrackedFrame(int(row["frame"]), [detection_from_row(d) for d in row["detections"]],
                        calibrated=row["camera"] is not None)


class SegmentStore:
    """The files of one run's segments under ``OUT/.analysis`` (see the module docstring)."""

    def __init__(self, output_dir: str | Path):
        self.root = Path(output_dir) / STATE_DIR

    def path(self, index: int, kind: str) -> Path:
        return self.root / f"{index:05d}.{kind}"

    def committed(self) -> list[int]:
        """Indices of the committed segments, 0, 1, ... without a gap (a gap ends the list)."""
        done, index = [], 0
        while self.path(index, "done.json").is_file():
            done.append(index)
            index += 1
        return done

    def state(self, index: int) -> dict:
        path = self.path(index, "done.json")
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"{path}: damaged run state ({error}); run again without --resume to start over.") \
                from None
        if not isinstance(state, dict) or "next_id" not in state:
            raise ValueError(f"{path}: damaged run state (not a segment commit); run again without --resume to start "
                             "over.")
        return state

    def _lines(self, path: Path) -> Iterator[dict]:
        try:
            with open(path, encoding="utf-8") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        record = json.loads(line)
                        if not isinstance(record, dict):
                            raise ValueError(f"line {number} is not an object")
                        yield record
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"{path}: damaged run state ({error}); run again without --resume to start over.") \
                from None

    def rows(self, segments: list[int] | None = None) -> Iterator[dict]:
        """Every frame row of the committed segments, in order."""
        for index in self.committed() if segments is None else segments:
            yield from self._lines(self.path(index, "rows.jsonl"))

    def windows(self) -> list[dict]:
        out = []
        for index in self.committed():
            out.extend(self._lines(self.path(index, "windows.jsonl")))
        return out


class IdentityStitcher:
    """Global track ids over segments: a fresh tracker's local ids are matched (IoU >= `min_iou`, Hungarian) to the
    athletes of the previous segment's last frame during its first `window` frames; other ids get new numbers."""

    def __init__(self, previous: list[tuple[int, list[float]]] | None = None, next_id: int = 1, window: int = 5,
                 min_iou: float = 0.3):
        self.previous = [(int(i), np.asarray(b, float)) for i, b in (previous or [])]
        self.claimed: set[int] = set()
        self.mapping: dict[int, int] = {}
        self.next_id, self.window, self.min_iou = next_id, window, min_iou
        self.frames_seen = 0

    def __call__(self, local_ids: list[int], boxes: np.ndarray) -> list[int]:
        self.frames_seen += 1
        new = [k for k, local in enumerate(local_ids) if local > 0 and local not in self.mapping]
        candidates = [(gid, box) for gid, box in self.previous if gid not in self.claimed]
        if new and candidates and self.frames_seen <= self.window:
            overlap = iou_matrix(np.asarray(boxes, float)[new].reshape(-1, 4), np.stack([b for _, b in candidates]))
            rows, cols = linear_sum_assignment(-overlap)
            for r, c in zip(rows, cols):
                if overlap[r, c] >= self.min_iou:
                    self.mapping[local_ids[new[r]]] = candidates[c][0]
                    self.claimed.add(candidates[c][0])
        out = []
        for local in local_ids:
            if local <= 0:
                out.append(0)
                continue
            if local not in self.mapping:
                self.mapping[local] = self.next_id
                self.next_id += 1
            out.append(self.mapping[local])
        return out


__all__ = ["STATE_DIR", "IdentityStitcher", "SegmentStore", "detection_from_row", "detection_row", "frame_from_row"]
