# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Configuration of the athlete re-identification network (:class:`SoccerMasterForReIdentification`).

This file ships as Hugging Face Hub remote code: it may only import the standard library, torch, transformers,
huggingface_hub and siblings of this folder (``from .sibling import X``).
"""

from __future__ import annotations

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

__all__ = ["SoccerMasterReIdConfig"]


@strict
class SoccerMasterReIdConfig(PreTrainedConfig):
    r"""
    Configuration of [`SoccerMasterForReIdentification`]: a small convolutional network that maps the pixel crop of
    one athlete's box to a unit-length appearance embedding, trained so that two sightings of one athlete lie closer
    than two teammates (supervised contrastive loss, Khosla et al., NeurIPS 2020). Tracklet linking uses it to join
    the fragments of one athlete across gaps (the authors' data pipeline merges fragmented tracks "using ReID and
    number consistency", SPEC §2; their tracker uses PRTReID embeddings).

    Args:
        crop_height (`int`, *optional*, defaults to 64): height of the crop the network sees (pixels).
        crop_width (`int`, *optional*, defaults to 32): width of the crop.
        crop_context (`float`, *optional*, defaults to 1.1): the crop spans this many box heights around the box
            centre (the width follows the crop's aspect), so a box a few pixels off still shows the head and feet.
        channels (`list[int]`, *optional*, defaults to `[32, 64, 128, 128]`): channels of the convolutional stages
            (two 3x3 convolutions with batch norm and ReLU each, 2x2 max pooling between stages).
        embedding_size (`int`, *optional*, defaults to 128): width of the embedding (a linear layer on the
            concatenated global mean and max pooling of the last stage).
        temperature (`float`, *optional*, defaults to 0.1): temperature of the supervised contrastive loss.
        image_mean / image_std (`list[float]`, *optional*): per-channel RGB normalisation of the crop (0-1 pixels).
    """

    model_type = "soccermaster_reid"

    crop_height: int = 64
    crop_width: int = 32
    crop_context: float | int = 1.1
    channels: list[int] | tuple[int, ...] = (32, 64, 128, 128)
    embedding_size: int = 128
    temperature: float | int = 0.1
    image_mean: list[float] | tuple[float, ...] = (0.5, 0.5, 0.5)
    image_std: list[float] | tuple[float, ...] = (0.25, 0.25, 0.25)

    def __post_init__(self, **kwargs):
        self.channels = [int(c) for c in self.channels]
        self.image_mean = [float(v) for v in self.image_mean]
        self.image_std = [float(v) for v in self.image_std]
        super().__post_init__(**kwargs)

    def validate_architecture(self) -> None:
        super().validate_architecture()
        stages = len(self.channels)
        if stages < 1 or any(c < 1 for c in self.channels):
            raise ValueError(f"channels must be a non-empty list of positive widths, got {self.channels}.")
        for name in ("crop_height", "crop_width"):
            value = getattr(self, name)
            if value < 2 ** (stages - 1):
                raise ValueError(f"{name} must be >= {2 ** (stages - 1)} ({stages} stages halve it "
                                 f"{stages - 1} times), got {value}.")
        if self.embedding_size < 1:
            raise ValueError(f"embedding_size must be >= 1, got {self.embedding_size}.")
        if not 0.5 <= self.crop_context <= 4:
            raise ValueError(f"crop_context must be in [0.5, 4] box heights, got {self.crop_context}.")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}.")
        for name in ("image_mean", "image_std"):
            if len(getattr(self, name)) != 3:
                raise ValueError(f"{name} must hold 3 values (RGB), got {getattr(self, name)}.")
        if not all(s > 0 for s in self.image_std):
            raise ValueError(f"image_std must be positive, got {self.image_std}.")
