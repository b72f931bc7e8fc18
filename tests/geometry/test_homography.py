"""Homographies: normalised DLT from lines and points, decomposition into a camera, keypoint RANSAC, conics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geometry_synth import PP, broadcast_camera, synthetic_annotation

from soccermaster_hf.geometry import PitchModel
from soccermaster_hf.geometry.homography import (
    camera_from_homography,
    conic_line_intersections,
    fit_conic,
    fit_line,
    hartley_normalization,
    homography_from_constraints,
    keypoint_ransac_outliers,
)
from soccermaster_hf.modeling.pitch_definitions import GROUND_LINE_CLASSES

TRUTH = broadcast_camera(x=-25.0, target=(-40.0, -4.0), focal=1500.0)


def _line_points(camera) -> list[tuple[np.ndarray, np.ndarray]]:
    pitch = PitchModel()
    annotation = synthetic_annotation(camera, normalized=False)
    return [(pitch.ground_line(n), pts) for n, pts in annotation.items() if n in GROUND_LINE_CLASSES]


def _same_up_to_scale(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return min(np.abs(a - b).max(), np.abs(a + b).max())


def test_hartley_normalization():
    points = np.random.default_rng(0).uniform(0, 960, (30, 2))
    t = hartley_normalization(points)
    moved = np.column_stack([points, np.ones(len(points))]) @ t.T
    np.testing.assert_allclose(moved[:, :2].mean(axis=0), 0.0, atol=1e-9)
    assert np.linalg.norm(moved[:, :2], axis=1).mean() == pytest.approx(math.sqrt(2))


def test_dlt_from_lines_and_points_gives_the_camera_homography():
    truth_g = np.linalg.inv(TRUTH.ground_homography())  # image -> pitch
    lines = _line_points(TRUTH)
    assert len(lines) >= 4
    assert _same_up_to_scale(homography_from_constraints(lines), truth_g) < 1e-6
    # points only: four ground keypoints
    world = PitchModel().keypoints()
    ground = [i for i in range(len(world)) if world[i, 2] == 0.0]
    uv, valid = TRUTH.project(world[ground])
    pairs = [(world[i, :2], uv[j]) for j, i in enumerate(ground) if valid[j]][:6]
    assert _same_up_to_scale(homography_from_constraints([], pairs), truth_g) < 1e-6


def test_dlt_is_none_when_under_determined():
    lines = _line_points(TRUTH)
    assert homography_from_constraints([]) is None
    assert homography_from_constraints(lines[:1]) is None  # one line: 4 equations


def test_decomposition_recovers_the_camera():
    camera = camera_from_homography(TRUTH.ground_homography(), PP, image_points=np.array([[480.0, 400.0]]))
    assert camera is not None
    assert camera.fx == pytest.approx(TRUTH.fx, rel=1e-6)
    np.testing.assert_allclose(camera.position, TRUTH.position, atol=1e-6)
    np.testing.assert_allclose(camera.rotation, TRUTH.rotation, atol=1e-9)
    fixed = camera_from_homography(TRUTH.ground_homography(), PP, focal=TRUTH.fx)
    np.testing.assert_allclose(fixed.position, TRUTH.position, atol=1e-6)


def test_keypoint_ransac_flags_a_moved_keypoint():
    world = PitchModel().keypoints()
    uv, valid = TRUTH.project(world)
    inside = valid & (uv[:, 0] >= 0) & (uv[:, 0] < 960) & (uv[:, 1] >= 0) & (uv[:, 1] < 540) & (world[:, 2] == 0)
    kp = {int(i): (uv[i, 0], uv[i, 1], 0.9) for i in np.flatnonzero(inside)}
    assert len(kp) >= 6
    wrong = sorted(kp)[1]
    kp[wrong] = (kp[wrong][0] + 150.0, kp[wrong][1] + 80.0, 0.9)
    assert keypoint_ransac_outliers(world, kp, 15.0) == [wrong]
    assert keypoint_ransac_outliers(world, kp, 0.0) == []  # disabled
    assert keypoint_ransac_outliers(world, dict(list(kp.items())[:4]), 15.0) == []  # too few to test


def test_conic_fit_and_line_intersections():
    angles = np.linspace(0.2, 5.0, 12)
    circle = np.column_stack([300 + 50 * np.cos(angles), 200 + 30 * np.sin(angles)])  # an ellipse
    conic = fit_conic(circle)
    assert conic is not None
    h = np.column_stack([circle, np.ones(len(circle))])
    residual = np.einsum("ni,ij,nj->n", h, conic, h) / np.abs(conic).max()
    assert np.abs(residual).max() < 1e-9
    line = fit_line(np.array([[300.0, 0.0], [300.0, 400.0]]))  # x = 300
    p, q = sorted(conic_line_intersections(conic, line), key=lambda v: v[1])
    np.testing.assert_allclose([p, q], [[300.0, 170.0], [300.0, 230.0]], atol=1e-6)
    assert conic_line_intersections(conic, fit_line(np.array([[500.0, 0.0], [500.0, 1.0]]))) is None  # misses
    assert fit_line(np.array([[1.0, 1.0]])) is None
