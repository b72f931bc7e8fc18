"""Tracking baseline: stable ids for moving boxes, new ids, ageing out, empty frames, box IoU, the interface."""

from __future__ import annotations

import numpy as np
import pytest

from soccermaster_hf.tracking import HungarianTracker, Tracker, iou_matrix


def _reference_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The hand-written IoU the tracker used before ``torchvision.ops.box_iou``."""
    left, top = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    right, bottom = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area = lambda boxes: (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    corner = rng.uniform(0, 300, (n, 2))
    return np.concatenate([corner, corner + rng.uniform(5, 80, (n, 2))], axis=1)


@pytest.fixture
def players():
    rng = np.random.default_rng(0)
    boxes = np.array([[10, 10, 30, 60], [100, 20, 120, 70], [200, 40, 220, 90], [300, 30, 322, 84]], dtype=float)
    return boxes, rng.normal(size=(len(boxes), 16))


def test_the_baseline_implements_the_interface():
    assert isinstance(HungarianTracker(), Tracker)


def test_ids_are_stable_for_moving_boxes(players):
    boxes, embeddings = players
    tracker = HungarianTracker()
    first = tracker.update(0, boxes, embeddings, scores=np.full(len(boxes), 0.9))
    assert first == [1, 2, 3, 4]
    rng = np.random.default_rng(1)
    for frame in range(1, 8):
        order = rng.permutation(len(boxes))  # detections come in any order
        moved = boxes + frame * np.array([3.0, 1.0, 3.0, 1.0])
        assert tracker.update(frame, moved[order], embeddings[order]) == [first[i] for i in order]
    assert tracker.next_id == 5


def test_new_boxes_get_new_ids(players):
    boxes, embeddings = players
    tracker = HungarianTracker()
    tracker.update(0, boxes[:2], embeddings[:2])
    ids = tracker.update(1, boxes, embeddings)
    assert ids[:2] == [1, 2] and ids[2:] == [3, 4]
    far = np.array([[600.0, 300.0, 620.0, 350.0]])
    assert tracker.update(2, far, embeddings[:1]) == [5]  # same appearance, no overlap: a new track


def test_tracks_age_out_after_max_age(players):
    boxes, embeddings = players
    tracker = HungarianTracker(max_age=3)
    tracker.update(0, boxes[:1], embeddings[:1])
    assert tracker.update(3, boxes[:1], embeddings[:1]) == [1]  # unseen for max_age frames: kept
    assert tracker.update(7, boxes[:1], embeddings[:1]) == [2]  # unseen for more: a new id
    assert [t.track_id for t in tracker.tracks] == [2]


def test_empty_frames(players):
    boxes, embeddings = players
    tracker = HungarianTracker(max_age=2)
    no_boxes, no_embeddings = np.zeros((0, 4)), np.zeros((0, embeddings.shape[1]))
    assert tracker.update(0, no_boxes, no_embeddings) == [] and tracker.next_id == 1
    first = tracker.update(1, boxes, embeddings)
    assert tracker.update(2, no_boxes, no_embeddings) == []
    assert tracker.update(3, boxes, embeddings) == first  # an empty frame does not end the tracks
    tracker.reset()
    assert tracker.tracks == [] and tracker.update(4, boxes, embeddings) == first  # ids restart at 1
    with pytest.raises(ValueError, match="embeddings"):
        tracker.update(5, boxes)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_iou_matches_the_former_formula(dtype):
    rng = np.random.default_rng(2)
    a, b = _random_boxes(rng, 12).astype(dtype), _random_boxes(rng, 9).astype(dtype)
    b[:3] = a[:3] + 2.0  # some heavy overlaps
    ours = iou_matrix(a, b)
    assert ours.dtype == dtype and ours.shape == (12, 9)
    np.testing.assert_allclose(ours, _reference_iou(a, b), rtol=1e-6 if dtype == np.float32 else 1e-12, atol=0)
    assert (ours[:3, :3].diagonal() > 0.5).all()
    # degenerate and empty inputs
    empty_box = np.array([[5.0, 5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(iou_matrix(empty_box, empty_box), _reference_iou(empty_box, empty_box))
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 9)
    assert iou_matrix(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))[0, 0] == pytest.approx(1 / 3)
