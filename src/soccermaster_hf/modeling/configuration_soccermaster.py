# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""SoccerMaster configurations.

This file ships as Hugging Face Hub remote code: it may only import the standard library, torch, transformers,
huggingface_hub and siblings of this folder (``from .sibling import X``).
"""

from __future__ import annotations

from typing import Any

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig
from transformers.configuration_utils import SubConfigSpec


@strict
class SoccerMasterVisionConfig(PreTrainedConfig):
    r"""
    Configuration of [`SoccerMasterVisionModel`], the spatio-temporal ViT of SoccerMaster (arXiv 2512.11016).

    The defaults are the released large model: a SigLIP2-L/16-512 vision tower (24 layers of width 1024) whose first
    `temporal_start_layer` = 16 layers are purely spatial and whose last 8 layers are TimeSformer-style *divided
    space-time* blocks (gated temporal attention over frames, then the original SigLIP layer), with clips of 30 frames.

    Args:
        hidden_size (`int`, *optional*, defaults to 1024):
            Width of the transformer.
        intermediate_size (`int`, *optional*, defaults to 4096):
            Width of the MLP inside each layer.
        num_hidden_layers (`int`, *optional*, defaults to 24):
            Total number of layers (spatial + spatio-temporal).
        num_attention_heads (`int`, *optional*, defaults to 16):
            Attention heads of the spatial self-attention (and, by default, of the temporal attention).
        num_channels (`int`, *optional*, defaults to 3):
            Input channels.
        image_size (`int`, *optional*, defaults to 512):
            Resolution the position embeddings were trained at. Other resolutions (multiples of `patch_size`) are
            accepted: the position table is then resized bicubically (as the authors' loader and SigLIP do).
        patch_size (`int`, *optional*, defaults to 16):
            Patch size of the patch embedding.
        hidden_act (`str`, *optional*, defaults to `"gelu_pytorch_tanh"`):
            Activation of the MLPs (SigLIP's).
        layer_norm_eps (`float`, *optional*, defaults to 1e-6):
            Epsilon of the SigLIP-owned layer norms (`layer_norm1`, `layer_norm2`, `post_layernorm`, pooling head).
        attention_dropout (`float`, *optional*, defaults to 0.0):
            Dropout on attention probabilities (training only).
        num_frames (`int`, *optional*, defaults to 30):
            Length of the learnable temporal embedding table (frames per training clip). Clips of another length are
            accepted; see [`SoccerMasterVisionModel.get_temporal_embedding`] for the interpolation rule.
        temporal_start_layer (`int`, *optional*, defaults to 16):
            Index of the first spatio-temporal layer. Layers `0 .. temporal_start_layer - 1` are spatial only and
            their output is F_spa; `temporal_start_layer == num_hidden_layers` gives a purely spatial model.
        temporal_num_attention_heads (`int`, *optional*):
            Heads of the temporal attention. Defaults to `num_attention_heads`.
        temporal_layer_norm_eps (`float`, *optional*, defaults to 1e-5):
            Epsilon of the temporal layer norm (the authors use PyTorch's default here, not SigLIP's).
        temporal_gate_init (`float`, *optional*, defaults to 0.0):
            Initial value of the per-layer gate `alpha`; the temporal branch is scaled by `tanh(alpha)`, so 0 makes
            every spatio-temporal layer start as the pretrained SigLIP layer.
        vision_use_head (`bool`, *optional*, defaults to `True`):
            Whether to build the SigLIP multi-head attention pooling head that produces F_sem.

    Example:

    ```python
    >>> from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel

    >>> config = SoccerMasterVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
    ...     num_attention_heads=4, image_size=48, num_frames=4, temporal_start_layer=2)
    >>> model = SoccerMasterVisionModel(config)
    ```
    """

    model_type = "soccermaster_vision"
    base_config_key = "vision_config"

    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_hidden_layers: int = 24
    num_attention_heads: int = 16
    num_channels: int = 3
    image_size: int = 512
    patch_size: int = 16
    hidden_act: str = "gelu_pytorch_tanh"
    layer_norm_eps: float = 1e-6
    attention_dropout: float | int = 0.0
    num_frames: int = 30
    temporal_start_layer: int = 16
    temporal_num_attention_heads: int | None = None
    temporal_layer_norm_eps: float = 1e-5
    temporal_gate_init: float | int = 0.0
    vision_use_head: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        if self.temporal_num_attention_heads is None:
            self.temporal_num_attention_heads = self.num_attention_heads
        super().__post_init__(**kwargs)

    @property
    def num_temporal_layers(self) -> int:
        """Number of spatio-temporal layers (`num_hidden_layers - temporal_start_layer`)."""
        return self.num_hidden_layers - self.temporal_start_layer

    @property
    def num_patches(self) -> int:
        """Patches per frame at the native `image_size`."""
        return (self.image_size // self.patch_size) ** 2

    def validate_architecture(self) -> None:
        """Reject impossible architectures with a message that says what to change (run by `@strict`)."""
        super().validate_architecture()
        for name in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_channels",
                     "image_size", "patch_size", "num_frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{type(self).__name__}: `{name}` must be an int, got {value!r}.")
            if value < 1:
                raise ValueError(f"{type(self).__name__}: `{name}` must be >= 1, got {value}.")
        if not 0 <= self.temporal_start_layer <= self.num_hidden_layers:
            raise ValueError(
                f"{type(self).__name__}: `temporal_start_layer` ({self.temporal_start_layer}) must lie in "
                f"[0, num_hidden_layers={self.num_hidden_layers}]; it is the index of the first spatio-temporal layer "
                f"(use num_hidden_layers for a purely spatial model)."
            )
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError(
                f"{type(self).__name__}: `hidden_size` ({self.hidden_size}) must be divisible by "
                f"`num_attention_heads` ({self.num_attention_heads})."
            )
        temporal_heads = self.temporal_num_attention_heads or self.num_attention_heads
        if self.hidden_size % temporal_heads != 0:
            raise ValueError(
                f"{type(self).__name__}: `hidden_size` ({self.hidden_size}) must be divisible by "
                f"`temporal_num_attention_heads` ({temporal_heads})."
            )
        if self.image_size % self.patch_size != 0:
            raise ValueError(
                f"{type(self).__name__}: `image_size` ({self.image_size}) must be divisible by `patch_size` "
                f"({self.patch_size})."
            )


@strict
class SoccerMasterConfig(PreTrainedConfig):
    r"""
    Composite configuration of the SoccerMaster family.

    It holds the vision backbone's configuration and the sub-configurations the task heads and the multimodal models
    add. Sub-configs follow transformers' naming: `text_config` is the causal language model used for commentary
    generation (so generation utilities find it through `get_text_config()`), and `text_encoder_config` is the
    contrastive text tower of video-text alignment (SigLIP2's text model for the released checkpoint).

    Args:
        vision_config (`SoccerMasterVisionConfig` or `dict`, *optional*):
            The spatio-temporal backbone. Defaults to the released large model.
        text_encoder_config (`PreTrainedConfig` or `dict`, *optional*):
            Any Hugging Face text encoder (by `model_type`, default `siglip_text_model`). `None` = no text tower.
        text_config (`PreTrainedConfig` or `dict`, *optional*):
            Causal language model for commentary generation (by `model_type`). `None` = no language model.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the truncated-normal initialiser of freshly created head weights.
    """

    model_type = "soccermaster"
    sub_configs_defaults = {
        "vision_config": SoccerMasterVisionConfig,
        "text_encoder_config": SubConfigSpec(AutoConfig, model_type="siglip_text_model", optional=True),
        "text_config": SubConfigSpec(AutoConfig, model_type="llama", optional=True),
    }

    vision_config: dict | PreTrainedConfig | None = None
    text_encoder_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    initializer_range: float = 0.02


__all__ = ["SoccerMasterConfig", "SoccerMasterVisionConfig"]
