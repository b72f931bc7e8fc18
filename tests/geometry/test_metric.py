"""SoccerNet calibration metric: hand-built known answers and the official-evaluator anchor on real data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from geometry_synth import broadcast_camera, synthetic_annotation

from soccermaster_hf.geometry import (
    Camera,
    distance_to_polyline,
    evaluate_cameras,
    mirror_annotation,
    project_pitch_polylines,
    score_frame,
)
from soccermaster_hf.modeling.pitch_definitions import MIRROR_CLASS

W, H = 960, 540
S = 20.0  # pixels per metre of the top-down camera below


def top_down_camera(dx: float = 0.0, dy: float = 0.0) -> Camera:
    """Camera 100 m above the centre spot looking straight down: u = 479.5 + 20 x, v = 269.5 + 20 y.

    It sees only the halfway line (vertical, crossing the whole image) and the centre circle (radius 183 px).
    """
    return Camera(2000.0, 2000.0, 479.5, 269.5, np.eye(3), np.array([dx, dy, -100.0]))


def norm(points):
    return [{"x": u / (W - 1), "y": v / (H - 1)} for u, v in points]


CIRCLE = [(479.5 + 183, 269.5), (479.5, 269.5 + 183), (479.5 - 183, 269.5), (479.5, 269.5 - 183)]
ANNOTATION = {"Middle line": norm([(479.5, 100.0), (479.5, 400.0)]), "Circle central": norm(CIRCLE)}


def test_distance_to_polyline_known_answers():
    seg = np.array([[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(distance_to_polyline(np.array([[0.0, 1.0], [3.0, 0.0], [-1.0, -2.0]]), seg), [1, 2, 2])
    np.testing.assert_allclose(distance_to_polyline(np.array([[3.0, 4.0]]), np.array([[0.0, 0.0]])), [5.0])
    degenerate = np.array([[0.0, 0.0], [0.0, 0.0], [2.0, 0.0]])
    np.testing.assert_allclose(distance_to_polyline(np.array([[1.0, 1.0], [-1.0, 0.0]]), degenerate), [1.0, 1.0])


def test_projection_is_clipped_at_the_image_border():
    projected = project_pitch_polylines(top_down_camera())
    assert set(projected) == {"Middle line", "Circle central"}
    middle = projected["Middle line"]
    np.testing.assert_allclose(middle[0], [479.5, 0.0], atol=1e-9)  # entering point on v = 0
    np.testing.assert_allclose(middle[-1], [479.5, H - 1.0], atol=1e-9)  # leaving point on v = H - 1
    radius = np.linalg.norm(projected["Circle central"] - [479.5, 269.5], axis=1)
    np.testing.assert_allclose(radius, 9.15 * S)


def test_perfect_camera_scores_100_percent():
    score = score_frame(top_down_camera(), ANNOTATION)
    assert score.accuracy == {5.0: 1.0, 10.0: 1.0, 20.0: 1.0}
    assert score.counts[5.0] == (2, 0, 0)
    assert score.max_errors["Middle line"] < 1e-9 and score.max_errors["Circle central"] < 0.05


def test_shifted_camera_fails_at_5_and_passes_at_20():
    # camera moved 0.3 m along y: the image moves 6 px vertically; the circle's top/bottom points are 6 px off,
    # the vertical halfway line is unaffected
    score = score_frame(top_down_camera(dy=0.3), ANNOTATION)
    assert score.max_errors["Circle central"] == pytest.approx(6.0, abs=0.05)
    assert score.max_errors["Middle line"] < 1e-9
    assert score.counts[5.0] == (1, 1, 0) and score.accuracy[5.0] == 0.5
    assert score.accuracy[10.0] == 1.0 and score.accuracy[20.0] == 1.0


def test_threshold_is_strict():
    # 0.25 m -> the circle's top/bottom points are 5 px (+ < 0.02 px polyline sampling) away: not "< 5"
    score = score_frame(top_down_camera(dy=0.25), ANNOTATION, thresholds=(5.0, 5.05))
    assert 5.0 <= score.max_errors["Circle central"] < 5.02
    assert score.accuracy[5.0] == 0.5 and score.accuracy[5.05] == 1.0


def test_missing_class_counts_as_false_negative_and_extra_projection_as_false_positive():
    with_missing = dict(ANNOTATION, **{"Side line top": norm([(100.0, 50.0), (800.0, 50.0)])})
    score = score_frame(top_down_camera(), with_missing)
    assert score.counts[5.0] == (2, 0, 1) and score.accuracy[5.0] == pytest.approx(2 / 3)
    score = score_frame(top_down_camera(), {"Middle line": ANNOTATION["Middle line"]})
    assert score.counts[5.0] == (1, 1, 0) and score.false_positive_classes == ["Circle central"]


def test_mirror_rule():
    cam = broadcast_camera(target=(-30.0, -5.0))
    annotation = synthetic_annotation(cam)
    assert any("left" in name for name in annotation)
    assert score_frame(cam, annotation).accuracy[5.0] == 1.0
    mirrored = {MIRROR_CLASS[k]: v for k, v in annotation.items()}
    score = score_frame(cam, mirrored)
    assert score.accuracy[5.0] == 1.0 and score.mirrored[5.0]
    # mirror_annotation is the same relabelling (and accepts the GSR spelling)
    assert set(mirror_annotation({"Goal left post left": np.zeros((1, 2))})) == {"Goal right post left"}


def test_dataset_aggregation_and_completeness():
    annotations = {"a": ANNOTATION, "b": ANNOTATION, "c": ANNOTATION, "d": ANNOTATION}
    cameras = {"a": top_down_camera(), "b": top_down_camera(dy=0.3), "c": top_down_camera().to_dict(), "d": None}
    result = evaluate_cameras(cameras, annotations)
    assert result.n_images == 4 and result.n_with_camera == 3 and result.completeness == 0.75
    assert result.accuracy[5.0] == pytest.approx((1 + 0.5 + 1) / 3)
    assert result.final[5.0] == pytest.approx(0.75 * (2.5 / 3))
    assert result.accuracy[20.0] == 1.0 and result.final[20.0] == 0.75


@pytest.mark.real_data
def test_pnlcalib_cameras_match_the_official_evaluator(wc14_dir):
    """Anchor measured with the official SoccerNet evaluator on these 186 frames: acc@5 84.9 %, acc@10 93.8 %,
    acc@20 96.1 %, completeness 100 %."""
    annotations = {p.stem: json.loads(p.read_text()) for p in (wc14_dir / "wc14_test_gt_lines").glob("*.json")}
    cameras = {n: Camera.load(wc14_dir / "wc14_test_pnlcalib_cameras" / f"camera_{n}.json") for n in annotations}
    result = evaluate_cameras(cameras, annotations)
    assert result.completeness == 1.0
    assert result.final[5.0] == pytest.approx(0.849, abs=0.0015)
    assert result.accuracy[10.0] == pytest.approx(0.938, abs=0.0015)
    assert result.accuracy[20.0] == pytest.approx(0.961, abs=0.0015)
