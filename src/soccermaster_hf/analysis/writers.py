"""Writers of the analysis outputs in the official formats, each checked against its official evaluator.

* SNMOT (MOTChallenge) tracking: ``SNMOT-xxx.txt``, 10 columns ``frame, id, left, top, width, height, conf, -1, -1,
  -1``, 1-based frames, ids unique per frame (:func:`write_snmot`) — scored by TrackEval's ``MotChallenge2DBox``.
* SoccerNet-GSR game state: one ``SNGS-xxx.json`` per clip ``{"info": {...}, "predictions": [...]}``
  (:func:`write_gsr_clip`) — scored by ``sn-trackeval``'s ``SoccerNetGS`` (GS-HOTA). The evaluator's rules, which
  :func:`gsr_prediction` follows: image ids in the ground truth's convention (``{split}{clip:03d}{frame:06d}``,
  :func:`gsr_image_id`), roles in ``{player, goalkeeper, referee, other}``, teams ``left`` / ``right`` only for players
  and goalkeepers, jerseys as strings only for players, and numeric ``bbox_pitch`` with all six keys (athletes without
  a camera are left out: the evaluator asserts on ``None`` and scores in pitch space).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..geometry.camera import Camera
from ..tracking.types import TrackedDetection, TrackedFrame
from ..utils.io import atomic_file, atomic_path

SPLIT_IDS = {"train": 1, "valid": 2, "test": 3, "challenge": 4}
GSR_ROLES = ("player", "goalkeeper", "referee", "other")  # sn-trackeval SoccerNetGS asserts this vocabulary
GSR_TEAMS = ("left", "right")
GSR_VERSION = "1.3"
_PITCH_KEYS = [f"{c}_bottom_{s}" for s in ("left", "middle", "right") for c in "xy"]


def bbox_pitch(camera: Camera | None, box: np.ndarray) -> dict[str, float] | None:
    """The six pitch coordinates (metres) of the bottom-left, -middle and -right of a ``xyxy`` box, or ``None``
    without a camera or when a point does not meet the ground plane."""
    return bbox_pitches(camera, np.asarray(box, dtype=np.float64).reshape(1, 4))[0]


def bbox_pitches(camera: Camera | None, boxes: np.ndarray) -> list[dict[str, float] | None]:
    """:func:`bbox_pitch` of every ``xyxy`` box of ``boxes`` (N, 4) with one back-projection of all their bottom
    points (the undistortion's fixed-point iteration runs once per frame instead of once per box; each point's
    arithmetic is the same, so the values are identical)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if camera is None or not len(boxes):
        return [None] * len(boxes)
    middle = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
    bottom = np.stack([boxes[:, [0, 3]], middle, boxes[:, [2, 3]]], axis=1)  # (N, 3 points: left, middle, right, 2)
    points, valid = camera.backproject_to_ground(bottom.reshape(-1, 2))
    points, valid = points.reshape(-1, 3, 3), valid.reshape(-1, 3)
    out: list[dict[str, float] | None] = []
    for box_points, box_valid in zip(points, valid):
        if not np.all(box_valid) or not np.isfinite(box_points[:, :2]).all():
            out.append(None)
            continue
        out.append({f"{c}_bottom_{side}": float(point[axis]) for point, side in
                    zip(box_points, ("left", "middle", "right")) for axis, c in enumerate("xy")})
    return out


def clip_number(name: str) -> int | None:
    """``"SNGS-060"`` / ``"SNMOT-060"`` / ``"060"`` -> 60; ``None`` when the name carries no clip number."""
    match = re.fullmatch(r"(?:SNGS-|SNMOT-)?(\d{1,3})", name.strip())
    return int(match.group(1)) if match else None


def gsr_image_id(split: str, clip: int, frame_number: int) -> str:
    """The 10-character SoccerNet-GSR image id ``{split_id}{clip:03d}{frame:06d}`` (1-based ``frame_number``)."""
    if split not in SPLIT_IDS:
        raise ValueError(f"split must be one of {sorted(SPLIT_IDS)}, got {split!r}.")
    return f"{SPLIT_IDS[split]}{clip:03d}{frame_number:06d}"


def clip_identity(source: str | os.PathLike | None, num_frames: int, split: str = "test"
                  ) -> tuple[str, str, list[str]]:
    """``(gsr_name, mot_name, image_ids)`` of an analysed clip.

    A clip folder (or its ``img1/``) with a ``Labels-GameState.json`` gives its own name and image ids (the first
    ``num_frames`` images in file order, as the frames were read); otherwise the clip number comes from a folder
    named ``SNGS-xxx`` / ``SNMOT-xxx`` (else 1) and the ids are :func:`gsr_image_id` of ``split``.
    """
    folders = []
    if source is not None and Path(source).is_dir():
        folders = [Path(source), Path(source).parent]
    for folder in folders:
        labels = folder / "Labels-GameState.json"
        if labels.is_file():
            images = sorted(json.loads(labels.read_text())["images"], key=lambda image: image["file_name"])
            number = clip_number(folder.name) or 1
            return folder.name, f"SNMOT-{number:03d}", [image["image_id"] for image in images[:num_frames]]
    number = next((n for n in (clip_number(f.name) for f in folders) if n is not None), 1)
    return (f"SNGS-{number:03d}", f"SNMOT-{number:03d}",
            [gsr_image_id(split, number, frame + 1) for frame in range(num_frames)])


