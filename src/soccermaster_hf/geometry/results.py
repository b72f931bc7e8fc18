"""Typed outcome of a calibration: the camera or the failure, the residuals, how it was found and from what.

Callers branch on the fields, never on strings: ``result.failure.reason`` is a :class:`FailureReason`,
``result.initialisation`` an :class:`Initialisation` and ``result.subset`` an :class:`ObservationSubset`. The members
are ``str`` enums, so they compare equal to, and serialise as, their values (``FailureReason.EMPTY_INPUT ==
"empty_input"``); :attr:`CalibrationResult.method` and ``str(result.failure)`` are human-readable strings derived from
the fields, for logs and JSON outputs only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from soccermaster_hf.geometry.camera import Camera

__all__ = ["CalibrationFailure", "CalibrationResult", "FailureReason", "Initialisation", "ObservationSubset"]


class _StrEnum(str, Enum):
    """``str`` enum whose ``str()`` / ``format()`` is the bare value (``enum.StrEnum`` needs Python 3.11)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class FailureReason(_StrEnum):
    """Why no camera was produced."""

    #: nothing usable: invalid image size, no observation, non-finite or malformed points
    EMPTY_INPUT = "empty_input"
    #: fewer than 7 independent equations (7 unknowns: focal, rotation, position)
    TOO_FEW_CONSTRAINTS = "too_few_constraints"
    #: no starting camera, or the observations leave camera parameters free (e.g. parallel lines only)
    DEGENERATE_GEOMETRY = "degenerate_geometry"
    #: the refinement diverged (non-finite parameters)
    NO_VALID_CAMERA = "no_valid_camera"
    #: the best camera leaves too large residuals (RMS, or an observed point far from its projected element)
    INCONSISTENT_OBSERVATIONS = "inconsistent_observations"
    #: an unexpected exception inside the solver (reported, never raised)
    INTERNAL_ERROR = "internal_error"


class Initialisation(_StrEnum):
    """Where the refinement of the returned camera started."""

    #: decomposition of a DLT homography (lines, keypoints, circle constructions)
    HOMOGRAPHY = "homography"
    #: broadcast-camera priors (no usable homography, or a poor fit from it)
    PRIOR_SEARCH = "prior_search"
    #: the caller's ``initial_camera`` (e.g. the previous frame of a video) fitted well enough on its own
    PREVIOUS_FRAME = "previous_frame"
    #: a frame the per-frame solver failed on, solved from its shot's camera
    #: (:func:`~soccermaster_hf.geometry.temporal.refine_shot`)
    SHOT = "shot"


class ObservationSubset(_StrEnum):
    """Which kinds of observations the camera was fitted to (:func:`~soccermaster_hf.geometry.calibrate_predicted`
    falls back to one kind when the two contradict each other)."""

    ALL = "all"
    KEYPOINTS = "keypoints"
    LINES = "lines"


@dataclass(frozen=True)
class CalibrationFailure:
    """Why no camera was produced: a :class:`FailureReason` and a message naming the problem."""

    reason: FailureReason
    message: str

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.message}"


@dataclass
class CalibrationResult:
    """Outcome of one calibration: ``camera`` on success, ``failure`` otherwise.

    Attributes:
        rms_px: root-mean-square residual over all observed points (pixels).
        class_errors: largest residual (pixels) per observed class (and ``"keypoint <index>"``).
        outlier_classes: classes and keypoints rejected as outliers by RANSAC / consistency checks / the search over
            classes (a class listed here may have kept the points the camera explains).
        mirrored: whether the camera was swapped to its mirror solution (ambiguous labels).
        initialisation: how the refinement of the returned camera was initialised (``None`` on failure).
        subset: the observations the camera was fitted to (always :attr:`ObservationSubset.ALL` from
            :meth:`CameraCalibrator.calibrate`; :func:`calibrate_predicted` records its fallback).
        num_inliers: observed classes plus keypoints that the returned camera was fitted to (0 on failure).
        rejected_camera: on an ``inconsistent_observations`` failure, the best camera found, which the checks refused
            (for diagnostics: project it to see which class disagrees; never a calibration). ``None`` otherwise.
        refined_in_shot: the camera was refined jointly with the other frames of its shot
            (:func:`~soccermaster_hf.geometry.temporal.refine_shot`: shared camera centre, smooth motion).
        time_ms: wall time of the call.
        source: the observations' ``source``.
    """

    camera: Camera | None
    failure: CalibrationFailure | None = None
    rms_px: float = math.nan
    class_errors: dict[str, float] = field(default_factory=dict)
    outlier_classes: list[str] = field(default_factory=list)
    mirrored: bool = False
    initialisation: Initialisation | None = None
    subset: ObservationSubset = ObservationSubset.ALL
    num_inliers: int = 0
    rejected_camera: Camera | None = None
    refined_in_shot: bool = False
    time_ms: float = 0.0
    source: str = ""

    @property
    def success(self) -> bool:
        return self.camera is not None

    @property
    def method(self) -> str:
        """Human-readable summary of :attr:`initialisation` and :attr:`subset` (``"homography"``,
        ``"prior_search+keypoints_only"``, ...; ``""`` on failure). For display only: branch on the typed fields."""
        if self.initialisation is None:
            return ""
        suffix = "" if self.subset is ObservationSubset.ALL else f"+{self.subset.value}_only"
        return f"{self.initialisation.value}{suffix}"
