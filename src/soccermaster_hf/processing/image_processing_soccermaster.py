# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Image processor for SoccerMaster.

Reproduces the authors' evaluation transform (``build_transforms(split="test")``): uint8 -> float / 255 -> bicubic
resize with antialiasing to 512 x 512 (aspect ratio *not* kept: 16:9 broadcast frames are squashed) -> clamp to
[0, 1] -> normalise with mean = std = 0.5. Letterboxing (keep aspect, pad) is offered as an option; either way the
per-image resize transform is available so that boxes and keypoints predicted on the processed image map back to
original pixels.

This file ships as Hub remote code: only torch / numpy / transformers imports and siblings of this folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F
from transformers.image_processing_backends import TorchvisionBackend
from transformers.image_processing_utils import BatchFeature
from transformers.image_utils import ImageInput, PILImageResampling
from transformers.processing_utils import ImagesKwargs

SOCCERMASTER_MEAN = (0.5, 0.5, 0.5)
SOCCERMASTER_STD = (0.5, 0.5, 0.5)
RESIZE_MODES = ("warp", "letterbox")


def _refine_peaks(maps: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, subpixel: bool = True
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sub-pixel `(y, x)` of the peaks `(ys[c], xs[c])` of channels `maps[c]`: a parabola through the logarithms of the
    peak and its two neighbours along each axis (exact for a Gaussian), offset clamped to half a pixel; integer
    positions when `subpixel` is off or a neighbour is missing (border) or the peak is not a strict maximum."""
    ys_f, xs_f = ys.float(), xs.float()
    if not subpixel:
        return ys_f, xs_f
    channels = torch.arange(maps.shape[0], device=maps.device)
    height, width = maps.shape[-2:]

    def logs(ys_: torch.Tensor, xs_: torch.Tensor) -> torch.Tensor:  # the log of the 5 values used, not of the maps
        return torch.log(maps[channels, ys_, xs_].float().clamp_min(1e-12))

    def offset(before: torch.Tensor, centre: torch.Tensor, after: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        curvature = before - 2 * centre + after
        delta = 0.5 * (before - after) / curvature.where(curvature < 0, torch.ones_like(curvature))
        return torch.where(inside & (curvature < 0), delta.clamp(-0.5, 0.5), torch.zeros_like(delta))

    centre = logs(ys, xs)
    inside_x = (xs > 0) & (xs < width - 1)
    inside_y = (ys > 0) & (ys < height - 1)
    left = logs(ys, (xs - 1).clamp(min=0))
    right = logs(ys, (xs + 1).clamp(max=width - 1))
    up = logs((ys - 1).clamp(min=0), xs)
    down = logs((ys + 1).clamp(max=height - 1), xs)
    return ys_f + offset(up, centre, down, inside_y), xs_f + offset(left, centre, right, inside_x)


class SoccerMasterImageProcessorKwargs(ImagesKwargs, total=False):
    """Extra keyword arguments of [`SoccerMasterImageProcessor`].

    resize_mode (`str`): `"warp"` (the authors': stretch to `size`) or `"letterbox"` (keep aspect ratio, pad).
    channel_order (`str`): `"rgb"` (default) or `"bgr"` for arrays read with OpenCV.
    return_transforms (`bool`): also return `resize_transforms` (`(batch, 4)`: scale_x, scale_y, offset_x, offset_y)
        and `original_sizes` (`(batch, 2)`: height, width). Off by default so the output feeds `model(**inputs)`.
    role_names, team_names, keypoint_names, line_names (`list[str]`): the model's vocabularies for post-processing
        (saved with the processor; `SoccerMasterImageProcessor.from_model_config` copies them from the model config).
    """

    resize_mode: str
    channel_order: str
    return_transforms: bool
    role_names: list[str]
    team_names: list[str]
    keypoint_names: list[str] | None
    line_names: list[str] | None


def compute_resize_transform(
    original_size: tuple[int, int], target_size: tuple[int, int], resize_mode: str = "warp"
) -> tuple[float, float, float, float, int, int]:
    """Affine map from original to processed pixel coordinates: `x' = x * scale_x + offset_x` (same for y).

    Coordinates are continuous pixel coordinates (the top-left corner of the image is (0, 0), the bottom-right corner
    is (width, height)). Returns `(scale_x, scale_y, offset_x, offset_y, resized_height, resized_width)`.
    """
    height, width = int(original_size[0]), int(original_size[1])
    target_height, target_width = int(target_size[0]), int(target_size[1])
    if height <= 0 or width <= 0:
        raise ValueError(f"Image size must be positive, got height={height}, width={width}.")
    if resize_mode == "warp":
        return target_width / width, target_height / height, 0.0, 0.0, target_height, target_width
    if resize_mode == "letterbox":
        scale = min(target_height / height, target_width / width)
        resized_height = max(1, min(target_height, round(height * scale)))
        resized_width = max(1, min(target_width, round(width * scale)))
        offset_y = (target_height - resized_height) // 2
        offset_x = (target_width - resized_width) // 2
        return (resized_width / width, resized_height / height, float(offset_x), float(offset_y), resized_height,
                resized_width)
    raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {resize_mode!r}.")


def _expand_gray(images):
    """Turn gray `(H, W)` / `(H, W, 1)` arrays and tensors (possibly nested in lists) into 3-channel ones."""
    if isinstance(images, (list, tuple)):
        return type(images)(_expand_gray(image) for image in images)
    if isinstance(images, np.ndarray):
        if images.ndim == 3 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim == 2:
            return np.repeat(images[..., None], 3, axis=-1)
    if isinstance(images, torch.Tensor):
        if images.ndim == 3 and images.shape[0] == 1:
            images = images[0]
        if images.ndim == 2:
            return images.unsqueeze(0).expand(3, -1, -1).contiguous()
    return images


@dataclass
class GameStateFrame:
    """Post-processed results of one frame (see `SoccerMasterImageProcessor.post_process_game_state`).

    detections (`dict`): `scores`, `labels`, `boxes` `(num_detections, 4)` xyxy pixels, `roles`, `role_scores`,
        `jerseys`, `jersey_scores`, `teams`, `team_scores`, `query_indices`.
    embeddings (`torch.FloatTensor` of shape `(num_detections, detection_hidden_size)`): each detection's decoder
        state (for association / tracking).
    keypoints (`dict[str, tuple[float, float, float]]`): pitch keypoint name -> `(x, y, score)` in pixels.
    lines (`dict[str, list[tuple[float, float, float]]]`): pitch line name -> its two endpoints `(x, y, score)`.
    """

    detections: dict
    embeddings: torch.Tensor
    keypoints: dict
    lines: dict


class SoccerMasterImageProcessor(TorchvisionBackend):
    r"""
    Constructs a SoccerMaster image processor.

    Args:
        size (`dict[str, int]`, *optional*, defaults to `{"height": 512, "width": 512}`):
            Output size.
        resize_mode (`str`, *optional*, defaults to `"warp"`):
            `"warp"` stretches every frame to `size` as the authors did (the pretrained model expects it);
            `"letterbox"` keeps the aspect ratio and pads with the mean colour (zeros after normalisation).
        channel_order (`str`, *optional*, defaults to `"rgb"`):
            Channel order of array inputs: use `"bgr"` for frames read with OpenCV. PIL images are always converted
            to RGB (RGBA, grayscale and palette images included).
        do_rescale, rescale_factor, do_normalize, image_mean, image_std:
            As in transformers; defaults: rescale by 1/255, normalise with mean = std = 0.5.

    Returns a [`BatchFeature`] with `pixel_values` of shape `(batch_size, 3, height, width)`; with
    `return_transforms=True` also `resize_transforms` and `original_sizes` (see [`compute_resize_transform`]).

    Example:

    ```python
    >>> import numpy as np
    >>> from soccermaster_hf import SoccerMasterImageProcessor
    >>> processor = SoccerMasterImageProcessor(size={"height": 64, "width": 64})
    >>> frame = np.zeros((540, 960, 3), dtype=np.uint8)
    >>> processor(frame, return_tensors="pt")["pixel_values"].shape
    torch.Size([1, 3, 64, 64])
    ```
    """

    valid_kwargs = SoccerMasterImageProcessorKwargs
    model_input_names = ["pixel_values"]
    resample = PILImageResampling.BICUBIC
    image_mean = SOCCERMASTER_MEAN
    image_std = SOCCERMASTER_STD
    size = {"height": 512, "width": 512}
    default_to_square = True
    do_resize = True
    do_rescale = True
    do_normalize = True
    do_convert_rgb = True
    resize_mode = "warp"
    channel_order = "rgb"
    return_transforms = False

    def _prepare_images_structure(self, images: ImageInput, expected_ndims: int = 3) -> ImageInput:
        """Expand single-channel arrays ((H, W) or (H, W, 1)) to 3 channels before transformers flattens the batch."""
        return super()._prepare_images_structure(_expand_gray(images), expected_ndims=expected_ndims)

    def process_image(self, image: ImageInput, channel_order: str | None = None, **kwargs) -> torch.Tensor:
        """Convert one PIL image / array / tensor to a `(3, height, width)` tensor in RGB order."""
        if isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if isinstance(image, np.ndarray) and image.dtype == np.bool_:
            image = image.astype(np.uint8) * 255
        if isinstance(image, np.ndarray) and any(stride < 0 for stride in image.strides):
            image = np.ascontiguousarray(image)  # e.g. `frame[..., ::-1]` (BGR -> RGB): torch refuses negative strides
        if isinstance(image, (np.ndarray, torch.Tensor)) and image.ndim not in (2, 3):
            raise ValueError(
                f"Expected an image of shape (height, width), (height, width, channels) or (channels, height, width); "
                f"got shape {tuple(image.shape)}. For videos use SoccerMasterVideoProcessor."
            )
        is_array = isinstance(image, (np.ndarray, torch.Tensor))
        if is_array and (image.dtype.is_floating_point if isinstance(image, torch.Tensor)
                         else np.issubdtype(image.dtype, np.floating)):
            finite = torch.isfinite(image).all() if isinstance(image, torch.Tensor) else np.isfinite(image).all()
            if not finite:
                raise ValueError("The image holds non-finite values (NaN or inf); the processor refuses it.")
        tensor = super().process_image(image, **kwargs)
        if tensor.ndim != 3 or tensor.shape[0] != 3:
            raise ValueError(f"Could not convert the image to 3 RGB channels (got shape {tuple(tensor.shape)}).")
        order = (channel_order or self.channel_order or "rgb").lower()
        if order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}.")
        if order == "bgr" and is_array:
            tensor = tensor.flip(0)
        if tensor.numel() == 0:
            raise ValueError("Empty image (zero height or width).")
        return tensor

    def _preprocess(
        self,
        images: list[torch.Tensor],
        do_resize: bool,
        size,
        do_rescale: bool,
        rescale_factor: float,
        do_normalize: bool,
        image_mean: Sequence[float],
        image_std: Sequence[float],
        resize_mode: str | None = None,
        return_transforms: bool | None = None,
        return_tensors=None,
        **kwargs,
    ) -> BatchFeature:
        resize_mode = resize_mode or self.resize_mode
        if resize_mode not in RESIZE_MODES:
            raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {resize_mode!r}.")
        target = (size.height, size.width) if do_resize else None
        pixel_values, transforms, original_sizes = [], [], []
        for image in images:
            frame, transform = self.resize_and_normalize(
                image, target, resize_mode, do_rescale, rescale_factor, do_normalize, image_mean, image_std
            )
            pixel_values.append(frame)
            transforms.append(transform)
            original_sizes.append(tuple(image.shape[-2:]))
        shapes = {tuple(frame.shape) for frame in pixel_values}
        data: dict[str, object]
        if len(shapes) == 1 and return_tensors is not None:
            data = {"pixel_values": torch.stack(pixel_values)}
        else:
            data = {"pixel_values": pixel_values}
        if return_transforms if return_transforms is not None else self.return_transforms:
            data["resize_transforms"] = torch.tensor(transforms, dtype=torch.float32)
            data["original_sizes"] = torch.tensor(original_sizes, dtype=torch.long)
        return BatchFeature(data=data, tensor_type=None)

    @staticmethod
    def resize_and_normalize(
        image: torch.Tensor,
        target_size: tuple[int, int] | None,
        resize_mode: str = "warp",
        do_rescale: bool = True,
        rescale_factor: float = 1 / 255,
        do_normalize: bool = True,
        image_mean: Sequence[float] = SOCCERMASTER_MEAN,
        image_std: Sequence[float] = SOCCERMASTER_STD,
    ) -> tuple[torch.Tensor, tuple[float, float, float, float]]:
        """The authors' transform for one `(3, H, W)` or a stack `(N, 3, H, W)` of frames of the same size.

        Returns the processed tensor and the `(scale_x, scale_y, offset_x, offset_y)` transform.
        """
        batched = image.ndim == 4
        frames = image if batched else image[None]
        frames = frames.to(torch.float32, copy=do_rescale)  # a copy of our own when rescaling: scaled in place
        if do_rescale:
            frames.mul_(rescale_factor)
        height, width = frames.shape[-2:]
        transform = (1.0, 1.0, 0.0, 0.0)
        if target_size is not None and (height, width) != tuple(target_size):
            scale_x, scale_y, offset_x, offset_y, resized_h, resized_w = compute_resize_transform(
                (height, width), target_size, resize_mode
            )
            frames = F.interpolate(frames, size=(resized_h, resized_w), mode="bicubic", align_corners=False,
                                   antialias=True)
            if do_rescale or (frames.min() >= -0.5 and frames.max() <= 1.5):
                frames = frames.clamp_(0.0, 1.0)
            if resize_mode == "letterbox":
                fill = torch.tensor(list(image_mean) if do_normalize else [0.5] * 3, dtype=frames.dtype)
                canvas = fill.view(1, 3, 1, 1).expand(frames.shape[0], 3, target_size[0], target_size[1]).clone()
                top, left = int(offset_y), int(offset_x)
                canvas[:, :, top:top + resized_h, left:left + resized_w] = frames
                frames = canvas
            transform = (scale_x, scale_y, offset_x, offset_y)
        if do_normalize:
            mean = torch.tensor(image_mean, dtype=frames.dtype).view(1, -1, 1, 1)
            std = torch.tensor(image_std, dtype=frames.dtype).view(1, -1, 1, 1)
            frames = (frames - mean) / std
        return (frames if batched else frames[0]), transform

    # Vocabularies in the heads' logit order; defaults = the config's defaults, `from_model_config` copies a model's.
    role_names = ["ball", "goalkeeper", "other", "player", "referee", "none"]
    team_names = ["left", "right", "none"]
    keypoint_names = None
    line_names = None

    @classmethod
    def from_model_config(cls, config, **kwargs) -> SoccerMasterImageProcessor:
        """The processor a model was trained with: `size` = the backbone's `image_size`, and the role / team /
        keypoint / line vocabularies of a [`SoccerMasterConfig`] (the config is their source of truth)."""
        vision = getattr(config, "vision_config", config)
        values = {"size": {"height": vision.image_size, "width": vision.image_size}}
        if hasattr(config, "detection_config"):
            values.update(role_names=list(config.detection_config.role_names),
                          team_names=list(config.detection_config.team_names),
                          keypoint_names=list(config.pitch_config.keypoint_names),
                          line_names=list(config.pitch_config.line_names))
        return cls(**{**values, **kwargs})

    def _original_size(self, target_sizes, index: int) -> tuple[int, int] | None:
        if target_sizes is None:
            return None
        size = target_sizes[index]
        size = size.tolist() if isinstance(size, torch.Tensor) else list(size)
        return int(size[0]), int(size[1])

    def post_process_object_detection(
        self,
        outputs,
        threshold: float = 0.5,
        target_sizes: torch.Tensor | list[tuple[int, int]] | None = None,
        top_k: int = 100,
        resize_mode: str | None = None,
    ) -> list[dict[str, torch.Tensor | list]]:
        """Turn [`SoccerMasterForObjectDetection`] outputs into per-image detections (transformers' contract).

        Scores are sigmoid class probabilities; the `top_k` best (query, class) pairs above `threshold` are kept, as
        Deformable DETR does. Boxes are `(x0, y0, x1, y1)` in original pixels when `target_sizes` (`(height, width)`
        per image) is given, mapped back through this processor's resize (warp or letterbox), else normalised to
        [0, 1] of the processed image. For clips, images are the frames in batch-major order.

        Returns one dict per image with `scores`, `labels`, `boxes` and, per detection, `roles` (names),
        `role_scores`, `jerseys` (`"0"` ... `"99"` or `None`), `jersey_scores`, `teams` (names), `team_scores` and
        `query_indices` (rows of `outputs.last_hidden_state`, e.g. for association).
        """
        logits = outputs["logits"] if isinstance(outputs, dict) else outputs.logits
        boxes = outputs["pred_boxes"] if isinstance(outputs, dict) else outputs.pred_boxes

        def get(name):
            value = outputs.get(name) if isinstance(outputs, dict) else getattr(outputs, name, None)
            return None if value is None else value.reshape(-1, *value.shape[-2:])

        logits = logits.reshape(-1, *logits.shape[-2:])
        boxes = boxes.reshape(-1, *boxes.shape[-2:])
        role_logits, jersey_logits, team_logits = get("role_logits"), get("jersey_logits"), get("team_logits")
        if target_sizes is not None and len(target_sizes) != logits.shape[0]:
            raise ValueError(f"target_sizes has {len(target_sizes)} entries for {logits.shape[0]} images/frames.")
        num_images, num_queries, num_classes = logits.shape
        probabilities = logits.sigmoid().reshape(num_images, -1)
        k = min(top_k, probabilities.shape[1])
        top_scores, top_indexes = probabilities.topk(k, dim=1)
        results = []
        for image in range(num_images):
            keep = top_scores[image] > threshold
            scores = top_scores[image][keep]
            flat = top_indexes[image][keep]
            queries = torch.div(flat, num_classes, rounding_mode="floor")
            labels = flat % num_classes
            cx, cy, w, h = boxes[image, queries].unbind(-1)
            corners = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
            original = self._original_size(target_sizes, image)
            if original is not None:
                processed = corners * corners.new_tensor([self.size.width, self.size.height] * 2)
                corners = self.boxes_to_original(processed, original, resize_mode)
            result = {"scores": scores, "labels": labels, "boxes": corners, "query_indices": queries}
            if role_logits is not None:
                role_probabilities = role_logits[image, queries].softmax(-1)
                role_scores, role_index = role_probabilities.max(-1)
                result["roles"] = [self.role_names[i] for i in role_index.tolist()]
                result["role_scores"] = role_scores
            if jersey_logits is not None:
                jersey_probabilities = jersey_logits[image, queries].softmax(-1)
                jersey_scores, jersey_index = jersey_probabilities.max(-1)
                result["jerseys"] = [None if i >= 100 else str(i) for i in jersey_index.tolist()]
                result["jersey_scores"] = jersey_scores
            if team_logits is not None:
                team_probabilities = team_logits[image, queries].softmax(-1)
                team_scores, team_index = team_probabilities.max(-1)
                result["teams"] = [self.team_names[i] for i in team_index.tolist()]
                result["team_scores"] = team_scores
            results.append(result)
        return results

    def post_process_keypoints(
        self,
        outputs,
        target_sizes: torch.Tensor | list[tuple[int, int]] | None = None,
        threshold: float = 0.1,
        keypoint_names: list[str] | None = None,
        line_names: list[str] | None = None,
        resize_mode: str | None = None,
        subpixel: bool = True,
    ) -> list[dict]:
        """Named pitch keypoints and line endpoints from [`SoccerMasterForPitchRegistration`] heatmaps.

        Keypoints: the peak of each keypoint channel, kept when its probability exceeds `threshold` (the authors use
        0.1). Lines: the two strongest separated peaks of each line channel (3x3 non-maximum suppression), kept above
        `threshold`. Heatmap pixel `(i, j)` covers processed-image pixels `2i .. 2i + 2` (the heads predict at half the
        input resolution); coordinates are returned as `(x, y)` in original pixels when `target_sizes` is given, else in
        processed-image pixels. Names come from `keypoint_names` / `line_names`, else from the processor's (the model
        config's, see `from_model_config`), else indices.
        With `subpixel` (default) each peak is refined by a log-parabola fit to its 3x3 neighbourhood (exact for a
        Gaussian peak; one heatmap pixel is 2 input pixels, ~5 pixels of a 960-wide frame at 384 px input).

        Returns one dict per image/frame: `keypoints` `{name: (x, y, score)}` and `lines`
        `{name: [(x, y, score), (x, y, score)]}`.
        """
        keypoint_names = keypoint_names if keypoint_names is not None else self.keypoint_names
        line_names = line_names if line_names is not None else self.line_names
        keypoint_maps = outputs["keypoint_heatmaps"] if isinstance(outputs, dict) else outputs.keypoint_heatmaps
        line_maps = outputs.get("line_heatmaps") if isinstance(outputs, dict) else getattr(outputs, "line_heatmaps",
                                                                                           None)
        keypoint_maps = keypoint_maps.reshape(-1, *keypoint_maps.shape[-3:])
        if line_maps is not None:
            line_maps = line_maps.reshape(-1, *line_maps.shape[-3:])
        num_images, channels, height, width = keypoint_maps.shape
        stride_x, stride_y = self.size.width / width, self.size.height / height
        results = []
        for image in range(num_images):
            original = self._original_size(target_sizes, image)

            def to_pixels(ys: torch.Tensor, xs: torch.Tensor, size=original) -> torch.Tensor:
                # heatmap pixel centre -> processed-image pixel coordinates (continuous)
                points = torch.stack([(xs + 0.5) * stride_x, (ys + 0.5) * stride_y], -1)
                return points if size is None else self.points_to_original(points, size, resize_mode)

            maps = keypoint_maps[image, : channels - 1]
            scores, flat = maps.reshape(maps.shape[0], -1).max(dim=1)
            ys, xs = torch.div(flat, width, rounding_mode="floor"), flat % width
            points = to_pixels(*_refine_peaks(maps, ys, xs, subpixel))
            keypoints = {}
            for index in torch.nonzero(scores > threshold).flatten().tolist():
                name = keypoint_names[index] if keypoint_names else index
                keypoints[name] = (float(points[index, 0]), float(points[index, 1]), float(scores[index]))
            lines = {}
            if line_maps is not None:
                maps = line_maps[image, :-1]
                pooled = F.max_pool2d(maps[None], kernel_size=3, stride=1, padding=1)[0]
                peaks = torch.where(maps == pooled, maps, torch.zeros_like(maps)).reshape(maps.shape[0], -1)
                peak_scores, peak_index = peaks.topk(2, dim=1)
                peak_ys = torch.div(peak_index, maps.shape[-1], rounding_mode="floor")
                peak_xs = peak_index % maps.shape[-1]
                refined = [_refine_peaks(maps, peak_ys[:, j], peak_xs[:, j], subpixel) for j in range(2)]
                peak_points = to_pixels(torch.stack([r[0] for r in refined], 1), torch.stack([r[1] for r in refined], 1))
                for index in range(maps.shape[0]):
                    kept = [(float(peak_points[index, j, 0]), float(peak_points[index, j, 1]),
                             float(peak_scores[index, j])) for j in range(2) if peak_scores[index, j] > threshold]
                    if len(kept) == 2:
                        name = line_names[index] if line_names else index
                        lines[name] = kept
            results.append({"keypoints": keypoints, "lines": lines})
        return results

    def post_process_game_state(
        self,
        outputs,
        target_sizes: torch.Tensor | list[tuple[int, int]] | None = None,
        threshold: float = 0.5,
        keypoint_threshold: float = 0.1,
        top_k: int = 100,
        resize_mode: str | None = None,
    ) -> list[GameStateFrame]:
        """Per-frame typed results from a [`SoccerMasterForGameStateReconstruction`] output (frames in batch-major
        order): the detections of `post_process_object_detection` with each athlete's decoder embedding, and the
        named keypoints and line endpoints of `post_process_keypoints`."""
        detection = outputs.detection
        detections = self.post_process_object_detection(detection, threshold=threshold, target_sizes=target_sizes,
                                                         top_k=top_k, resize_mode=resize_mode)
        pitch = self.post_process_keypoints(outputs.pitch, target_sizes=target_sizes, threshold=keypoint_threshold,
                                            resize_mode=resize_mode)
        states = detection.last_hidden_state.reshape(-1, *detection.last_hidden_state.shape[-2:])
        return [GameStateFrame(detections=found, embeddings=states[index, found["query_indices"]].float(),
                               keypoints=points["keypoints"], lines=points["lines"])
                for index, (found, points) in enumerate(zip(detections, pitch))]

    def get_resize_transform(self, original_size: tuple[int, int], resize_mode: str | None = None) -> tuple[float, ...]:
        """`(scale_x, scale_y, offset_x, offset_y)` that this processor applies to an image of `original_size`."""
        return compute_resize_transform(
            original_size, (self.size.height, self.size.width), resize_mode or self.resize_mode
        )[:4]

    def points_to_original(
        self, points: torch.Tensor, original_size: tuple[int, int], resize_mode: str | None = None
    ) -> torch.Tensor:
        """Map `(..., 2)` pixel coordinates `(x, y)` on the processed image back to the original image."""
        scale_x, scale_y, offset_x, offset_y = self.get_resize_transform(original_size, resize_mode)
        scale = points.new_tensor([scale_x, scale_y])
        offset = points.new_tensor([offset_x, offset_y])
        return (points - offset) / scale

    def boxes_to_original(
        self, boxes: torch.Tensor, original_size: tuple[int, int], resize_mode: str | None = None
    ) -> torch.Tensor:
        """Map `(..., 4)` boxes `(x0, y0, x1, y1)` in processed pixels back to original pixels, clipped to the image."""
        corners = self.points_to_original(boxes.reshape(*boxes.shape[:-1], 2, 2), original_size, resize_mode)
        height, width = original_size
        corners[..., 0] = corners[..., 0].clamp(0, width)
        corners[..., 1] = corners[..., 1].clamp(0, height)
        return corners.reshape(boxes.shape)


__all__ = ["GameStateFrame", "SoccerMasterImageProcessor", "compute_resize_transform"]
