"""Typed hand-offs of the tracking room: one tracked detection, one tracked frame.

The analysis pipeline fills them from the post-processed :class:`~soccermaster_hf.processing.GameStateFrame` and the
calibrated camera; the tracklet voting (:mod:`.game_state`) rewrites their attributes per tracklet; the writers
(:mod:`soccermaster_hf.analysis.writers`) turn them into SNMOT rows and SoccerNet-GSR predictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["TrackedDetection", "TrackedFrame"]


@dataclass
class TrackedDetection:
    """One detection with its track id and attributes.

    box: ``(x0, y0, x1, y1)`` pixels. role / team / jersey: names in the model's vocabulary (``None`` when absent);
    ``*_score`` their confidences. embedding: the decoder state of the detection; colour: appearance statistics of
    the torso (see :func:`~soccermaster_hf.tracking.game_state.torso_colour`). appearance: the re-identification
    embedding of the box's pixels (:class:`~soccermaster_hf.tracking.reid.ReIdEmbedder`), ``None`` without one.
    bbox_pitch: the six pitch coordinates
    (metres) of the bottom edge of the box, ``None`` without a camera or when a point is not on the ground plane.
    """

    track_id: int
    box: np.ndarray
    score: float
    role: str | None = None
    role_score: float = 1.0
    team: str | None = None
    team_score: float = 1.0
    jersey: str | None = None
    jersey_score: float = 1.0
    embedding: np.ndarray | None = None
    colour: np.ndarray | None = None
    appearance: np.ndarray | None = None
    bbox_pitch: dict[str, float] | None = None

    @property
    def pitch_point(self) -> np.ndarray | None:
        """Bottom-middle point on the pitch ``(x, y)`` in metres, or ``None``."""
        if self.bbox_pitch is None:
            return None
        return np.array([self.bbox_pitch["x_bottom_middle"], self.bbox_pitch["y_bottom_middle"]])


@dataclass
class TrackedFrame:
    """The tracked detections of one frame (``frame_index`` 0-based in the clip)."""

    frame_index: int
    detections: list[TrackedDetection] = field(default_factory=list)
    calibrated: bool = False
