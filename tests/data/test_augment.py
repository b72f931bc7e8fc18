"""Tests of the clip augmentation (SPEC §2 "Augmentations (train)"): determinism, shared geometry, labels follow."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from soccermaster_hf.data.augment import (
    AugmentationConfig,
    ClipAugmentation,
    apply_homography,
    keypoint_flip_permutation,
    line_flip_permutation,
)
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.modeling.pitch_definitions import KEYPOINTS, LINE_CLASSES

H, W = 48, 64

IDENTITY = AugmentationConfig(
    affine_p=0.0,
    perspective_p=0.0,
    crop_p=0.0,
    color_jitter=(0.0, 0.0, 0.0, 0.0),
    flip_p=0.0,
    noise_p=0.0,
    blur_p=0.0,
)
#: Geometry as the authors', photometric ops off.
GEOMETRY_ONLY = dataclasses.replace(AugmentationConfig(), color_jitter=(0.0, 0.0, 0.0, 0.0), noise_p=0.0, blur_p=0.0)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_targets(num_frames: int, seed: int = 0) -> dict:
    g = gen(seed)
    boxes, labels, roles, teams = [], [], [], []
    for t in range(num_frames):
        n = 3 + t
        xy = torch.rand(n, 2, generator=g) * torch.tensor([W - 16.0, H - 16.0])
        wh = 4 + torch.rand(n, 2, generator=g) * 10
        boxes.append(torch.cat([xy, xy + wh], 1))
        labels.append(torch.arange(n))
        roles.append([f"role{i}" for i in range(n)])
        teams.append(torch.randint(0, 3, (n,), generator=g))
    return {
        "boxes": boxes,
        "class_labels": labels,
        "roles": roles,
        "teams": teams,
        "box_fields": ["class_labels", "roles", "teams"],
        "keypoints": torch.rand(num_frames, len(KEYPOINTS), 2, generator=g) * torch.tensor([W, H]),
        "keypoint_visibility": torch.rand(num_frames, len(KEYPOINTS), generator=g) > 0.3,
        "lines": torch.rand(num_frames, len(LINE_CLASSES), 2, 2, generator=g) * torch.tensor([W, H]),
        "line_visibility": torch.rand(num_frames, len(LINE_CLASSES), generator=g) > 0.3,
    }


def assert_targets_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        va, vb = a[key], b[key]
        if isinstance(va, torch.Tensor):
            assert torch.equal(va, vb), key
        elif isinstance(va, list) and va and isinstance(va[0], torch.Tensor):
            assert len(va) == len(vb) and all(torch.equal(x, y) for x, y in zip(va, vb)), key
        else:
            assert va == vb, key


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    lo, hi = torch.maximum(a[:2], b[:2]), torch.minimum(a[2:], b[2:])
    inter = (hi - lo).clamp(min=0).prod()
    union = (a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod() - inter
    return float(inter / union)


def bright_bbox(image: torch.Tensor, thr: float = 0.5) -> torch.Tensor | None:
    ys, xs = torch.nonzero(image.max(0).values > thr, as_tuple=True)
    if len(xs) == 0:
        return None
    return torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)


# ------------------------------------------------------------------------------------------------ determinism
def test_same_seed_identical_output_and_different_seed_differs():
    aug = ClipAugmentation()  # the authors' defaults, photometric ops included
    frames = torch.rand(3, 3, H, W, generator=gen(1))
    targets = random_targets(3)
    f1, t1 = aug(frames, targets, gen(7))
    f2, t2 = aug(frames, targets, gen(7))
    assert torch.equal(f1, f2)
    assert_targets_equal(t1, t2)
    f3, t3 = aug(frames, targets, gen(8))
    assert not torch.equal(f1, f3)
    assert not torch.equal(t1["transform"], t3["transform"])


def test_default_generator_is_the_global_rng():
    aug = ClipAugmentation()
    frames = torch.rand(2, 3, H, W, generator=gen(1))
    torch.manual_seed(3)
    f1, t1 = aug(frames, {})
    torch.manual_seed(3)
    f2, t2 = aug(frames, {})
    assert torch.equal(f1, f2) and torch.equal(t1["transform"], t2["transform"])


def test_inputs_not_mutated():
    frames = torch.rand(2, 3, H, W, generator=gen(1))
    targets = random_targets(2)
    frames_copy, targets_copy = frames.clone(), copy.deepcopy(targets)
    for seed in range(4):
        out_frames, out = ClipAugmentation(dataclasses.replace(AugmentationConfig(), flip_p=1.0))(
            frames, targets, gen(seed)
        )
        out_frames.add_(1.0)
        for v in out["teams"]:
            v.add_(5)
    assert torch.equal(frames, frames_copy)
    assert_targets_equal(targets, targets_copy)


# ------------------------------------------------------------------------------------------ shared geometry
def test_all_frames_of_a_clip_get_the_same_transform():
    image = torch.rand(1, 3, H, W, generator=gen(2))
    clip = image.expand(4, -1, -1, -1).contiguous()
    config = dataclasses.replace(AugmentationConfig(), noise_p=0.0)  # noise is drawn per pixel and frame
    non_identity = 0
    for seed in range(6):
        out, t = ClipAugmentation(config)(clip, {}, gen(seed))
        for k in range(1, 4):
            assert torch.equal(out[0], out[k])
        non_identity += not torch.equal(t["transform"], torch.eye(3, dtype=torch.float64))
        assert not torch.equal(out[0], image[0])
    assert non_identity == 6


# -------------------------------------------------------------------------------------------- labels follow
def test_box_follows_white_square():
    aug = ClipAugmentation(GEOMETRY_ONLY)
    g = gen(0)
    checked = 0
    for seed in range(20):
        x0 = int(torch.randint(8, W - 30, (1,), generator=g))
        y0 = int(torch.randint(8, H - 26, (1,), generator=g))
        frames = torch.zeros(1, 3, H, W)
        frames[0, :, y0 : y0 + 18, x0 : x0 + 22] = 1.0
        box = torch.tensor([[x0, y0, x0 + 22, y0 + 18]], dtype=torch.float32)
        out, t = aug(frames, {"boxes": [box]}, gen(seed))
        seen = bright_bbox(out[0])
        if len(t["boxes"][0]) == 0:
            assert seen is None or (seen[2:] - seen[:2]).prod() < 0.25 * 22 * 18 * 1.5
            continue
        assert seen is not None
        assert iou(t["boxes"][0][0], seen) > 0.7, (seed, t["boxes"][0][0], seen)
        checked += 1
    assert checked >= 15


def test_keypoints_follow_their_dots():
    aug = ClipAugmentation(GEOMETRY_ONLY)
    flip_perm = keypoint_flip_permutation()
    g = gen(5)
    flips = checked = 0
    for seed in range(12):
        num_frames = 3
        frames = torch.zeros(num_frames, 3, H, W)
        kps = torch.full((num_frames, len(KEYPOINTS), 2), -100.0)
        vis = torch.zeros(num_frames, len(KEYPOINTS), dtype=torch.bool)
        channels = torch.randint(0, len(KEYPOINTS), (num_frames,), generator=g).tolist()
        for t, c in enumerate(channels):
            cx = int(torch.randint(W // 4, 3 * W // 4, (1,), generator=g))
            cy = int(torch.randint(H // 4, 3 * H // 4, (1,), generator=g))
            frames[t, :, cy - 1 : cy + 2, cx - 1 : cx + 2] = 1.0  # 3x3 dot centred on pixel (cx, cy)
            kps[t, c] = torch.tensor([cx + 0.5, cy + 0.5])
            vis[t, c] = True
        out, tg = aug(frames, {"keypoints": kps, "keypoint_visibility": vis}, gen(seed))
        flips += tg["flipped"]
        for t, c in enumerate(channels):
            expected = flip_perm.index(c) if tg["flipped"] else c
            visible = torch.nonzero(tg["keypoint_visibility"][t]).flatten().tolist()
            assert visible in ([expected], [])
            point = tg["keypoints"][t, expected]
            inside = 0 <= point[0] < W and 0 <= point[1] < H
            assert visible == ([expected] if inside else [])
            if not (3 <= point[0] <= W - 3 and 3 <= point[1] <= H - 3):
                continue  # the dot is (partly) cut by the border: its centroid is biased
            weight = out[t].mean(0)
            ys, xs = torch.meshgrid(torch.arange(H) + 0.5, torch.arange(W) + 0.5, indexing="ij")
            centroid = torch.stack([(weight * xs).sum(), (weight * ys).sum()]) / weight.sum()
            assert torch.linalg.norm(point - centroid) < 1.0, (seed, t, point, centroid)
            checked += 1
    assert 0 < flips < 12
    assert checked >= 25


def test_lines_map_with_the_transform_and_leave_the_image():
    targets = random_targets(2)
    out_frames, out = ClipAugmentation(GEOMETRY_ONLY)(torch.rand(2, 3, H, W), targets, gen(3))
    ends, _ = apply_homography(targets["lines"], out["transform"])
    if out["flipped"]:
        ends = ends[:, list(line_flip_permutation())]
    torch.testing.assert_close(out["lines"], ends)
    # A line far outside the image becomes not visible; one crossing the image stays visible.
    lines = torch.zeros(1, len(LINE_CLASSES), 2, 2)
    lines[0, 0] = torch.tensor([[-50.0, -50.0], [-40.0, -60.0]])
    lines[0, 1] = torch.tensor([[-10.0, H / 2], [W + 10.0, H / 2]])
    vis = torch.zeros(1, len(LINE_CLASSES), dtype=torch.bool)
    vis[0, :2] = True
    _, res = ClipAugmentation(IDENTITY)(torch.rand(1, 3, H, W), {"lines": lines, "line_visibility": vis})
    assert res["line_visibility"][0, :3].tolist() == [False, True, False]


# ------------------------------------------------------------------------------------------------------ flip
def test_flip_swaps_teams_mirrors_coordinates_and_permutes_channels():
    config = dataclasses.replace(IDENTITY, flip_p=1.0)
    frames = torch.rand(2, 3, H, W, generator=gen(0))
    targets = random_targets(2)
    out_frames, out = ClipAugmentation(config)(frames, targets, gen(0))
    assert out["flipped"] is True
    assert torch.equal(out_frames, frames.flip(-1))
    expected_t = torch.tensor([[-1.0, 0.0, W], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
    assert torch.equal(out["transform"], expected_t)
    for before, after in zip(targets["teams"], out["teams"]):
        assert torch.equal(after, torch.tensor([{0: 1, 1: 0, 2: 2}[int(v)] for v in before]))
    for before, after in zip(targets["boxes"], out["boxes"]):
        torch.testing.assert_close(
            after, torch.stack([W - before[:, 2], before[:, 1], W - before[:, 0], before[:, 3]], 1)
        )
    kp_perm = list(keypoint_flip_permutation())
    mirrored = targets["keypoints"].clone()
    mirrored[..., 0] = W - mirrored[..., 0]
    torch.testing.assert_close(out["keypoints"], mirrored[:, kp_perm])
    assert torch.equal(out["keypoint_visibility"], targets["keypoint_visibility"][:, kp_perm])
    line_perm = list(line_flip_permutation())
    assert torch.equal(out["line_visibility"], targets["line_visibility"][:, line_perm])
    # Flipping twice is the identity (the permutations are involutions).
    twice_frames, twice = ClipAugmentation(config)(out_frames, out, gen(0))
    assert torch.equal(twice_frames, frames)
    torch.testing.assert_close(twice["keypoints"], targets["keypoints"])
    assert torch.equal(twice["keypoint_visibility"], targets["keypoint_visibility"])
    for a, b in zip(twice["teams"], targets["teams"]):
        assert torch.equal(a, b)


def test_teams_given_as_lists_are_swapped():
    config = dataclasses.replace(IDENTITY, flip_p=1.0)
    boxes = [torch.tensor([[1.0, 1.0, 10.0, 10.0], [20.0, 5.0, 30.0, 20.0], [0.0, 0.0, 8.0, 8.0]])]
    _, out = ClipAugmentation(config)(torch.rand(1, 3, H, W), {"boxes": boxes, "teams": [[0, 1, 2]]})
    assert out["teams"] == [[1, 0, 2]]


def test_keypoint_flip_permutation_matches_the_3d_pitch():
    perm = keypoint_flip_permutation()
    assert sorted(perm) == list(range(len(KEYPOINTS)))
    assert all(perm[perm[i]] == i for i in range(len(perm)))
    for i, j in enumerate(perm):
        a, b = KEYPOINTS[i], KEYPOINTS[j]
        assert abs(-a.x - b.x) < 0.2 and abs(a.y - b.y) < 1e-6 and abs(a.z - b.z) < 1e-6, (a, b)
        # Names agree: swapping every left/right word gives the partner's name.
        swapped = a.name.replace("left", "@").replace("right", "left").replace("@", "right")
        assert swapped == b.name, (a.name, b.name)
        if a.x == 0.0:
            assert i == j
    assert sum(i == j for i, j in enumerate(perm)) == sum(k.x == 0.0 for k in KEYPOINTS)


def test_line_flip_permutation_matches_the_3d_pitch():
    perm = line_flip_permutation()
    assert sorted(perm) == list(range(len(LINE_CLASSES)))
    assert all(perm[perm[i]] == i for i in range(len(perm)))
    pitch = PitchModel()
    mirror = np.array([-1.0, 1.0, 1.0])
    for i, j in enumerate(perm):
        a0, a1 = (p * mirror for p in pitch.segment(LINE_CLASSES[i]))
        b0, b1 = pitch.segment(LINE_CLASSES[j])
        same = np.allclose(a0, b0) and np.allclose(a1, b1)
        swapped = np.allclose(a0, b1) and np.allclose(a1, b0)
        assert same or swapped, (LINE_CLASSES[i], LINE_CLASSES[j])
    names = dict(zip(LINE_CLASSES, (LINE_CLASSES[j] for j in perm)))
    assert names["Goal left post left "] == "Goal right post right"
    assert names["Goal left post right"] == "Goal right post left"
    assert names["Middle line"] == "Middle line"
    assert names["Side line top"] == "Side line top"


# -------------------------------------------------------------------------------------------------- boxes
def test_boxes_outside_are_dropped_with_their_fields():
    boxes = torch.tensor(
        [
            [10.0, 10.0, 20.0, 30.0],  # inside: kept
            [W + 5.0, 5.0, W + 15.0, 15.0],  # fully outside: dropped
            [-30.0, 10.0, 2.0, 20.0],  # 2/32 of it inside: dropped (< 25 %)
            [-4.0, 10.0, 12.0, 20.0],  # 12/16 inside: kept, clipped
            [W - 1.0, H - 1.0, W + 3.0, H + 3.0],  # 1 px^2 inside: dropped (< 4 px^2)
        ]
    )
    targets = {
        "boxes": [boxes, torch.zeros(0, 4)],
        "class_labels": [torch.arange(5), torch.zeros(0, dtype=torch.long)],
        "roles": [["a", "b", "c", "d", "e"], []],
        "teams": [torch.tensor([0, 1, 2, 1, 0]), torch.zeros(0, dtype=torch.long)],
        "box_fields": ["class_labels", "roles"],  # teams is filtered even when not listed
    }
    _, out = ClipAugmentation(IDENTITY)(torch.rand(2, 3, H, W), targets, gen(0))
    torch.testing.assert_close(out["boxes"][0], torch.tensor([[10.0, 10.0, 20.0, 30.0], [0.0, 10.0, 12.0, 20.0]]))
    assert out["class_labels"][0].tolist() == [0, 3]
    assert out["roles"][0] == ["a", "d"]
    assert out["teams"][0].tolist() == [0, 1]
    assert out["boxes"][1].shape == (0, 4) and out["roles"][1] == []
    assert out["box_fields"] == ["class_labels", "roles"]


def test_identity_config_returns_input_unchanged():
    frames = torch.rand(3, 3, H, W, generator=gen(4))
    targets = random_targets(3)
    # Keep everything inside the image so that no label changes.
    targets["keypoints"] = targets["keypoints"].clamp(0, min(H, W) - 1)
    targets["lines"] = targets["lines"].clamp(0, min(H, W) - 1)
    out_frames, out = ClipAugmentation(IDENTITY)(frames, targets, gen(4))
    assert torch.equal(out_frames, frames)
    assert torch.equal(out["transform"], torch.eye(3, dtype=torch.float64))
    assert out["flipped"] is False
    expected = dict(targets, transform=out["transform"], flipped=False)
    assert_targets_equal(out, expected)


def test_perspective_and_crop_keep_points_consistent_with_transform():
    targets = random_targets(2)
    config = dataclasses.replace(GEOMETRY_ONLY, perspective_p=1.0, affine_p=1.0, flip_p=0.0)
    _, out = ClipAugmentation(config)(torch.rand(2, 3, H, W), targets, gen(11))
    kp, _ = apply_homography(targets["keypoints"], out["transform"])
    torch.testing.assert_close(out["keypoints"], kp)
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < W) & (kp[..., 1] >= 0) & (kp[..., 1] < H)
    assert torch.equal(out["keypoint_visibility"], targets["keypoint_visibility"] & inside)


# ---------------------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda f, t: (f[:, :2], t), "frames"),
        (lambda f, t: (f[0], t), "frames"),
        (lambda f, t: (f, dict(t, boxes=[torch.zeros(2, 3), torch.zeros(0, 4)])), "boxes"),
        (lambda f, t: (f, dict(t, boxes=[torch.zeros(1, 4)])), "boxes"),
        (lambda f, t: (f, dict(t, boxes=[torch.tensor([[0.0, float("nan"), 1.0, 1.0]]), torch.zeros(0, 4)])), "NaN"),
        (lambda f, t: (f, dict(t, keypoints=torch.zeros(2, 56, 2))), "keypoints"),
        (
            lambda f, t: (f, dict(t, keypoints=torch.zeros(3, 57, 2), keypoint_visibility=torch.ones(3, 57))),
            "keypoints",
        ),
        (lambda f, t: (f, dict(t, keypoint_visibility=torch.ones(2, 5, dtype=torch.bool))), "keypoint_visibility"),
        (lambda f, t: (f, {"keypoints": torch.zeros(2, 57, 2)}), "keypoint_visibility"),
        (lambda f, t: (f, dict(t, lines=torch.zeros(2, 23, 2))), "lines"),
        (lambda f, t: (f, dict(t, roles=[["a", "b"], []])), "roles"),
        (lambda f, t: (f, dict(t, box_fields=["jerseys"])), "jerseys"),
        (lambda f, t: (f, {"teams": [torch.zeros(1), torch.zeros(0)]}), "boxes"),
    ],
)
def test_bad_inputs_raise_clear_errors(make, match):
    frames = torch.rand(2, 3, H, W)
    targets = {
        "boxes": [torch.tensor([[1.0, 1.0, 5.0, 5.0]]), torch.zeros(0, 4)],
        "roles": [["a"], []],
        "box_fields": ["roles"],
        "keypoints": torch.zeros(2, 57, 2),
        "keypoint_visibility": torch.ones(2, 57, dtype=torch.bool),
        "lines": torch.zeros(2, 23, 2, 2),
        "line_visibility": torch.ones(2, 23, dtype=torch.bool),
    }
    ClipAugmentation()(frames, targets, gen(0))  # the unmodified input is valid
    bad_frames, bad_targets = make(frames, targets)
    with pytest.raises(ValueError, match=match):
        ClipAugmentation()(bad_frames, bad_targets, gen(0))


def test_bad_config_raises():
    with pytest.raises(ValueError, match="flip_p"):
        AugmentationConfig(flip_p=1.5)
    with pytest.raises(ValueError, match="crop_scale"):
        AugmentationConfig(crop_scale=(0.5, 1.2))
