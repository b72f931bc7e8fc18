"""`bbox_pitches` (one back-projection per frame) against the per-box rule it replaced in `analyze`'s writer."""

import numpy as np

from soccermaster_hf.analysis.writers import bbox_pitch, bbox_pitches
from soccermaster_hf.geometry.camera import Camera, pan_tilt_roll_to_rotation


def _camera() -> Camera:
    camera = Camera(1100.0, 1100.0, 480.0, 270.0, pan_tilt_roll_to_rotation(5.0, 72.0, 0.5),
                    np.array([0.0, 55.0, -14.0]))
    camera.radial[:2] = (-0.08, 0.01)  # the undistortion's fixed-point iteration runs
    return camera


def _per_box(camera: Camera, box: np.ndarray):
    bottom = np.array([[box[0], box[3]], [(box[0] + box[2]) / 2, box[3]], [box[2], box[3]]], dtype=np.float64)
    points, valid = camera.backproject_to_ground(bottom)
    if not np.all(valid) or not np.isfinite(points[:, :2]).all():
        return None
    return {f"{c}_bottom_{side}": float(point[axis]) for point, side in zip(points, ("left", "middle", "right"))
            for axis, c in enumerate("xy")}


def test_batched_pitch_positions_equal_the_per_box_ones():
    camera = _camera()
    assert camera.has_distortion
    rng = np.random.default_rng(0)
    x0, y1 = rng.uniform(0, 900, 40), rng.uniform(60, 540, 40)
    boxes = np.stack([x0, y1 - 40, x0 + 20, y1], axis=1)
    boxes[5] = [400, -900, 420, -800]  # above the horizon: no ground point
    expected = [_per_box(camera, box) for box in boxes]
    assert expected[5] is None and sum(e is not None for e in expected) >= 35
    assert bbox_pitches(camera, boxes) == expected  # bit for bit
    assert bbox_pitch(camera, boxes[0]) == expected[0]
    assert bbox_pitches(None, boxes[:3]) == [None] * 3
    assert bbox_pitches(camera, np.zeros((0, 4))) == []