def gsr_attributes(detection: TrackedDetection) -> dict | None:
    """``{role, jersey, team}`` in the evaluator's vocabulary, or ``None`` for a detection it does not score (ball)."""
    role = detection.role
    if role == "ball":
        return None
    if role not in GSR_ROLES:
        role = "other"  # the model's "none" (and any unknown role) is the evaluator's catch-all
    team = detection.team if role in ("player", "goalkeeper") and detection.team in GSR_TEAMS else None
    jersey = None
    if role == "player" and detection.jersey is not None and str(detection.jersey).isdigit():
        jersey = str(int(detection.jersey))
    return {"role": role, "jersey": jersey, "team": team}


def gsr_prediction(image_id: str, detection: TrackedDetection) -> dict | None:
    """One athlete in the SoccerNet-GSR prediction format, or ``None`` when the evaluator cannot score it (ball, no
    camera)."""
    attributes = gsr_attributes(detection)
    if attributes is None or detection.bbox_pitch is None:
        return None
    box = detection.box
    return {
        "image_id": image_id, "track_id": int(detection.track_id), "category_id": 1, "supercategory": "object",
        "confidence": float(detection.score), "attributes": attributes,
        "bbox_image": {"x": float(box[0]), "y": float(box[1]), "x_center": float((box[0] + box[2]) / 2),
                       "y_center": float((box[1] + box[3]) / 2), "w": float(box[2] - box[0]),
                       "h": float(box[3] - box[1])},
        "bbox_pitch": {key: float(detection.bbox_pitch[key]) for key in _PITCH_KEYS},
    }


def gsr_predictions(frames: Iterable[TrackedFrame], image_ids: Sequence[str]) -> list[dict]:
    """The predictions of a clip; ``image_ids[frame_index]`` is each frame's id."""
    out = []
    for frame in frames:
        for detection in frame.detections:
            record = gsr_prediction(image_ids[frame.frame_index], detection)
            if record is not None:
                out.append(record)
    return out


class GsrClipWriter:
    """Writes one clip's ``SNGS-xxx.json`` frame by frame (the predictions are streamed, not kept), atomically:
    :meth:`close` publishes it, :meth:`abort` drops it. ``image_ids[frame_index]`` is each frame's id."""

    def __init__(self, path: str | Path, image_ids: Sequence[str], name: str | None = None):
        self.path, self.image_ids = Path(path), image_ids
        self._context = atomic_path(self.path)
        self._handle = open(self._context.__enter__(), "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        info = {"version": GSR_VERSION, "name": name or self.path.stem, "source": "soccermaster_hf"}
        self._handle.write('{"info": ' + json.dumps(info) + ', "predictions": [')
        self._first = True

    def add(self, frame: TrackedFrame) -> None:
        for detection in frame.detections:
            record = gsr_prediction(self.image_ids[frame.frame_index], detection)
            if record is not None:
                self._handle.write(("" if self._first else ", ") + json.dumps(record))
                self._first = False

    def close(self) -> Path:
        self._handle.write("]}\n")
        self._handle.close()
        self._context.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        self._handle.close()
        error = RuntimeError("aborted")
        self._context.__exit__(RuntimeError, error, None)


def write_gsr_clip(path: str | Path, frames: Iterable[TrackedFrame], image_ids: Sequence[str],
                   name: str | None = None) -> Path:
    """Write one clip's ``SNGS-xxx.json`` (atomically); returns its path."""
    writer = GsrClipWriter(path, image_ids, name)
    try:
        for frame in frames:
            writer.add(frame)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def snmot_rows(frames: Iterable[TrackedFrame]) -> list[tuple]:
    """``(frame, id, left, top, width, height, conf)`` rows, 1-based frames; raises on an id repeated in a frame."""
    return [row for frame in frames for row in snmot_frame_rows(frame)]


def snmot_frame_rows(frame: TrackedFrame) -> list[tuple]:
    """The SNMOT rows of one frame (see :func:`snmot_rows`)."""
    rows, seen = [], set()
    for detection in frame.detections:
        if detection.track_id in seen:
            raise ValueError(f"frame {frame.frame_index + 1}: track id {detection.track_id} appears twice.")
        seen.add(detection.track_id)
        x0, y0, x1, y1 = (float(v) for v in detection.box)
        rows.append((frame.frame_index + 1, int(detection.track_id), x0, y0, x1 - x0, y1 - y0, float(detection.score)))
    return rows


def snmot_line(row: tuple) -> str:
    frame, track_id, x, y, w, h, conf = row
    return f"{frame},{track_id},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{conf:.4f},-1,-1,-1\n"


def write_snmot(path: str | Path, frames: Iterable[TrackedFrame]) -> Path:
    """Write ``SNMOT-xxx.txt`` (MOTChallenge 10 columns; atomically, frame by frame); returns its path."""
    with atomic_file(path) as handle:
        for frame in frames:
            handle.writelines(snmot_line(row) for row in snmot_frame_rows(frame))
    return Path(path)


__all__ = ["GSR_ROLES", "GSR_TEAMS", "SPLIT_IDS", "GsrClipWriter", "bbox_pitch", "bbox_pitches", "clip_identity", "clip_number",
           "gsr_attributes", "gsr_image_id", "gsr_prediction", "gsr_predictions", "snmot_frame_rows", "snmot_line",
           "snmot_rows", "write_gsr_clip", "write_snmot"]
