"""Helpers for the geometry tests (imported as a module, not a conftest): synthetic broadcast cameras and the annotations they would produce."""

from __future__ import annotations

import numpy as np

from soccermaster_hf.geometry import Camera, PitchModel, project_pitch_polylines

WIDTH, HEIGHT = 960, 540
PP = ((WIDTH - 1) / 2.0, (HEIGHT - 1) / 2.0)


def broadcast_camera(
    x: float = 0.0,
    y: float = 65.0,
    height: float = 14.0,
    target: tuple[float, float] = (0.0, -5.0),
    focal: float = 1800.0,
    k1: float = 0.0,
    roll: float = 0.0,
) -> Camera:
    """A main-camera-like camera (behind the near touch line, above the pitch)."""
    cam = Camera.look_at(np.array([x, y, -height]), np.array([target[0], target[1], 0.0]), focal, PP, roll=roll)
    cam.radial[0] = k1
    return cam


def synthetic_annotation(camera: Camera, points_per_line: int = 4, normalized: bool = True) -> dict:
    """What a perfect annotator would draw for ``camera``: points on each clipped projected element.

    Straight elements get ``points_per_line`` points spread along their visible part, circles up to 12.
    """
    out = {}
    for name, poly in project_pitch_polylines(camera, WIDTH, HEIGHT, PitchModel()).items():
        if len(poly) < 2:
            continue
        n = 12 if name.startswith("Circle") else points_per_line
        idx = np.unique(np.linspace(0, len(poly) - 1, n).round().astype(int))
        pts = poly[idx]
        if normalized:
            pts = pts / np.array([WIDTH - 1.0, HEIGHT - 1.0])
            out[name] = [{"x": float(u), "y": float(v)} for u, v in pts]
        else:
            out[name] = pts
    return out
