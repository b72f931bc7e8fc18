"""Joint refinement of a shot's cameras (shared camera centre, smooth pan / tilt / zoom): geometry.temporal."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from geometry_synth import HEIGHT, WIDTH, broadcast_camera

from soccermaster_hf.geometry import PitchModel, PitchObservations, SolverConfig, calibrate_predicted
from soccermaster_hf.geometry.results import (
    CalibrationFailure,
    CalibrationResult,
    FailureReason,
    Initialisation,
    ObservationSubset,
)
from soccermaster_hf.geometry.temporal import (
    _acceleration_weights,
    _continuous_rotation_vectors,
    refine_shot,
    used_observations,
)

FRAMES = 12


def _shot_cameras(frames: int = FRAMES):
    """A main camera on a fixed gantry panning right at a constant rate and zooming in slowly."""
    return [broadcast_camera(x=-18.0, target=(-36.0 + 0.6 * t, -2.0), focal=1500.0 * (1 + 0.004 * t))
            for t in range(frames)]


def _noisy_keypoints(camera, rng, sigma: float) -> dict[int, tuple[float, float, float]]:
    uv, valid = camera.project(PitchModel().keypoints())
    inside = valid & (uv[:, 0] >= 0) & (uv[:, 0] < WIDTH) & (uv[:, 1] >= 0) & (uv[:, 1] < HEIGHT)
    return {int(i): (uv[i, 0] + rng.normal(0, sigma), uv[i, 1] + rng.normal(0, sigma), 0.9)
            for i in np.flatnonzero(inside)}


def _projection_error(camera, truth) -> float:
    """Mean distance (px) between where the two cameras put the pitch keypoints that ``truth`` sees."""
    points = PitchModel().keypoints()
    uv_true, valid = truth.project(points)
    inside = valid & (uv_true[:, 0] >= 0) & (uv_true[:, 0] < WIDTH) & (uv_true[:, 1] >= 0) & (uv_true[:, 1] < HEIGHT)
    uv, _ = camera.project(points[inside])
    return float(np.linalg.norm(uv - uv_true[inside], axis=1).mean())


@pytest.fixture(scope="module")
def noisy_shot():
    rng = np.random.default_rng(3)
    truths = _shot_cameras()
    observations = [PitchObservations.from_pixels((WIDTH, HEIGHT), keypoints=_noisy_keypoints(c, rng, 2.5))
                    for c in truths]
    results = [calibrate_predicted(o) for o in observations]
    assert all(r.success for r in results)
    return truths, observations, results


def test_the_shared_centre_and_smooth_motion_beat_per_frame_cameras(noisy_shot):
    truths, observations, results = noisy_shot
    refined = refine_shot(observations, results)
    assert all(r.refined_in_shot and r.success for r in refined)
    assert not any(r.refined_in_shot for r in results)  # the inputs are not modified
    centres = np.array([r.camera.position for r in refined])
    np.testing.assert_allclose(centres, centres[0][None].repeat(len(centres), 0))  # one camera centre
    before = np.mean([np.linalg.norm(r.camera.position - t.position) for r, t in zip(results, truths)])
    after = np.mean([np.linalg.norm(r.camera.position - t.position) for r, t in zip(refined, truths)])
    assert after < 0.5 * before, (before, after)
    error_before = np.mean([_projection_error(r.camera, t) for r, t in zip(results, truths)])
    error_after = np.mean([_projection_error(r.camera, t) for r, t in zip(refined, truths)])
    assert error_after < 0.8 * error_before, (error_before, error_after)
    for r in refined:
        assert r.rms_px <= SolverConfig().max_rms_px and r.class_errors


def test_smoothness_smooths_the_focal_length(noisy_shot):
    _, observations, results = noisy_shot

    def roughness(rs):
        focal = np.log([r.camera.fx for r in rs])
        return float(np.abs(np.diff(focal, 2)).mean())

    shared_only = refine_shot(observations, results, config=SolverConfig(shot_smoothness=0.0))
    smooth = refine_shot(observations, results, config=SolverConfig(shot_smoothness=5.0))
    assert roughness(smooth) < 0.5 * roughness(shared_only)


def test_a_failed_frame_the_shot_explains_is_recovered_and_garbage_is_not(noisy_shot):
    truths, observations, results = noisy_shot
    observations, results = list(observations), list(results)
    failure = CalibrationResult(None, CalibrationFailure(FailureReason.INCONSISTENT_OBSERVATIONS, "test"))
    results[4] = failure  # its observations are fine: the shot's camera explains them
    rng = np.random.default_rng(0)
    garbage = {int(i): (float(rng.uniform(0, WIDTH)), float(rng.uniform(0, HEIGHT)), 0.9) for i in range(20)}
    observations[7] = PitchObservations.from_pixels((WIDTH, HEIGHT), keypoints=garbage)
    results[7] = failure
    refined = refine_shot(observations, results)
    recovered = refined[4]
    assert recovered.success and recovered.refined_in_shot and recovered.failure is None
    assert recovered.initialisation is Initialisation.SHOT and recovered.subset is ObservationSubset.ALL
    assert _projection_error(recovered.camera, truths[4]) < 3.0
    assert refined[7] is failure
    assert sum(r.refined_in_shot for r in refined) == FRAMES - 1
    # nothing fits to a thousandth of a pixel: every frame keeps its per-frame result
    strict = refine_shot(observations, results, config=SolverConfig(max_rms_px=1e-3))
    assert all(a is b for a, b in zip(strict, results))


def test_the_identity_check_drops_a_wrong_identity_the_frame_kept_and_restores_a_dropped_one(noisy_shot):
    truths, observations, results = noisy_shot
    observations, results = list(observations), list(results)
    keypoints = dict(observations[2].keypoints)
    wrong, right = sorted(keypoints)[:2]
    x, y, score = keypoints[wrong]
    keypoints[wrong] = (x + 40.0, y + 25.0, score)  # a wrong identity, 47 px off
    observations[2] = PitchObservations.from_pixels((WIDTH, HEIGHT), keypoints=keypoints)
    # pretend the per-frame solver kept the wrong one and dropped a right one
    results[2] = dataclasses.replace(results[2], outlier_classes=[f"keypoint {right}"])
    refined = refine_shot(observations, results)
    assert refined[2].refined_in_shot
    assert refined[2].outlier_classes == [f"keypoint {wrong}"]
    assert f"keypoint {right}" in refined[2].class_errors


def test_fewer_than_two_calibrated_frames_change_nothing(noisy_shot):
    _, observations, results = noisy_shot
    assert refine_shot(observations[:1], results[:1])[0] is results[0]
    assert refine_shot([], []) == []


def test_frame_times_may_be_uneven(noisy_shot):
    truths, observations, results = noisy_shot
    times = [0, 1, 2, 4, 5, 7, 8, 9, 12, 13, 14, 20]
    refined = refine_shot(observations, results, frame_indices=times)
    assert all(r.refined_in_shot for r in refined)
    np.testing.assert_allclose(_acceleration_weights(np.array([0.0, 1.0, 2.0])), [[1.0, -2.0, 1.0]])
    np.testing.assert_allclose(_acceleration_weights(np.array([0.0, 10.0, 20.0])), [[0.01, -0.02, 0.01]])
    # uneven spacing: exact on a parabola (second derivative 2)
    t = np.array([0.0, 1.0, 4.0])
    np.testing.assert_allclose(_acceleration_weights(t) @ t**2, [2.0])


@pytest.mark.parametrize("times, message", [
    ([0, 1], "one entry per frame"),
    ([0, 2, 1] + list(range(3, FRAMES)), "strictly increasing"),
    ([0, float("nan")] + list(range(2, FRAMES)), "finite"),
])
def test_bad_frame_times_are_refused(noisy_shot, times, message):
    _, observations, results = noisy_shot
    with pytest.raises(ValueError, match=message):
        refine_shot(observations, results, frame_indices=times)


def test_lengths_must_match(noisy_shot):
    _, observations, results = noisy_shot
    with pytest.raises(ValueError, match="one per frame"):
        refine_shot(observations[:3], results[:2])


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), "1"])
def test_shot_smoothness_is_validated(value):
    with pytest.raises(ValueError, match="shot_smoothness"):
        SolverConfig(shot_smoothness=value)


def test_rotation_vectors_are_made_continuous():
    axis = np.array([0.0, 0.0, 1.0])
    vectors = [axis * (math.pi - 0.01), axis * -(math.pi - 0.01)]  # nearly the same rotation, opposite vectors
    _continuous_rotation_vectors(vectors)
    np.testing.assert_allclose(vectors[1], axis * (math.pi + 0.01))


def test_used_observations_follow_the_subset_and_the_outliers(noisy_shot):
    _, observations, results = noisy_shot
    obs = PitchObservations.from_pixels((WIDTH, HEIGHT), keypoints=observations[0].keypoints,
                                        lines={"Middle line": np.array([[480.0, 100.0], [470.0, 500.0]])})
    dropped = f"keypoint {min(obs.keypoints)}"
    keypoints_only = CalibrationResult(results[0].camera, subset=ObservationSubset.KEYPOINTS,
                                       outlier_classes=[dropped])
    used = used_observations(obs, keypoints_only)
    assert not used.lines and dropped.split()[1] not in map(str, used.keypoints)
    lines_only = CalibrationResult(results[0].camera, subset=ObservationSubset.LINES)
    used = used_observations(obs, lines_only)
    assert not used.keypoints and list(used.lines) == ["Middle line"]


@pytest.mark.slow
def test_shot_benchmark_runs_and_prints_its_table(tmp_path):
    """``benchmarks/calibration_shots.py`` on one 4-frame held-out clip: a row per setting, numbers in range."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[2] / "benchmarks" / "calibration_shots.py"
    run = subprocess.run([sys.executable, str(script), "--data", str(tmp_path / "data"), "--clips", "1",
                          "--frames", "4"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    rows = [line.split("|")[1:-1] for line in run.stdout.splitlines()
            if line.startswith("| ") and "cameras" not in line and "---" not in line]
    assert len(rows) == 12 and rows[0][0].strip().startswith("per frame"), run.stdout
    for row in rows:
        completeness, accuracy, final = (float(v) for v in row[1:4])
        assert 0 <= final <= completeness <= 1 and 0 <= accuracy <= 1 and final == pytest.approx(
            completeness * accuracy, abs=2e-3)
    bad = subprocess.run([sys.executable, str(script), "--frames", "2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--frames" in bad.stderr
