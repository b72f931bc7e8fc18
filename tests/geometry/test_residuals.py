"""The residual model: zero at the true camera, parameter round trip, rank test, extent check."""

from __future__ import annotations

import numpy as np
import pytest
from geometry_synth import HEIGHT, WIDTH, broadcast_camera, synthetic_annotation

from soccermaster_hf.geometry import PitchModel, PitchObservations, SolverConfig
from soccermaster_hf.geometry.residuals import ResidualModel, clip_inside, extent_errors

TRUTH = broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0)


def _model(annotation: dict, config: SolverConfig | None = None) -> tuple[ResidualModel, PitchObservations]:
    obs = PitchObservations.from_soccernet(annotation, WIDTH, HEIGHT)
    return ResidualModel(obs, PitchModel(), config or SolverConfig(), sorted(obs.lines)), obs


def test_residuals_vanish_at_the_true_camera():
    model, obs = _model(synthetic_annotation(TRUTH))
    x = model.vector(TRUTH)
    assert model.num_items == len(obs.lines) and model.n_residuals == sum(len(v) for v in obs.lines.values())
    assert model.rms(x) < 1e-6
    assert max(model.class_errors(x).values()) < 1e-6
    camera = model.camera(x)
    np.testing.assert_allclose(camera.position, TRUTH.position, atol=1e-9)
    np.testing.assert_allclose(camera.rotation, TRUTH.rotation, atol=1e-9)
    # batched evaluation and the Jacobian agree with the single evaluation
    shifted = x + np.r_[10.0, 0, 0, 0, 0.5, 0, 0, 0]
    np.testing.assert_allclose(model.residuals_batch(np.stack([x, shifted]))[1], model.residuals(shifted))
    jac = model.jacobian(x)
    assert jac.shape == (len(model.residuals(x)), len(x)) and np.all(np.isfinite(jac))
    assert model.rms(shifted) > 1.0


def test_rank_test_names_the_free_parameters():
    full, _ = _model(synthetic_annotation(TRUTH))
    assert full.undetermined_parameters(full.vector(TRUTH)) == []
    parallel_names = ("Side line top", "Big rect. left top", "Small rect. left top", "Big rect. left bottom")
    parallel, _ = _model({k: v for k, v in synthetic_annotation(TRUTH).items() if k in parallel_names})
    assert parallel.undetermined_parameters(parallel.vector(TRUTH))


def test_extent_errors_follow_the_metric():
    _, obs = _model(synthetic_annotation(TRUTH))
    pitch = PitchModel()
    at_truth = extent_errors(TRUTH, obs, obs.lines, pitch)
    assert set(at_truth) == set(obs.lines) and max(at_truth.values()) < 1e-3
    moved = TRUTH.copy()
    moved.position = moved.position + [6.0, 0.0, 0.0]
    assert max(extent_errors(moved, obs, obs.lines, pitch).values()) > 10.0


def test_clip_inside_keeps_strictly_inside_finite_bounds():
    lower, upper = np.array([0.0, -np.inf]), np.array([1.0, np.inf])
    clipped = clip_inside(np.array([-5.0, 3.0]), lower, upper)
    assert 0.0 < clipped[0] < 1e-5 and clipped[1] == 3.0
    assert clip_inside(np.array([2.0, 0.0]), lower, upper)[0] == pytest.approx(1.0 - 1e-6)
