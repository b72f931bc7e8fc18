"""Pitch geometry, the broadcast camera model, a PnL calibration solver and the SoccerNet calibration metric.

Names and indices of pitch elements live in :mod:`soccermaster_hf.modeling.pitch_definitions` (shared with the model
heads); this package adds the numerical side:

* :class:`PitchModel` — 3-D pitch (configurable size), segments, arcs, goals, keypoints, sampling.
* :class:`Camera` — intrinsics with SoccerNet's distortion model, extrinsics, projection, back-projection, ground
  homography, SoccerNet camera JSON.
* :class:`CameraCalibrator` / :func:`calibrate` / :func:`calibrate_predicted` — camera from
  :class:`PitchObservations` (annotated or predicted lines, circles and keypoints) as a typed
  :class:`CalibrationResult` (camera or :class:`CalibrationFailure` with a :class:`FailureReason`, residuals, the
  :class:`Initialisation` and :class:`ObservationSubset` used).
* :func:`refine_shot` — the cameras of one shot refined jointly (one camera centre, smooth motion, an identity check
  of the observations against the shot's cameras; :mod:`soccermaster_hf.geometry.temporal`).
* :func:`homography_from_constraints` / :func:`camera_from_homography` — normalised DLT and its decomposition.

Modules: ``homography`` (DLT, decomposition, keypoint RANSAC, conics), ``initialisation`` (starting cameras),
``residuals`` (the residual model and the extent check), ``calibrator`` (refinement, outliers, checks, fallbacks),
``temporal`` (shots), ``results`` (the typed outcome), ``config`` (:class:`SolverConfig`), ``faults`` (annotation faults for robustness
studies: :func:`~soccermaster_hf.geometry.faults.inject_faults`).
* :func:`evaluate_cameras` / :func:`score_frame` — the SoccerNet camera-calibration metric.
"""

from soccermaster_hf.geometry.calibrator import CameraCalibrator, calibrate, calibrate_predicted
from soccermaster_hf.geometry.camera import (
    Camera,
    CameraFormatError,
    mirror_camera,
    pan_tilt_roll_to_rotation,
    rotation_to_pan_tilt_roll,
)
from soccermaster_hf.geometry.config import SolverConfig
from soccermaster_hf.geometry.homography import camera_from_homography, homography_from_constraints
from soccermaster_hf.geometry.metric import (
    EvaluationResult,
    FrameScore,
    distance_to_polyline,
    evaluate_cameras,
    mirror_annotation,
    project_pitch_polylines,
    scale_annotation,
    score_frame,
)
from soccermaster_hf.geometry.observations import AnnotationError, PitchObservations, load_soccernet_annotation
from soccermaster_hf.geometry.pitch import Arc, PitchModel
from soccermaster_hf.geometry.results import (
    CalibrationFailure,
    CalibrationResult,
    FailureReason,
    Initialisation,
    ObservationSubset,
)
from soccermaster_hf.geometry.temporal import refine_shot

__all__ = [
    "AnnotationError",
    "Arc",
    "CalibrationFailure",
    "CalibrationResult",
    "Camera",
    "CameraCalibrator",
    "CameraFormatError",
    "EvaluationResult",
    "FailureReason",
    "FrameScore",
    "Initialisation",
    "ObservationSubset",
    "PitchModel",
    "PitchObservations",
    "SolverConfig",
    "calibrate",
    "calibrate_predicted",
    "camera_from_homography",
    "distance_to_polyline",
    "evaluate_cameras",
    "homography_from_constraints",
    "load_soccernet_annotation",
    "mirror_annotation",
    "mirror_camera",
    "pan_tilt_roll_to_rotation",
    "project_pitch_polylines",
    "refine_shot",
    "rotation_to_pan_tilt_roll",
    "scale_annotation",
    "score_frame",
]
