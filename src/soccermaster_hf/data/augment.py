"""Clip-level training augmentations of SoccerMaster, applied to frames and labels alike.

The recipe is the authors' (SPEC §2, "Augmentations (train)"; their ``default.yaml`` and ``data/utils.py``):

* ``RandomAffine`` p 0.5 (±10°, translate 0.1, scale 0.9–1.1, shear 5°);
* ``RandomPerspective`` p 0.5 (distortion 0.3);
* ``RandomCrop`` p 1.0 keeping 0.6–1.0 of the side, resized back to the input size (the authors then resize to
  512 × 512; here the output keeps the input size and resizing is left to the image processor);
* ``ColorJitter`` (0.4, 0.4, 0.4, 0.2), the four adjustments in a random order as in torchvision;
* horizontal flip p 0.5 with the left/right label swap of SoccerMaster's ``USE_LR_AMBIGUITY_FIX``;
* Gaussian noise p 0.3 (σ 0.02) and Gaussian blur p 0.2 (kernel 3–7, σ 0.1–2).

As in the authors' code, ONE set of random parameters is drawn per call and shared by every frame of the clip. All
parameters come from the ``generator`` passed to :meth:`ClipAugmentation.__call__`, so a seeded generator reproduces
the output exactly (required for resumable training).

Geometry. The affine, perspective and crop(+resize) steps are composed into a single 3 × 3 homography that maps input
pixels to output pixels; every frame is warped with it once (bilinear, zero padding) and the labels are mapped with the
same matrix. The horizontal flip is applied afterwards (an exact ``torch.flip`` of the frames) and is included in the
returned ``targets["transform"]``.

Pixel convention: coordinates are continuous, ``x`` right and ``y`` down, pixel ``(i, j)`` covering
``[j, j + 1) × [i, i + 1)`` (its centre is at ``(j + 0.5, i + 0.5)``); the image spans ``[0, W] × [0, H]`` and the
horizontal flip is ``x -> W - x``. Boxes ``x0, y0, x1, y1`` use the same convention.

Flip and pitch labels. Under a horizontal image flip the pitch seen by the (main) camera is mirrored ``x -> -x`` in the
SoccerNet pitch frame (left goal <-> right goal, the far "top" touch line stays on top). Keypoint and line channels are
therefore permuted with that mirror (:func:`keypoint_flip_permutation`, :func:`line_flip_permutation`) so that
channel ``k`` still means element ``k``, and team labels 0 = left / 1 = right are swapped.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from soccermaster_hf.modeling.pitch_definitions import KEYPOINTS, LINE_CLASSES, LINE_INDEX, normalize_class_name

__all__ = [
    "AugmentationConfig",
    "ClipAugmentation",
    "apply_homography",
    "keypoint_flip_permutation",
    "line_flip_permutation",
]

#: Team label values (SoccerMaster): 0 = left, 1 = right, 2 = none.
TEAM_LEFT, TEAM_RIGHT = 0, 1

#: Tolerance (metres) when matching mirrored keypoints: the published NBJW keypoint table is not exactly symmetric
#: (e.g. the centre-circle "left point" is at x = -9.15 but the "right point" at x = +9.0, and several tangent points
#: differ by 0.01 m), so an exact 1e-6 match is impossible; 0.25 m is far below the smallest distance between two
#: distinct keypoints (about 1.6 m), so the nearest mirrored keypoint is unambiguous.
KEYPOINT_MIRROR_TOLERANCE_M: float = 0.25

#: A box is dropped when less than this fraction of its transformed area remains inside the image ...
MIN_BOX_AREA_FRACTION: float = 0.25
#: ... or when its clipped area is below this many square pixels.
MIN_BOX_AREA_PX2: float = 4.0


# ----------------------------------------------------------------------------------------------------------- config
@dataclass
class AugmentationConfig:
    """Parameters of :class:`ClipAugmentation`; the defaults are the authors' values (SPEC §2, ``data/utils.py``).

    Probabilities are per clip. ``degrees``, ``shear`` are in degrees; ``translate`` is a fraction of the image side;
    ``scale`` the range of the isotropic affine scale; ``perspective_distortion`` torchvision's ``distortion_scale``
    (each corner moves inward by up to this fraction of half the side); ``crop_scale`` the range of the kept side
    fraction (the same fraction for width and height, so the crop keeps the aspect ratio); ``color_jitter`` the
    torchvision ``ColorJitter`` ``(brightness, contrast, saturation, hue)``; ``noise_sigma`` the standard deviation of
    additive Gaussian noise on [0, 1] images; ``blur_kernel`` the range of odd kernel sizes and ``blur_sigma`` the
    range of the Gaussian blur's sigma.
    """

    affine_p: float = 0.5
    degrees: float = 10.0
    translate: float = 0.1
    scale: tuple[float, float] = (0.9, 1.1)
    shear: float = 5.0
    perspective_p: float = 0.5
    perspective_distortion: float = 0.3
    crop_p: float = 1.0
    crop_scale: tuple[float, float] = (0.6, 1.0)
    color_jitter: tuple[float, float, float, float] = (0.4, 0.4, 0.4, 0.2)
    flip_p: float = 0.5
    noise_p: float = 0.3
    noise_sigma: float = 0.02
    blur_p: float = 0.2
    blur_kernel: tuple[int, int] = (3, 7)
    blur_sigma: tuple[float, float] = (0.1, 2.0)

    def __post_init__(self) -> None:
        for name in ("affine_p", "perspective_p", "crop_p", "flip_p", "noise_p", "blur_p"):
            p = getattr(self, name)
            if not (0.0 <= p <= 1.0):
                raise ValueError(f"AugmentationConfig.{name} must be a probability in [0, 1], got {p}")
        for name in ("degrees", "translate", "shear", "perspective_distortion", "noise_sigma"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"AugmentationConfig.{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.perspective_distortion <= 1.0:
            raise ValueError(
                f"AugmentationConfig.perspective_distortion must be in [0, 1], got {self.perspective_distortion}"
            )
        for name in ("scale", "crop_scale", "blur_kernel", "blur_sigma"):
            lo, hi = getattr(self, name)
            if not (0 < lo <= hi):
                raise ValueError(f"AugmentationConfig.{name} must be a range 0 < lo <= hi, got {(lo, hi)}")
        if self.crop_scale[1] > 1.0:
            raise ValueError(f"AugmentationConfig.crop_scale must lie in (0, 1], got {self.crop_scale}")
        if len(self.color_jitter) != 4 or any(not v >= 0 for v in self.color_jitter):
            raise ValueError(f"AugmentationConfig.color_jitter must be 4 values >= 0, got {self.color_jitter}")
        if self.color_jitter[3] > 0.5:
            raise ValueError(f"AugmentationConfig.color_jitter hue must be <= 0.5, got {self.color_jitter[3]}")
        if not any(k % 2 == 1 for k in range(int(self.blur_kernel[0]), int(self.blur_kernel[1]) + 1)):
            raise ValueError(f"AugmentationConfig.blur_kernel {self.blur_kernel} contains no odd kernel size")


# ------------------------------------------------------------------------------------------------- flip permutations
@functools.lru_cache(maxsize=1)
def keypoint_flip_permutation() -> tuple[int, ...]:
    """Permutation ``perm`` of the 57 keypoint channels under the pitch mirror ``x -> -x`` (horizontal image flip).

    ``perm[i]`` is the keypoint ``j`` whose 3-D position is the mirror ``(-x_i, y_i, z_i)`` of keypoint ``i``
    (nearest match within :data:`KEYPOINT_MIRROR_TOLERANCE_M`; keypoints on the halfway line map to themselves). It is
    an involution. After a flip, the new channel ``k`` holds the old channel ``perm[k]``.
    """
    xyz = np.array([[k.x, k.y, k.z] for k in KEYPOINTS], dtype=float)
    mirrored = xyz * np.array([-1.0, 1.0, 1.0])
    dist = np.linalg.norm(mirrored[:, None, :] - xyz[None, :, :], axis=-1)
    perm = dist.argmin(axis=1)
    worst = dist[np.arange(len(xyz)), perm].max()
    if worst > KEYPOINT_MIRROR_TOLERANCE_M:
        raise AssertionError(f"keypoint mirror match off by {worst:.3f} m (> {KEYPOINT_MIRROR_TOLERANCE_M} m)")
    if sorted(perm.tolist()) != list(range(len(xyz))):
        raise AssertionError("the keypoint mirror x -> -x is not a permutation of the keypoints")
    return tuple(int(j) for j in perm)


_LEFT_RIGHT = re.compile(r"\b(left|right)\b")


def _mirror_line_name(name: str) -> str:
    """Name of the line that ``name`` becomes under ``x -> -x``: every "left" <-> "right" (posts included)."""
    swapped = _LEFT_RIGHT.sub(lambda m: "right" if m.group(1) == "left" else "left", name)
    canonical = normalize_class_name(swapped)
    if canonical is None or canonical not in LINE_INDEX:
        raise AssertionError(f"mirrored line name {swapped!r} (of {name!r}) is not a line class")
    return canonical


@functools.lru_cache(maxsize=1)
def line_flip_permutation() -> tuple[int, ...]:
    """Permutation of the 23 line channels (``LINE_CLASSES`` order) under the pitch mirror ``x -> -x``.

    "left" <-> "right" in every name; for goal posts this gives "Goal left post left " <-> "Goal right post right" and
    "Goal left post right" <-> "Goal right post left" (the image-left post of one goal becomes the image-right post of
    the other). It is an involution. After a flip, the new channel ``k`` holds the old channel ``perm[k]``.
    """
    perm = tuple(LINE_INDEX[_mirror_line_name(name)] for name in LINE_CLASSES)
    if sorted(perm) != list(range(len(LINE_CLASSES))):
        raise AssertionError("the line mirror x -> -x is not a permutation of the line classes")
    return perm


# ---------------------------------------------------------------------------------------------------- homographies
def apply_homography(points: torch.Tensor, homography: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Map ``points`` ``(..., 2)`` with a 3 × 3 ``homography``; return ``(mapped (..., 2), w (...))``.

    Computed in float64; the mapped points are cast back to ``points.dtype`` (float32 when ``points`` is not floating).
    ``w`` is the homogeneous scale: points with ``w <= 0`` crossed the homography's line at infinity and have no
    meaningful image.
    """
    h = torch.as_tensor(np.asarray(homography, dtype=np.float64), device=points.device)
    p = points.to(torch.float64)
    x, y = p[..., 0], p[..., 1]
    u = h[0, 0] * x + h[0, 1] * y + h[0, 2]
    v = h[1, 0] * x + h[1, 1] * y + h[1, 2]
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    safe_w = torch.where(w.abs() < 1e-12, torch.full_like(w, 1e-12), w)
    out = torch.stack([u / safe_w, v / safe_w], dim=-1)
    dtype = points.dtype if points.is_floating_point() else torch.float32
    return out.to(dtype), w


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def _homography_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3 × 3 homography mapping the 4 ``src`` points onto the 4 ``dst`` points (DLT with ``h33 = 1``)."""
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i, ((x, y), (u, v)) in enumerate(zip(src, dst)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y]
        b[2 * i], b[2 * i + 1] = u, v
    return np.append(np.linalg.solve(a, b), 1.0).reshape(3, 3)


def _warp_frames(frames: torch.Tensor, homography: np.ndarray) -> torch.Tensor:
    """Warp ``frames`` (T, C, H, W) so that input pixel ``p`` lands at ``homography @ p`` (bilinear, zero padding)."""
    _, _, height, width = frames.shape
    inv = torch.as_tensor(np.linalg.inv(homography), dtype=torch.float64)
    ys = torch.arange(height, dtype=torch.float64) + 0.5
    xs = torch.arange(width, dtype=torch.float64) + 0.5
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    src, w = apply_homography(torch.stack([gx, gy], dim=-1), inv)
    src = src.to(torch.float64)
    # Normalised grid of grid_sample(align_corners=False): -1 / +1 are the outer edges of the border pixels.
    grid = torch.stack([2.0 * src[..., 0] / width - 1.0, 2.0 * src[..., 1] / height - 1.0], dim=-1)
    grid = torch.where((w > 1e-12)[..., None], grid, torch.full_like(grid, -4.0))  # behind the horizon: padding
    grid = grid.to(device=frames.device, dtype=frames.dtype).unsqueeze(0).expand(frames.shape[0], -1, -1, -1)
    return F.grid_sample(frames, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


# ------------------------------------------------------------------------------------------------------ validation
def _check_per_frame_list(targets: dict, key: str, num_frames: int) -> Sequence[Any]:
    value = targets[key]
    if isinstance(value, torch.Tensor) or not isinstance(value, (list, tuple)):
        raise ValueError(
            f"targets[{key!r}] must be a list of {num_frames} per-frame entries, got {type(value).__name__}"
        )
    if len(value) != num_frames:
        raise ValueError(f"targets[{key!r}] has {len(value)} entries but the clip has T = {num_frames} frames")
    return value


def _check_boxes(targets: dict, num_frames: int) -> list[torch.Tensor]:
    boxes = _check_per_frame_list(targets, "boxes", num_frames)
    out = []
    for t, b in enumerate(boxes):
        if not isinstance(b, torch.Tensor):
            raise ValueError(f"targets['boxes'][{t}] must be a tensor (N, 4), got {type(b).__name__}")
        if b.ndim != 2 or b.shape[1] != 4:
            raise ValueError(f"targets['boxes'][{t}] must have shape (N, 4) (x0, y0, x1, y1), got {tuple(b.shape)}")
        if not b.is_floating_point():
            b = b.to(torch.float32)
        if not torch.isfinite(b).all():
            raise ValueError(f"targets['boxes'][{t}] contains NaN or infinite coordinates")
        out.append(b)
    return out


def _check_points(targets: dict, key: str, vis_key: str, tail: tuple[int, ...], num_frames: int) -> None:
    if (key in targets) != (vis_key in targets):
        present, missing = (key, vis_key) if key in targets else (vis_key, key)
        raise ValueError(f"targets[{present!r}] is given without targets[{missing!r}]; pass both or neither")
    if key not in targets:
        return
    pts, vis = targets[key], targets[vis_key]
    if not isinstance(pts, torch.Tensor) or tuple(pts.shape) != (num_frames, *tail):
        shape = tuple(pts.shape) if isinstance(pts, torch.Tensor) else type(pts).__name__
        raise ValueError(
            f"targets[{key!r}] must be a tensor of shape {(num_frames, *tail)} (T = {num_frames}), got {shape}"
        )
    vis_tail = tail[:1]
    if not isinstance(vis, torch.Tensor) or tuple(vis.shape) != (num_frames, *vis_tail):
        shape = tuple(vis.shape) if isinstance(vis, torch.Tensor) else type(vis).__name__
        raise ValueError(
            f"targets[{vis_key!r}] must be a bool tensor of shape {(num_frames, *vis_tail)} (T = {num_frames}), got {shape}"
        )


def _swap_teams(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        out = value.clone()
        out[value == TEAM_LEFT] = TEAM_RIGHT
        out[value == TEAM_RIGHT] = TEAM_LEFT
        return out
    return [TEAM_RIGHT if v == TEAM_LEFT else TEAM_LEFT if v == TEAM_RIGHT else v for v in value]


def _select(value: Any, keep: torch.Tensor) -> Any:
    if isinstance(value, torch.Tensor):
        return value[keep.to(value.device)]
    return [v for v, k in zip(value, keep.tolist()) if k]


def _segments_intersect_rect(a: torch.Tensor, b: torch.Tensor, width: float, height: float) -> torch.Tensor:
    """Whether segments ``a -> b`` (..., 2) intersect the rectangle ``[0, W] × [0, H]`` (Liang–Barsky)."""
    a, b = a.to(torch.float64), b.to(torch.float64)
    d = b - a
    p = torch.stack([-d[..., 0], d[..., 0], -d[..., 1], d[..., 1]], dim=-1)
    q = torch.stack([a[..., 0], width - a[..., 0], a[..., 1], height - a[..., 1]], dim=-1)
    inf = torch.full_like(p, math.inf)
    ratio = q / torch.where(p == 0, torch.ones_like(p), p)
    t0 = torch.where(p < 0, ratio, -inf).amax(dim=-1).clamp(min=0.0)
    t1 = torch.where(p > 0, ratio, inf).amin(dim=-1).clamp(max=1.0)
    parallel_outside = ((p == 0) & (q < 0)).any(dim=-1)
    return (t0 <= t1) & ~parallel_outside


# ---------------------------------------------------------------------------------------------------- augmentation
@dataclass
class _Params:
    homography: np.ndarray  # geometric part without the flip
    flip: bool
    jitter_order: list[int]
    jitter_factors: tuple[float, float, float, float]
    noise: bool
    blur: bool
    blur_kernel: int
    blur_sigma: float


class ClipAugmentation:
    """The authors' training augmentation of one clip (SPEC §2; their ``data/utils.py``), labels included.

    One random draw per call is shared by all ``T`` frames. Call with ``frames`` (T, 3, H, W) float in [0, 1] and a
    ``targets`` dict whose keys are all optional:

    * ``"boxes"``: list of T float tensors (N_t, 4) ``x0, y0, x1, y1`` in pixels. Each box's 4 corners are mapped, the
      enclosing axis-aligned box is clipped to the image, and boxes keeping < 25 % of their mapped area or < 4 px²
      are dropped, with the same rows of every per-box field named in ``"box_fields"`` (a list of keys of
      ``targets`` holding lists of T per-box tensors or lists; ``"teams"`` is always treated as a per-box field).
    * ``"teams"``: per-box team labels (0 = left, 1 = right, 2 = none), swapped 0 <-> 1 on a horizontal flip.
    * ``"keypoints"`` (T, 57, 2) with ``"keypoint_visibility"`` (T, 57) bool: mapped; points leaving the image (or
      NaN) become not visible (coordinates kept). On a flip the channels are permuted
      (:func:`keypoint_flip_permutation`).
    * ``"lines"`` (T, 23, 2, 2) endpoints with ``"line_visibility"`` (T, 23) bool: endpoints mapped (kept even when
      outside the image); a line whose mapped segment no longer meets the image becomes not visible. On a flip the
      channels are permuted (:func:`line_flip_permutation`).

    Returns ``(frames, targets)``: new frames (T, 3, H, W) clamped to [0, 1] and a new dict with the same keys plus
    ``"transform"`` (float64 (3, 3) homography, input pixels -> output pixels, flip included) and ``"flipped"``.
    The inputs are not modified.
    """

    def __init__(self, config: AugmentationConfig | None = None) -> None:
        self.config = config if config is not None else AugmentationConfig()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    # ---------------------------------------------------------------------------------------------- parameters
    def _sample(self, height: int, width: int, generator: torch.Generator | None) -> _Params:
        """Draw all parameters. The number of draws is fixed (every draw is made even when its op is skipped), so the
        generator's state after a call does not depend on which ops fired."""
        c = self.config

        def uniform(lo: float, hi: float, n: int = 1) -> list[float]:
            u = torch.rand(n, generator=generator, dtype=torch.float64).tolist()
            return [lo + (hi - lo) * v for v in u]

        homography = np.eye(3)
        centre = _translation(width / 2.0, height / 2.0)
        uncentre = _translation(-width / 2.0, -height / 2.0)

        # RandomAffine (torchvision convention: rotation, isotropic scale and x-shear about the centre, then shift).
        (u_affine,) = uniform(0.0, 1.0)
        angle, tx, ty, scale, shear = (
            *uniform(-c.degrees, c.degrees),
            *uniform(-c.translate * width, c.translate * width),
            *uniform(-c.translate * height, c.translate * height),
            *uniform(c.scale[0], c.scale[1]),
            *uniform(-c.shear, c.shear),
        )
        if u_affine < c.affine_p:
            a, s = math.radians(angle), math.radians(shear)
            rotation = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
            shear_m = np.array([[1.0, math.tan(s), 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
            affine = _translation(tx, ty) @ centre @ rotation @ shear_m @ np.diag([scale, scale, 1.0]) @ uncentre
            homography = affine @ homography

        # RandomPerspective: each image corner moves inward by up to distortion * half the side.
        (u_persp,) = uniform(0.0, 1.0)
        offsets = uniform(0.0, 1.0, 8)
        if u_persp < c.perspective_p and c.perspective_distortion > 0:
            dx, dy = c.perspective_distortion * width / 2.0, c.perspective_distortion * height / 2.0
            src = np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])
            sign = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
            dst = src + sign * np.array(offsets).reshape(4, 2) * np.array([dx, dy])
            homography = _homography_from_points(src, dst) @ homography

        # RandomCrop of side fraction s (both sides) at a random position, resized back to H x W.
        (u_crop,) = uniform(0.0, 1.0)
        frac, px, py = (*uniform(c.crop_scale[0], c.crop_scale[1]), *uniform(0.0, 1.0, 2))
        if u_crop < c.crop_p and frac < 1.0:
            cw, ch = frac * width, frac * height
            x0, y0 = px * (width - cw), py * (height - ch)
            crop = np.diag([width / cw, height / ch, 1.0]) @ _translation(-x0, -y0)
            homography = crop @ homography

        # ColorJitter: factors and a random order of the four adjustments (torchvision).
        order = torch.randperm(4, generator=generator).tolist()
        b, co, sa, hu = c.color_jitter
        (f_b,), (f_c,), (f_s,), (f_h,) = (
            uniform(max(0.0, 1.0 - b), 1.0 + b),
            uniform(max(0.0, 1.0 - co), 1.0 + co),
            uniform(max(0.0, 1.0 - sa), 1.0 + sa),
            uniform(-hu, hu),
        )

        (u_flip,) = uniform(0.0, 1.0)
        (u_noise,) = uniform(0.0, 1.0)
        (u_blur,) = uniform(0.0, 1.0)
        kernels = [k for k in range(int(c.blur_kernel[0]), int(c.blur_kernel[1]) + 1) if k % 2 == 1]
        kernel = kernels[int(torch.randint(len(kernels), (1,), generator=generator))]
        (sigma,) = uniform(c.blur_sigma[0], c.blur_sigma[1])

        return _Params(
            homography=homography,
            flip=u_flip < c.flip_p,
            jitter_order=order,
            jitter_factors=(f_b, f_c, f_s, f_h),
            noise=u_noise < c.noise_p and c.noise_sigma > 0,
            blur=u_blur < c.blur_p,
            blur_kernel=kernel,
            blur_sigma=sigma,
        )

    # ----------------------------------------------------------------------------------------------------- call
    def __call__(
        self, frames: torch.Tensor, targets: dict, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, dict]:
        """Augment one clip; see the class docstring. Raises ``ValueError`` (naming the key) on malformed input."""
        if not isinstance(frames, torch.Tensor) or frames.ndim != 4 or frames.shape[1] != 3:
            shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
            raise ValueError(f"frames must be a tensor of shape (T, 3, H, W), got {shape}")
        if not frames.is_floating_point():
            raise ValueError(f"frames must be a float tensor in [0, 1], got dtype {frames.dtype}")
        num_frames, _, height, width = frames.shape
        if num_frames < 1 or height < 1 or width < 1:
            raise ValueError(f"frames must be a non-empty clip (T, 3, H, W), got {tuple(frames.shape)}")
        if not isinstance(targets, dict):
            raise ValueError(f"targets must be a dict, got {type(targets).__name__}")

        # ---------------------------------------------------------------- validate targets before drawing anything
        boxes = _check_boxes(targets, num_frames) if "boxes" in targets else None
        box_fields = list(targets.get("box_fields", []))
        if "teams" in targets and "teams" not in box_fields:
            box_fields.append("teams")
        if box_fields and boxes is None:
            raise ValueError(f"targets has per-box fields {box_fields} but no targets['boxes']")
        for key in box_fields:
            if key == "boxes" or key not in targets:
                raise ValueError(f"targets['box_fields'] names {key!r}, which is not another key of targets")
            per_frame = _check_per_frame_list(targets, key, num_frames)
            for t, (v, b) in enumerate(zip(per_frame, boxes)):  # type: ignore[arg-type]
                if len(v) != b.shape[0]:
                    raise ValueError(
                        f"targets[{key!r}][{t}] has {len(v)} entries but targets['boxes'][{t}] has {b.shape[0]} boxes"
                    )
        _check_points(targets, "keypoints", "keypoint_visibility", (len(KEYPOINTS), 2), num_frames)
        _check_points(targets, "lines", "line_visibility", (len(LINE_CLASSES), 2, 2), num_frames)

        params = self._sample(height, width, generator)
        flip = np.array([[-1.0, 0.0, float(width)], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) if params.flip else np.eye(3)
        total = flip @ params.homography

        # -------------------------------------------------------------------------------------------- frames
        out = frames.float() if frames.dtype in (torch.float16, torch.bfloat16) else frames.clone()
        if not np.array_equal(params.homography, np.eye(3)):
            out = _warp_frames(out, params.homography)
        if params.flip:
            out = out.flip(-1)
        out = self._photometric(out, params, generator)
        out = out.clamp(0.0, 1.0).to(frames.dtype)

        # ------------------------------------------------------------------------------------------- targets
        result = dict(targets)
        if boxes is not None:
            keeps = []
            new_boxes = []
            for b in boxes:
                kept_box, keep = self._map_boxes(b, total, width, height)
                new_boxes.append(kept_box)
                keeps.append(keep)
            result["boxes"] = new_boxes
            for key in box_fields:
                result[key] = [_select(v, k) for v, k in zip(targets[key], keeps)]
            if params.flip and "teams" in targets:
                result["teams"] = [_swap_teams(v) for v in result["teams"]]
            if "box_fields" in targets:
                result["box_fields"] = list(targets["box_fields"])

        if "keypoints" in targets:
            kp, w = apply_homography(targets["keypoints"], total)
            vis = targets["keypoint_visibility"].to(torch.bool).to(kp.device)
            inside = (w > 0) & (kp[..., 0] >= 0) & (kp[..., 0] < width) & (kp[..., 1] >= 0) & (kp[..., 1] < height)
            vis = vis & inside  # NaN coordinates compare False, so they become not visible too
            if params.flip:
                perm = torch.tensor(keypoint_flip_permutation(), device=kp.device)
                kp, vis = kp[:, perm], vis[:, perm]
            result["keypoints"] = kp
            result["keypoint_visibility"] = vis

        if "lines" in targets:
            ends, w = apply_homography(targets["lines"], total)
            vis = targets["line_visibility"].to(torch.bool).to(ends.device)
            meets = _segments_intersect_rect(ends[..., 0, :], ends[..., 1, :], width, height)
            vis = vis & meets & (w > 0).all(dim=-1)
            if params.flip:
                perm = torch.tensor(line_flip_permutation(), device=ends.device)
                ends, vis = ends[:, perm], vis[:, perm]
            result["lines"] = ends
            result["line_visibility"] = vis

        result["transform"] = torch.as_tensor(total, dtype=torch.float64)
        result["flipped"] = bool(params.flip)
        return out, result

    # ------------------------------------------------------------------------------------------------- helpers
    def _photometric(self, frames: torch.Tensor, params: _Params, generator: torch.Generator | None) -> torch.Tensor:
        brightness, contrast, saturation, hue = params.jitter_factors
        for op in params.jitter_order:
            if op == 0 and brightness != 1.0:
                frames = TF.adjust_brightness(frames, brightness)
            elif op == 1 and contrast != 1.0:
                frames = TF.adjust_contrast(frames, contrast)
            elif op == 2 and saturation != 1.0:
                frames = TF.adjust_saturation(frames, saturation)
            elif op == 3 and hue != 0.0:
                frames = TF.adjust_hue(frames, hue)
        if params.noise:
            # Independent noise per pixel and frame (sensor noise); sigma shared by the clip.
            gen_device = generator.device if generator is not None else torch.device("cpu")
            noise = torch.randn(frames.shape, generator=generator, dtype=frames.dtype, device=gen_device)
            frames = frames + self.config.noise_sigma * noise.to(frames.device)
        if params.blur:
            k, s = params.blur_kernel, params.blur_sigma
            frames = TF.gaussian_blur(frames, kernel_size=[k, k], sigma=[s, s])
        return frames

    @staticmethod
    def _map_boxes(
        boxes: torch.Tensor, homography: np.ndarray, width: int, height: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Map boxes (N, 4) through ``homography``; return the kept clipped boxes and the keep mask (N,)."""
        x0, y0, x1, y1 = boxes.unbind(-1)
        corners = torch.stack(
            [
                torch.stack([x0, y0], -1),
                torch.stack([x1, y0], -1),
                torch.stack([x1, y1], -1),
                torch.stack([x0, y1], -1),
            ],
            dim=1,
        )  # (N, 4, 2)
        mapped, w = apply_homography(corners, homography)
        mapped = mapped.to(torch.float64)
        lo, hi = mapped.amin(dim=1), mapped.amax(dim=1)  # (N, 2)
        area = (hi - lo).prod(dim=-1)
        lo_c = torch.stack([lo[:, 0].clamp(0, width), lo[:, 1].clamp(0, height)], -1)
        hi_c = torch.stack([hi[:, 0].clamp(0, width), hi[:, 1].clamp(0, height)], -1)
        clipped_area = (hi_c - lo_c).clamp(min=0).prod(dim=-1)
        keep = (w > 0).all(dim=1) & (clipped_area >= MIN_BOX_AREA_FRACTION * area) & (clipped_area >= MIN_BOX_AREA_PX2)
        new = torch.cat([lo_c, hi_c], dim=-1).to(boxes.dtype)
        return new[keep], keep
