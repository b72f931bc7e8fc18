"""Ground truth of a clip as tracked frames (for oracle scores, tracker benchmarks, voting tests and MOTIP training):
SoccerNet-GSR clips (``Labels-GameState.json``) and SNMOT / MOTChallenge sequences (``gt/gt.txt`` + ``seqinfo.ini``)."""

from __future__ import annotations

import configparser
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from ..tracking.types import TrackedDetection, TrackedFrame

__all__ = ["ground_truth_frames", "snmot_ground_truth_frames"]

_BALL_TRACKLET = re.compile(r"^\s*trackletID_(\d+)\s*=\s*ball\b", re.IGNORECASE | re.MULTILINE)


def ground_truth_frames(clip_folder: str | os.PathLike, include_ball: bool = True
                        ) -> tuple[list[TrackedFrame], list[str]]:
    """``(frames, image_ids)`` of ``clip_folder/Labels-GameState.json``: one :class:`TrackedFrame` per image (in
    frame order) with the annotated boxes, track ids, roles, teams, jerseys and ``bbox_pitch`` (score 1)."""
    data = json.loads((Path(clip_folder) / "Labels-GameState.json").read_text())
    images = sorted(data["images"], key=lambda image: image["image_id"])
    index = {image["image_id"]: i for i, image in enumerate(images)}
    frames = [TrackedFrame(frame_index=i, calibrated=True) for i in range(len(images))]
    for annotation in data["annotations"]:
        if annotation.get("supercategory") != "object" or annotation["image_id"] not in index:
            continue
        attributes = annotation.get("attributes") or {}
        if attributes.get("role") == "ball" and not include_ball:
            continue
        b = annotation["bbox_image"]
        pitch = annotation.get("bbox_pitch")
        if pitch is not None and any(value is None for value in pitch.values()):
            pitch = None
        frames[index[annotation["image_id"]]].detections.append(TrackedDetection(
            track_id=int(annotation["track_id"]), box=np.array([b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"]]),
            score=1.0, role=attributes.get("role"), team=attributes.get("team"), jersey=attributes.get("jersey"),
            bbox_pitch=pitch))
    return frames, [image["image_id"] for image in images]


def snmot_ground_truth_frames(sequence_folder: str | os.PathLike, include_ball: bool = True
                              ) -> tuple[list[TrackedFrame], Path]:
    """``(frames, image folder)`` of an SNMOT / MOTChallenge sequence: one :class:`TrackedFrame` per frame of
    ``seqinfo.ini``'s ``seqLength`` with the boxes and track ids of ``gt/gt.txt`` (rows ``frame, id, x, y, w, h[,
    conf, ...]``, 1-based frames; rows of confidence 0 are not ground truth, as in MOTChallenge); the image folder is
    ``seqinfo.ini``'s ``imDir``. SNMOT has no roles per box: ``include_ball=False`` drops the tracklets that
    ``gameinfo.ini`` names ``ball``. A malformed file raises ``ValueError("<file>: ...")``."""
    folder = Path(sequence_folder)
    info = folder / "seqinfo.ini"
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(info.read_text(encoding="utf-8"))
        sequence = parser["Sequence"]
        length = int(sequence["seqLength"])
        image_dir = folder / (sequence.get("imDir", "img1").strip() or "img1")
    except (configparser.Error, KeyError, UnicodeDecodeError) as error:
        raise ValueError(f"{info}: not a MOTChallenge seqinfo.ini with a [Sequence] seqLength "
                         f"({type(error).__name__}: {error})") from None
    except ValueError:
        raise ValueError(f"{info}: seqLength is not an integer") from None
    if length < 1:
        raise ValueError(f"{info}: seqLength must be >= 1, got {length}")
    balls: set[int] = set()
    gameinfo = folder / "gameinfo.ini"
    if not include_ball and gameinfo.is_file():
        balls = {int(m) for m in _BALL_TRACKLET.findall(gameinfo.read_text(encoding="utf-8", errors="replace"))}
    gt = folder / "gt" / "gt.txt"
    frames = [TrackedFrame(frame_index=i, calibrated=False) for i in range(length)]
    for number, line in enumerate(gt.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            values = [float(v) for v in line.split(",")[:7]]
        except ValueError:
            values = []
        if len(values) < 6 or not all(math.isfinite(v) for v in values) or values[0] != int(values[0]) or \
                not 1 <= values[0] <= length or values[1] != int(values[1]) or values[4] <= 0 or values[5] <= 0:
            raise ValueError(f"{gt}: line {number}: expected 'frame (1..{length}), id, x, y, w, h[, conf, ...]' with a "
                             f"positive size, got {line.strip()[:80]!r}")
        if (len(values) > 6 and values[6] == 0) or int(values[1]) in balls:
            continue
        x, y, w, h = values[2:6]
        frames[int(values[0]) - 1].detections.append(TrackedDetection(
            track_id=int(values[1]), box=np.array([x, y, x + w, y + h]), score=1.0))
    return frames, image_dir
