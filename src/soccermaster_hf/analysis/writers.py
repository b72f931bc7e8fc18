"""Writers of the analysis outputs in their fields' formats."""

from __future__ import annotations

import numpy as np

from ..geometry.camera import Camera


def bbox_pitch(camera: Camera | None, box: np.ndarray) -> dict:
    keys = [f"{c}_bottom_{s}" for s in ("left", "middle", "right") for c in "xy"]
    if camera is None:
        return dict.fromkeys(keys)
    bottom = np.array([[box[0], box[3]], [(box[0] + box[2]) / 2, box[3]], [box[2], box[3]]])
    points, valid = camera.backproject_to_ground(bottom)
    out = {}
    for (point, ok), side in zip(zip(points, valid), ("left", "middle", "right")):
        out[f"x_bottom_{side}"] = float(point[0]) if ok else None
        out[f"y_bottom_{side}"] = float(point[1]) if ok else None
    return out



def gsr_prediction(image_id: str, track_id: int, camera: Camera | None, box: np.ndarray, detection: dict,
                   index: int) -> dict:
    """One athlete in the SoccerNet-GSR prediction format (`box` xyxy pixels; `detection` a post-processed frame)."""
    role = detection["roles"][index]
    return {
        "image_id": image_id, "track_id": track_id, "category_id": 1, "supercategory": "object",
        "confidence": float(detection["scores"][index]),
        "attributes": {"role": role, "jersey": detection["jerseys"][index],
                       "team": detection["teams"][index] if role in ("player", "goalkeeper") else None},
        "bbox_image": {"x": float(box[0]), "y": float(box[1]), "w": float(box[2] - box[0]),
                       "h": float(box[3] - box[1])},
        "bbox_pitch": bbox_pitch(camera, box),
    }


__all__ = ["bbox_pitch", "gsr_prediction"]
