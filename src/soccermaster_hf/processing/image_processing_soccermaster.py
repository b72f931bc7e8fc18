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


class SoccerMasterImageProcessorKwargs(ImagesKwargs, total=False):
    """Extra keyword arguments of [`SoccerMasterImageProcessor`].

    resize_mode (`str`): `"warp"` (the authors': stretch to `size`) or `"letterbox"` (keep aspect ratio, pad).
    channel_order (`str`): `"rgb"` (default) or `"bgr"` for arrays read with OpenCV.
    return_transforms (`bool`): also return `resize_transforms` (`(batch, 4)`: scale_x, scale_y, offset_x, offset_y)
        and `original_sizes` (`(batch, 2)`: height, width). Off by default so the output feeds `model(**inputs)`.
    """

    resize_mode: str
    channel_order: str
    return_transforms: bool


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
        if isinstance(image, (np.ndarray, torch.Tensor)) and image.ndim not in (2, 3):
            raise ValueError(
                f"Expected an image of shape (height, width), (height, width, channels) or (channels, height, width); "
                f"got shape {tuple(image.shape)}. For videos use SoccerMasterVideoProcessor."
            )
        is_array = isinstance(image, (np.ndarray, torch.Tensor))
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
        frames = frames.to(torch.float32)
        if do_rescale:
            frames = frames * rescale_factor
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


__all__ = ["SoccerMasterImageProcessor", "compute_resize_transform"]
