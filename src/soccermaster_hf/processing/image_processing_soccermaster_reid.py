# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Crops of athletes' boxes for :class:`SoccerMasterForReIdentification` (re-identification).

This file ships as Hub remote code: only torch / torchvision / numpy / transformers imports and siblings of this
folder.
"""

from __future__ import annotations

import numpy as np
import torch
from torchvision.ops import roi_align
from transformers.image_processing_utils import BatchFeature

__all__ = ["SoccerMasterReIdProcessor"]


class SoccerMasterReIdProcessor:
    """Cuts a fixed-size crop around each box of a frame and normalises it for the re-identification network.

    Each crop spans `crop_context` box heights around the box centre, with the width of the crop's aspect
    (`crop_width` / `crop_height`), so that a detector box a few pixels off still holds the head and the feet; it is
    resampled bilinearly (``torchvision.ops.roi_align``, aligned; outside the frame: black). All settings come from the
    model's :class:`~soccermaster_hf.modeling.SoccerMasterReIdConfig` (:meth:`from_model_config`).
    """

    def __init__(self, crop_height: int = 64, crop_width: int = 32, crop_context: float = 1.1,
                 image_mean=(0.5, 0.5, 0.5), image_std=(0.25, 0.25, 0.25)):
        self.crop_height, self.crop_width, self.crop_context = int(crop_height), int(crop_width), float(crop_context)
        self.image_mean = torch.tensor([float(v) for v in image_mean]).view(1, 3, 1, 1)
        self.image_std = torch.tensor([float(v) for v in image_std]).view(1, 3, 1, 1)

    @classmethod
    def from_model_config(cls, config) -> SoccerMasterReIdProcessor:
        return cls(config.crop_height, config.crop_width, config.crop_context, config.image_mean, config.image_std)

    def crop_regions(self, boxes: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The regions `(N, 4)` ``(x0, y0, x1, y1)`` pixels that the crops of `boxes` `(N, 4)` cover."""
        boxes = torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)
        centre_x, centre_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        height = (boxes[:, 3] - boxes[:, 1]).clamp(min=1.0) * self.crop_context
        width = height * self.crop_width / self.crop_height
        return torch.stack([centre_x - width / 2, centre_y - height / 2,
                            centre_x + width / 2, centre_y + height / 2], 1)

    def crops(self, frame: np.ndarray, boxes: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Crops `(N, 3, crop_height, crop_width)` in 0-1 of a frame `(height, width, 3)` uint8 RGB, one per box
        `(N, 4)` ``(x0, y0, x1, y1)`` pixels."""
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frame must be (height, width, 3) RGB, got shape {frame.shape}.")
        regions = self.crop_regions(boxes)
        if not len(regions):
            return torch.zeros((0, 3, self.crop_height, self.crop_width))
        if not torch.isfinite(regions).all():
            raise ValueError("boxes must be finite (x0, y0, x1, y1) pixels.")
        image = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)[None].float() / 255.0
        indexed = torch.cat([torch.zeros(len(regions), 1), regions], dim=1)
        return roi_align(image, indexed, (self.crop_height, self.crop_width), spatial_scale=1.0, sampling_ratio=2,
                         aligned=True).clamp(0.0, 1.0)

    def normalize(self, crops: torch.Tensor) -> torch.Tensor:
        """Crops in 0-1 -> the network's input (per-channel mean / std)."""
        return (crops - self.image_mean) / self.image_std

    def __call__(self, frame: np.ndarray, boxes: np.ndarray | torch.Tensor, return_tensors: str = "pt"
                 ) -> BatchFeature:
        """``{"pixel_values": (N, 3, crop_height, crop_width)}``, the normalised crops of `boxes` in `frame`."""
        if return_tensors != "pt":
            raise ValueError(f"return_tensors must be 'pt', got {return_tensors!r}.")
        return BatchFeature({"pixel_values": self.normalize(self.crops(frame, boxes))})
