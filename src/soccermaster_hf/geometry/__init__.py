"""Pitch geometry, the broadcast camera model, a PnL calibration solver and the SoccerNet calibration metric.

Names and indices of pitch elements live in :mod:`soccermaster_hf.modeling.pitch_definitions` (shared with the model
heads); this package adds the numerical side:

* :class:`PitchModel` — 3-D pitch (configurable size), segments, arcs, goals, keypoints, sampling.
* :class:`Camera` — intrinsics with SoccerNet's distortion model, extrinsics, projection, back-projection, ground
  homography, SoccerNet camera JSON.
* :class:`CameraCalibrator` / :func:`calibrate` — camera from :class:`PitchObservations` (annotated or predicted
  lines, circles and keypoints), or an explicit :class:`CalibrationFailure`.
* :func:`evaluate_cameras` / :func:`score_frame` — the SoccerNet camera-calibration metric.
"""

from soccermaster_hf.geometry.camera import (
    Camera,
    CameraFormatError,
    pan_tilt_roll_to_rotation,
    rotation_to_pan_tilt_roll,
)
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
from soccermaster_hf.geometry.solver import (
    CalibrationFailure,
    CalibrationResult,
    CameraCalibrator,
    SolverConfig,
    calibrate,
    calibrate_predicted,
    camera_from_homography,
    homography_from_constraints,
    mirror_camera,
)

__all__ = [
    "AnnotationError",
    "Arc",
    "CalibrationFailure",
    "CalibrationResult",
    "Camera",
    "CameraCalibrator",
    "CameraFormatError",
    "EvaluationResult",
    "FrameScore",
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
    "rotation_to_pan_tilt_roll",
    "scale_annotation",
    "score_frame",
]
