"""The typed calibration result: every failure reason is reachable, the subset and initialisation are recorded."""

from __future__ import annotations

import json

import numpy as np
import pytest
from geometry_synth import HEIGHT, WIDTH, broadcast_camera, synthetic_annotation

from soccermaster_hf.geometry import CameraCalibrator, PitchModel, PitchObservations, SolverConfig, calibrate
from soccermaster_hf.geometry import calibrator as calibrator_module
from soccermaster_hf.geometry.calibrator import calibrate_predicted
from soccermaster_hf.geometry.results import (
    CalibrationFailure,
    CalibrationResult,
    FailureReason,
    Initialisation,
    ObservationSubset,
)

TRUTH = broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0)
PARALLEL = ("Side line top", "Big rect. left top", "Small rect. left top", "Small rect. left bottom",
            "Big rect. left bottom")


def _observe(annotation: dict) -> PitchObservations:
    return PitchObservations.from_soccernet(annotation, WIDTH, HEIGHT, source="synthetic")


def _keypoints(camera) -> dict[int, tuple[float, float, float]]:
    uv, valid = camera.project(PitchModel().keypoints())
    inside = valid & (uv[:, 0] >= 0) & (uv[:, 0] < WIDTH) & (uv[:, 1] >= 0) & (uv[:, 1] < HEIGHT)
    return {int(i): (uv[i, 0], uv[i, 1], 0.9) for i in np.flatnonzero(inside)}


def _diverging_refine(self, problem, camera, max_nfev, loss=None):
    return np.full(len(problem.vector(camera)), np.nan), 0.0


def _broken_model(*args, **kwargs):
    raise RuntimeError("boom")


def _empty_input():
    return calibrate(_observe({}))


def _too_few_constraints():
    return calibrate(_observe({"Side line top": [{"x": 0.0, "y": 0.2}, {"x": 1.0, "y": 0.25}]}))


def _degenerate_geometry():
    parallel = {k: v for k, v in synthetic_annotation(TRUTH).items() if k in PARALLEL}
    # no RMS or extent limit: only the rank test can reject the camera
    return calibrate(_observe(parallel), SolverConfig(max_rms_px=np.inf, max_extent_error_px=0.0))


def _inconsistent_observations():
    noisy = {k: v + np.random.default_rng(0).normal(0, 2.0, v.shape)
             for k, v in synthetic_annotation(TRUTH, normalized=False).items()}
    return calibrate(PitchObservations.from_pixels((WIDTH, HEIGHT), noisy), SolverConfig(max_rms_px=0.5))


def _no_valid_camera(monkeypatch):
    monkeypatch.setattr(CameraCalibrator, "_refine", _diverging_refine)
    return calibrate(_observe(synthetic_annotation(TRUTH)))


def _internal_error(monkeypatch):
    monkeypatch.setattr(calibrator_module, "ResidualModel", _broken_model)
    return calibrate(_observe(synthetic_annotation(TRUTH)))


FAILURES = {
    FailureReason.EMPTY_INPUT: _empty_input,
    FailureReason.TOO_FEW_CONSTRAINTS: _too_few_constraints,
    FailureReason.DEGENERATE_GEOMETRY: _degenerate_geometry,
    FailureReason.INCONSISTENT_OBSERVATIONS: _inconsistent_observations,
    FailureReason.NO_VALID_CAMERA: _no_valid_camera,
    FailureReason.INTERNAL_ERROR: _internal_error,
}


def test_every_failure_reason_has_a_case():
    assert set(FAILURES) == set(FailureReason)


@pytest.mark.parametrize("reason", list(FailureReason), ids=str)
def test_each_failure_reason_is_reachable(reason, monkeypatch):
    make = FAILURES[reason]
    result = make(monkeypatch) if reason in (FailureReason.NO_VALID_CAMERA, FailureReason.INTERNAL_ERROR) else make()
    assert isinstance(result, CalibrationResult) and not result.success
    assert isinstance(result.failure, CalibrationFailure)
    assert result.failure.reason is reason, result.failure
    assert result.failure.message
    assert result.initialisation is None and result.num_inliers == 0 and result.method == ""
    # the human-readable form written to calibration_failures.json / summary.json
    assert str(result.failure) == f"{reason.value}: {result.failure.message}"


def test_reasons_are_strings_for_json_and_comparisons():
    assert FailureReason.EMPTY_INPUT == "empty_input" and f"{FailureReason.EMPTY_INPUT}" == "empty_input"
    assert json.dumps({"reason": FailureReason.DEGENERATE_GEOMETRY}) == '{"reason": "degenerate_geometry"}'
    assert FailureReason("too_few_constraints") is FailureReason.TOO_FEW_CONSTRAINTS
    assert [s.value for s in ObservationSubset] == ["all", "keypoints", "lines"]


def test_success_records_initialisation_subset_and_inliers():
    obs = _observe(synthetic_annotation(TRUTH))
    result = calibrate(obs)
    assert result.success and result.failure is None
    assert result.initialisation is Initialisation.HOMOGRAPHY and result.subset is ObservationSubset.ALL
    assert result.num_inliers == len(obs.lines) and result.method == "homography"
    warm = CameraCalibrator().calibrate(obs, initial_camera=result.camera)
    assert warm.initialisation is Initialisation.PREVIOUS_FRAME and warm.method == "previous_frame"


def test_calibrate_predicted_records_the_subset_used():
    # keypoints of one camera, lines of another: each kind is consistent on its own
    other = _observe(synthetic_annotation(broadcast_camera(x=25.0, target=(40.0, 5.0), focal=1600.0)))
    kp = _keypoints(TRUTH)
    observations = PitchObservations.from_pixels((WIDTH, HEIGHT), keypoints=kp, lines=dict(other.lines))
    by_keypoints = calibrate_predicted(observations)
    assert by_keypoints.success and by_keypoints.subset is ObservationSubset.KEYPOINTS
    assert by_keypoints.num_inliers == len(kp) and by_keypoints.method.endswith("+keypoints_only")
    # the subset that worked on the previous frame goes first (as analyze does with result.subset)
    by_lines = calibrate_predicted(observations, first=ObservationSubset.LINES)
    assert by_lines.success and by_lines.subset is ObservationSubset.LINES
    assert by_lines.method.endswith("+lines_only")
    np.testing.assert_allclose(by_lines.camera.position, calibrate(other).camera.position, atol=1e-6)
    assert calibrate_predicted(observations, first="lines").subset is ObservationSubset.LINES
    with pytest.raises(ValueError, match="first must be one of"):
        calibrate_predicted(observations, first="lines_only")
    # a failure of every subset reports the full set's failure
    empty = calibrate_predicted(_observe({}))
    assert empty.failure.reason is FailureReason.EMPTY_INPUT and empty.subset is ObservationSubset.ALL
