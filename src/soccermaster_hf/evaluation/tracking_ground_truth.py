"""SoccerNet-GSR ground truth of a clip as tracked frames (for oracle scores, tracker benchmarks and voting tests)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..tracking.types import TrackedDetection, TrackedFrame

__all__ = ["ground_truth_frames"]


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
