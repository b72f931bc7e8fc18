# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""PyTorch SoccerMaster backbone: a SigLIP ViT whose last layers are gated divided space-time blocks.

Architecture (SoccerMaster, arXiv 2512.11016; authors' code ``models/soccer_master.py``):

* SigLIP patch + position embeddings (no CLS token);
* ``temporal_start_layer`` SigLIP encoder layers run on every frame independently; their output is **F_spa**;
* a learnable temporal embedding (``num_frames x hidden``) is added once to F_spa;
* the remaining layers first attend over *frames* for every spatial token (layer norm -> multi-head attention ->
  ``temporal_fc``), add the result gated by ``tanh(alpha)``, then run the original SigLIP layer (TimeSformer's
  "divided space-time" attention);
* SigLIP's post layer norm and multi-head attention pooling head, applied per frame, give **F_sem**.

The layers keep SigLIP's exact module and parameter names (``layer_norm1``, ``self_attn.{q,k,v,out}_proj``,
``layer_norm2``, ``mlp.fc1/fc2``), so a SigLIP / SigLIP2 vision checkpoint loads with only the temporal parameters
missing, and LoRA ``target_modules=["q_proj", "v_proj"]`` reaches spatial and temporal attention alike.

This file ships as Hub remote code: only ``from .sibling import X`` relative imports.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs
from transformers.utils.output_capturing import OutputRecorder, capture_outputs

from .configuration_soccermaster import SoccerMasterConfig, SoccerMasterVisionConfig
from .cpu_kernels_soccermaster import fused_linear, packed_weight, use_fused_cpu_path


@dataclass
class SoccerMasterVisionModelOutput(ModelOutput):
    r"""
    Output of [`SoccerMasterVisionModel`].

    In *video mode* (`pixel_values` of shape `(batch_size, num_frames, num_channels, height, width)`):

    spatial_hidden_state (`torch.FloatTensor` of shape `(batch_size, num_frames, num_patches, hidden_size)`):
        **F_spa**: output of the last spatial layer (`temporal_start_layer - 1`), *before* the temporal embedding is
        added. Input of the detection, keypoint and line heads.
    last_hidden_state (`torch.FloatTensor` of shape `(batch_size, num_frames, num_patches, hidden_size)`):
        Output of the last layer after the post layer norm (as in `SiglipVisionModel`).
    pooler_output (`torch.FloatTensor` of shape `(batch_size, num_frames, hidden_size)`):
        **F_sem**: the attention-pooling head applied to every frame. `None` when `config.vision_use_head=False`.
    hidden_states (`tuple(torch.FloatTensor)`, *optional*, returned when `output_hidden_states=True`):
        Embedding output followed by the output of every layer, each of shape
        `(batch_size, num_frames, num_patches, hidden_size)`. The temporal embedding is not part of any entry.
    attentions (`tuple(torch.FloatTensor)`, *optional*, returned when `output_attentions=True`):
        Spatial attention probabilities of every layer, each of shape
        `(batch_size * num_frames, num_attention_heads, num_patches, num_patches)`.
    temporal_attentions (`tuple(torch.FloatTensor)`, *optional*, returned when `output_attentions=True`):
        Temporal attention probabilities of every spatio-temporal layer, each of shape
        `(batch_size * num_patches, temporal_num_attention_heads, num_frames, num_frames)`.

    In *image mode* (`pixel_values` of shape `(batch_size, num_channels, height, width)`) only the spatial layers run:
    `spatial_hidden_state` and `last_hidden_state` are both F_spa of shape `(batch_size, num_patches, hidden_size)`,
    `pooler_output` is `None`, and `hidden_states` has `temporal_start_layer + 1` entries of that shape.
    """

    spatial_hidden_state: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


class SoccerMasterVisionEmbeddings(nn.Module):
    """SigLIP's patch and position embeddings; the position table is resized bicubically for other resolutions.

    Same parameter names as `SiglipVisionEmbeddings` (`patch_embedding`, `position_embedding`). Interpolation follows
    SigLIP / the authors' loader: the table is viewed as a square grid in row-major order and resized with bicubic
    interpolation, `align_corners=False`, no antialiasing.
    """

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__()
        self.config = config
        self.embed_dim = config.hidden_size
        self.patch_size = config.patch_size
        self.patch_embedding = nn.Conv2d(
            in_channels=config.num_channels,
            out_channels=self.embed_dim,
            kernel_size=self.patch_size,
            stride=self.patch_size,
            padding="valid",
        )
        self.num_patches = (config.image_size // config.patch_size) ** 2
        self.grid_size = config.image_size // config.patch_size
        self.position_embedding = nn.Embedding(self.num_patches, self.embed_dim)
        self.register_buffer("position_ids", torch.arange(self.num_patches).expand((1, -1)), persistent=False)

    def interpolate_pos_encoding(self, grid_height: int, grid_width: int) -> torch.Tensor:
        """Return the position table resized to a `grid_height x grid_width` patch grid: `(1, h*w, hidden_size)`."""
        # the embedding is called (not its `.weight` read) so that offloading hooks load it first
        table = self.position_embedding(self.position_ids)[0]
        if grid_height == self.grid_size and grid_width == self.grid_size:
            return table.unsqueeze(0)
        # (num_patches, hidden) -> (1, hidden, grid, grid) for interpolation
        grid = table.reshape(1, self.grid_size, self.grid_size, self.embed_dim).permute(0, 3, 1, 2)
        original_dtype = grid.dtype
        grid = nn.functional.interpolate(
            grid.float(), size=(grid_height, grid_width), mode="bicubic", align_corners=False
        ).to(original_dtype)
        # (1, hidden, h, w) -> (1, h * w, hidden)
        return grid.permute(0, 2, 3, 1).reshape(1, grid_height * grid_width, self.embed_dim)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        height, width = pixel_values.shape[-2:]
        target_dtype = self.patch_embedding.weight.dtype
        # (batch, channels, height, width) -> (batch, hidden, grid_h, grid_w)
        patch_embeds = self.patch_embedding(pixel_values.to(dtype=target_dtype))
        # (batch, hidden, grid_h, grid_w) -> (batch, num_patches, hidden)
        embeddings = patch_embeds.flatten(2).transpose(1, 2)
        return embeddings + self.interpolate_pos_encoding(height // self.patch_size, width // self.patch_size)


def eager_attention_forward(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float,
    dropout: float = 0.0,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reference attention (same maths as SigLIP's): softmax in float32, returns `(batch, seq, heads, head_dim)`."""
    attn_weights = torch.matmul(query, key.transpose(-1, -2)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights + attention_mask
    attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=torch.float32).to(query.dtype)
    attn_weights = nn.functional.dropout(attn_weights, p=dropout, training=module.training)
    attn_output = torch.matmul(attn_weights, value)
    attn_output = attn_output.transpose(1, 2).contiguous()
    return attn_output, attn_weights


FORWARD_KWARGS = frozenset(TransformersKwargs.__annotations__) | {"return_dict"}


def check_forward_kwargs(model: nn.Module, kwargs: dict) -> None:
    """Raise a `TypeError` for keyword arguments that are neither a forward argument nor a `TransformersKwargs` key."""
    unknown = sorted(set(kwargs) - FORWARD_KWARGS)
    if unknown:
        raise TypeError(f"{type(model).__name__}.forward() got unexpected keyword argument(s): {', '.join(unknown)}.")


def _temporal_attentions_follow_attentions(forward: Callable) -> Callable:
    """`output_attentions` also asks `capture_outputs` for the temporal maps (it keys flags on the output's name)."""

    @functools.wraps(forward)
    def wrapper(self, *args, **kwargs):
        if kwargs.get("output_attentions", self.config.output_attentions):
            kwargs["output_temporal_attentions"] = True
        return forward(self, *args, **kwargs)

    return wrapper


class SoccerMasterAttention(nn.Module):
    """Multi-head self-attention with separate `q_proj`, `k_proj`, `v_proj`, `out_proj` (SigLIP's layout).

    Used for the spatial attention (over the patches of one frame) and for the temporal attention (over the frames of
    one patch position). Attention runs through transformers' attention interface (`eager`, `sdpa`, ...).
    """

    def __init__(self, config: SoccerMasterVisionConfig, num_heads: int | None = None):
        super().__init__()
        self.config = config
        self.embed_dim = config.hidden_size
        self.num_heads = num_heads if num_heads is not None else config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError(
                f"hidden_size ({self.embed_dim}) must be divisible by the number of heads ({self.num_heads})."
            )
        self.scale = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        self.is_causal = False
        self.k_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.v_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.q_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.out_proj = nn.Linear(self.embed_dim, self.embed_dim)
        self.fused_cpu_inference: bool | str = "auto"

    def forward(
        self, hidden_states: torch.Tensor, residual: torch.Tensor | None = None, **kwargs: Unpack[TransformersKwargs]
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`hidden_states`: `(batch, sequence, hidden)` -> `(batch, sequence, hidden)` and the attention probabilities
        `(batch, heads, sequence, sequence)` when `output_attentions=True` (else `None`).

        With `residual`, returns `residual + attention(hidden_states)` (fused into the output projection on CPU).
        """
        output_attentions = bool(kwargs.get("output_attentions", False))
        input_shape = hidden_states.shape[:-1]
        # (batch, seq, hidden) -> (batch, heads, seq, head_dim)
        hidden_shape = (*input_shape, self.num_heads, self.head_dim)
        fused = use_fused_cpu_path(self, hidden_states)
        packed_qkv = packed_weight(self, "_packed_qkv", (self.q_proj, self.k_proj, self.v_proj)) if fused else None
        packed_out = packed_weight(self, "_packed_out", (self.out_proj,)) if packed_qkv is not None else None
        if packed_qkv is not None and packed_out is not None:
            # one (tokens, 3 * hidden) product, split into views
            queries, keys, values = fused_linear(hidden_states, packed_qkv).split(self.embed_dim, dim=-1)
            queries = queries.reshape(hidden_shape).transpose(1, 2)
            keys = keys.reshape(hidden_shape).transpose(1, 2)
            values = values.reshape(hidden_shape).transpose(1, 2)
        else:
            packed_out = None
            queries = self.q_proj(hidden_states).view(hidden_shape).transpose(1, 2)
            keys = self.k_proj(hidden_states).view(hidden_shape).transpose(1, 2)
            values = self.v_proj(hidden_states).view(hidden_shape).transpose(1, 2)

        implementation = self.config._attn_implementation
        if output_attentions or implementation is None:
            # Only the eager path can return attention probabilities.
            attention_interface: Callable = eager_attention_forward
        else:
            attention_interface = ALL_ATTENTION_FUNCTIONS.get_interface(implementation, eager_attention_forward)
        attn_output, attn_weights = attention_interface(
            self,
            queries,
            keys,
            values,
            None,
            is_causal=False,
            scaling=self.scale,
            dropout=0.0 if not self.training else self.dropout,
        )
        # (batch, seq, heads, head_dim) -> (batch, seq, hidden)
        attn_output = attn_output.reshape(*input_shape, self.embed_dim)
        if packed_out is not None:
            attn_output = fused_linear(attn_output, packed_out, residual=residual)
        else:
            attn_output = self.out_proj(attn_output)
            if residual is not None:
                attn_output = residual + attn_output
        return attn_output, (attn_weights if output_attentions else None)


class SoccerMasterMLP(nn.Module):
    """SigLIP's MLP: `fc1` -> activation -> `fc2`."""

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__()
        self.hidden_act = config.hidden_act
        self.activation_fn = ACT2FN[config.hidden_act]
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)
        self.fused_cpu_inference: bool | str = "auto"

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor | None = None) -> torch.Tensor:
        """`fc2(act(fc1(x)))`, plus `residual` when given (fused into `fc2` on the CPU inference path)."""
        if self.hidden_act == "gelu_pytorch_tanh" and use_fused_cpu_path(self, hidden_states):
            packed_fc1 = packed_weight(self, "_packed_fc1", (self.fc1,))
            packed_fc2 = packed_weight(self, "_packed_fc2", (self.fc2,))
            if packed_fc1 is not None and packed_fc2 is not None:
                intermediate = fused_linear(hidden_states, packed_fc1, activation="gelu_tanh")
                return fused_linear(intermediate, packed_fc2, residual=residual)
        output = self.fc2(self.activation_fn(self.fc1(hidden_states)))
        return output if residual is None else residual + output


class SoccerMasterEncoderLayer(GradientCheckpointingLayer):
    """A SigLIP encoder layer (pre-norm attention + MLP), run on every frame independently."""

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__()
        self.embed_dim = config.hidden_size
        self.layer_norm1 = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_eps)
        self.self_attn = SoccerMasterAttention(config)
        self.layer_norm2 = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_eps)
        self.mlp = SoccerMasterMLP(config)

    def spatial_forward(self, hidden_states: torch.Tensor, **kwargs: Unpack[TransformersKwargs]) -> torch.Tensor:
        """SigLIP's layer on `(images, num_patches, hidden)`."""
        hidden_states, _ = self.self_attn(self.layer_norm1(hidden_states), residual=hidden_states, **kwargs)
        return self.mlp(self.layer_norm2(hidden_states), residual=hidden_states)

    def forward(self, hidden_states: torch.Tensor, **kwargs: Unpack[TransformersKwargs]) -> torch.Tensor:
        """`hidden_states`: `(batch, [num_frames,] num_patches, hidden)`; frames are processed independently."""
        shape = hidden_states.shape
        return self.spatial_forward(hidden_states.reshape(-1, shape[-2], shape[-1]), **kwargs).view(shape)


class SoccerMasterSpatioTemporalLayer(SoccerMasterEncoderLayer):
    """Divided space-time layer: gated temporal attention over frames, then the SigLIP layer.

    ``x = x + tanh(temporal_alpha) * temporal_fc(temporal_attn(temporal_layer_norm(x)))`` computed for every spatial
    token over the frames of its clip, then ``x = SigLIPLayer(x)``. With `temporal_alpha = 0` the layer is exactly the
    pretrained SigLIP layer. Official names: `temporal_norm1`, `temporal_attn` (fused in-projection), `temporal_fc`,
    `temporal_alpha_attn`.
    """

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__(config)
        self.temporal_layer_norm = nn.LayerNorm(self.embed_dim, eps=config.temporal_layer_norm_eps)
        self.temporal_attn = SoccerMasterAttention(config, num_heads=config.temporal_num_attention_heads)
        self.temporal_fc = nn.Linear(self.embed_dim, self.embed_dim)
        self.temporal_alpha = nn.Parameter(torch.full((), float(config.temporal_gate_init)))

    def forward(self, hidden_states: torch.Tensor, **kwargs: Unpack[TransformersKwargs]) -> torch.Tensor:
        """`hidden_states`: `(batch, num_frames, num_patches, hidden)` -> the same shape."""
        batch_size, num_frames, num_patches, hidden_size = hidden_states.shape
        # (batch, frames, patches, hidden) -> (batch * patches, frames, hidden)
        temporal_states = hidden_states.transpose(1, 2).reshape(batch_size * num_patches, num_frames, hidden_size)
        temporal_states, _ = self.temporal_attn(self.temporal_layer_norm(temporal_states), **kwargs)
        # (batch * patches, frames, hidden) -> (batch * frames, patches, hidden)
        temporal_states = (
            temporal_states.view(batch_size, num_patches, num_frames, hidden_size)
            .transpose(1, 2)
            .reshape(batch_size * num_frames, num_patches, hidden_size)
        )
        flat = hidden_states.reshape(batch_size * num_frames, num_patches, hidden_size)
        flat = flat + torch.tanh(self.temporal_alpha) * self.temporal_fc(temporal_states)
        return self.spatial_forward(flat, **kwargs).view(batch_size, num_frames, num_patches, hidden_size)


class SoccerMasterEncoder(nn.Module):
    """`temporal_start_layer` spatial layers followed by spatio-temporal layers (SigLIP's `encoder.layers.{i}`)."""

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(
            [
                SoccerMasterEncoderLayer(config)
                if index < config.temporal_start_layer
                else SoccerMasterSpatioTemporalLayer(config)
                for index in range(config.num_hidden_layers)
            ]
        )
        self.gradient_checkpointing = False


def resample_frame_table(table: torch.Tensor, num_frames: int) -> torch.Tensor:
    """A learned per-frame table `(rows, hidden)` for a clip of `num_frames` frames: the table itself when the lengths
    agree, else linear interpolation along time with `align_corners=True` (the clip's first and last frames keep the
    first and last rows, a frame in between gets the row of the same relative position); a single frame, or a one-row
    table, gives the first row."""
    if num_frames == table.shape[0]:
        return table
    if num_frames == 1 or table.shape[0] == 1:
        return table[:1].expand(num_frames, -1)
    # (frames, hidden) -> (1, hidden, frames) for 1-D interpolation
    resampled = nn.functional.interpolate(table.t().unsqueeze(0).float(), size=num_frames, mode="linear",
                                          align_corners=True)
    return resampled[0].t().to(table.dtype)


class SoccerMasterMultiheadAttentionPoolingHead(nn.Module):
    """SigLIP's multi-head attention pooling ("MAP") head: a learned probe attends over the tokens of one frame."""

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__()
        self.probe = nn.Parameter(torch.randn(1, 1, config.hidden_size))
        self.attention = nn.MultiheadAttention(config.hidden_size, config.num_attention_heads, batch_first=True)
        self.layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp = SoccerMasterMLP(config)

    def forward(self, hidden_state: torch.Tensor) -> torch.Tensor:
        """`(batch, num_patches, hidden)` -> `(batch, hidden)`."""
        probe = self.probe.expand(hidden_state.shape[0], -1, -1)
        hidden_state = self.attention(probe, hidden_state, hidden_state, need_weights=False)[0]
        hidden_state = self.mlp(self.layernorm(hidden_state), residual=hidden_state)
        return hidden_state[:, 0]


class SoccerMasterPreTrainedModel(PreTrainedModel):
    """Weight initialisation and capability flags shared by all SoccerMaster models."""

    config: SoccerMasterVisionConfig | SoccerMasterConfig
    config_class = SoccerMasterVisionConfig
    base_model_prefix = "vision_model"
    main_input_name = "pixel_values"
    input_modalities = ("image", "video")
    supports_gradient_checkpointing = True
    _no_split_modules = [
        "SoccerMasterVisionEmbeddings",
        "SoccerMasterEncoderLayer",
        "SoccerMasterSpatioTemporalLayer",
        "SoccerMasterMultiheadAttentionPoolingHead",
    ]
    _supports_sdpa = True
    _supports_flash_attn = False
    _supports_flex_attn = False
    _supports_attention_backend = False
    # a class loads the part of any SoccerMaster folder it has (e.g. a detector from a pre-training folder): the other
    # heads' weights are skipped on purpose, not reported as unexpected
    _keys_to_ignore_on_load_unexpected = [r"^(detection_head|keypoint_head|line_head|event_head|text_model)\.",
                                          r"^logit_(scale|bias)$",
                                          r"^(qformer|language_model|language_projection|frame_layernorm|"
                                          r"frame_position_embedding)\.", r"^query_tokens$"]

    def __init__(self, config: SoccerMasterVisionConfig | SoccerMasterConfig, *inputs, **kwargs):
        super().__init__(config, *inputs, **kwargs)
        if isinstance(config, SoccerMasterConfig):
            config.sync_task_labels(type(self).__name__)  # the rule lives in the config

    def _spatial_features(
        self,
        pixel_values: torch.Tensor | None,
        spatial_hidden_state: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> tuple[torch.Tensor, SoccerMasterVisionModelOutput | None]:
        """F_spa with the input's leading axes, `(batch_size, [num_frames,] num_patches, hidden_size)`, and the
        backbone's output (`None` for a precomputed `spatial_hidden_state`, which is returned unchanged).

        Frames run through the spatial layers only (image mode), as the spatial heads never see the temporal layers.
        """
        if spatial_hidden_state is not None:
            return spatial_hidden_state, None
        if pixel_values is None:
            raise ValueError("Pass `pixel_values` (or a precomputed `spatial_hidden_state`).")
        leading = pixel_values.shape[:-3]
        # (batch, [frames,] channels, height, width) -> (images, channels, height, width)
        outputs = self.vision_model(pixel_values.reshape(-1, *pixel_values.shape[-3:]), **kwargs)
        states = outputs.spatial_hidden_state
        return states.reshape(*leading, *states.shape[-2:]), outputs

    def set_fused_cpu_inference(self, enabled: bool | str = True) -> None:
        """Choose the oneDNN fused-kernel path for CPU inference (see `use_fused_cpu_path`): `True`, `False` or
        `"auto"` (the default: fused only for widths up to `FUSED_CPU_MAX_WIDTH`, where it was measured faster).

        Both paths compute the same function (equal within float rounding, tested); disabling is useful to compare
        them or to debug. Training and GPU execution always use the reference path.
        """
        if enabled not in (True, False, "auto"):
            raise ValueError(f"enabled must be True, False or 'auto', got {enabled!r}")
        for module in self.modules():
            if hasattr(module, "fused_cpu_inference"):
                module.fused_cpu_inference = enabled
                module.__dict__.pop("_packed_qkv", None)
                module.__dict__.pop("_packed_out", None)
                module.__dict__.pop("_packed_fc1", None)
                module.__dict__.pop("_packed_fc2", None)

    def _vision_config(self) -> SoccerMasterVisionConfig:
        return self.config.vision_config if hasattr(self.config, "vision_config") else self.config

    def _initialize_weights(self, module: nn.Module, is_custom_code: bool = False) -> None:
        # transformers treats classes outside its tree as "custom code" and then skips `_init_weights` for every module
        # whose *direct* parameters are all flagged, which includes parameter-less containers such as the detection
        # head and Deformable-DETR's attention (so their grid-initialised sampling offsets and the focal prior were
        # silently never applied). Our `_init_weights` only uses `transformers.initialization`, which already leaves
        # checkpoint-loaded tensors untouched, so the shortcut is not needed.
        super()._initialize_weights(module, is_custom_code=False)

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """One initialisation for every module of every SoccerMaster class, chosen by module type.

        transformers calls this for every sub-module, children before parents, and `transformers.initialization`
        leaves tensors loaded from a checkpoint untouched, so a parent's branch refines what the generic branch gave
        its children, and loading any subset of weights initialises exactly the rest:

        * SigLIP's scheme for the backbone (LeCun-normal patch embedding, Xavier attention / MLP / pooling head,
          normal position table); identity start for the temporal parts (zero gate, zero temporal embedding);
        * Deformable DETR's for the detection head (grid sampling offsets, zero attention weights, focal prior
          `-log(99)` on the class biases, zero box deltas; see `init_detection_module`);
        * Kaiming-normal (fan-out, ReLU) for the PixelShuffle pitch heads' convolutions;
        * the alignment scalars at `logit_scale_init_value` / `logit_bias_init_value`;
        * the commentary Q-Former's learned queries: normal(`initializer_range`) (MatchVoice's); the Q-Former and the
          language model are transformers models and initialise themselves;
        * a generic branch (transformers' default: normal(`initializer_range`) linear / conv / embedding weights, zero
          biases, unit norms, Xavier for `nn.MultiheadAttention` in-projections) for everything else, e.g. the event
          head's `nn.TransformerEncoder` and any module a user adds.
        """
        from .modeling_soccermaster_detection import init_detection_module
        from .modeling_soccermaster_pitch import SoccerMasterPixelShuffleHead

        if isinstance(module, SoccerMasterVisionEmbeddings):
            init.lecun_normal_(module.patch_embedding.weight)
            init.zeros_(module.patch_embedding.bias)
            init.normal_(module.position_embedding.weight, std=1 / math.sqrt(self._vision_config().hidden_size))
            init.copy_(module.position_ids, torch.arange(module.position_ids.shape[-1]).expand((1, -1)))
        elif isinstance(module, SoccerMasterAttention):
            for projection in (module.q_proj, module.k_proj, module.v_proj, module.out_proj):
                init.xavier_uniform_(projection.weight)
                init.zeros_(projection.bias)
        elif isinstance(module, SoccerMasterMLP):
            init.xavier_uniform_(module.fc1.weight)
            init.xavier_uniform_(module.fc2.weight)
            init.normal_(module.fc1.bias, std=1e-6)
            init.normal_(module.fc2.bias, std=1e-6)
        elif isinstance(module, SoccerMasterMultiheadAttentionPoolingHead):
            init.xavier_uniform_(module.probe)
            init.xavier_uniform_(module.attention.in_proj_weight)
            init.zeros_(module.attention.in_proj_bias)
            init.xavier_uniform_(module.attention.out_proj.weight)
            init.zeros_(module.attention.out_proj.bias)
        elif isinstance(module, SoccerMasterSpatioTemporalLayer):
            init.xavier_uniform_(module.temporal_fc.weight)
            init.zeros_(module.temporal_fc.bias)
            init.constant_(module.temporal_alpha, float(self._vision_config().temporal_gate_init))
        elif isinstance(module, SoccerMasterVisionModel):
            init.zeros_(module.temporal_embedding)
        elif init_detection_module(module):
            pass  # Deformable-DETR attention or the detection head
        elif isinstance(module, SoccerMasterPixelShuffleHead):
            for conv in module.modules():
                if isinstance(conv, nn.Conv2d):
                    init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
                    init.zeros_(conv.bias)
        elif isinstance(module, PreTrainedModel) and isinstance(getattr(module, "query_tokens", None), nn.Parameter):
            # the commentary model (no import: the other classes' remote code does not need its file)
            init.normal_(module.query_tokens, std=float(self.config.initializer_range))
        elif isinstance(getattr(module, "relative_time_bias", None), nn.Parameter):
            # the MOTIP ID decoder (no import: the other classes' remote code does not need its file)
            init.zeros_(module.relative_time_bias)
            init.zeros_(module.feature_mean)
            init.ones_(module.feature_std)
        elif isinstance(getattr(module, "frame_embeddings", None), nn.Parameter):
            # the event head's frame-position embeddings (our option): zero, i.e. the authors' head at the start
            init.zeros_(module.frame_embeddings)
        elif isinstance(module, nn.MultiheadAttention):
            init.xavier_uniform_(module.in_proj_weight)
            init.zeros_(module.in_proj_bias)
        elif isinstance(module, PreTrainedModel) and isinstance(getattr(module, "logit_scale", None), nn.Parameter):
            init.constant_(module.logit_scale, float(self.config.logit_scale_init_value))
            init.constant_(module.logit_bias, float(self.config.logit_bias_init_value))
        else:
            super()._init_weights(module)


class SoccerMasterVisionModel(SoccerMasterPreTrainedModel):
    """The SoccerMaster spatio-temporal backbone.

    Accepts `pixel_values` of shape `(batch_size, num_channels, height, width)` (*image mode*: spatial layers only,
    returns F_spa, as the detection head needs) or `(batch_size, num_frames, num_channels, height, width)`
    (*video mode*: all layers, returns F_spa, the last hidden state and F_sem). Any number of frames and any
    resolution that is a multiple of `patch_size` are accepted.

    Example:

    ```python
    >>> import torch
    >>> from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel

    >>> config = SoccerMasterVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
    ...     num_attention_heads=4, image_size=48, num_frames=4, temporal_start_layer=2)
    >>> model = SoccerMasterVisionModel(config).eval()
    >>> outputs = model(torch.randn(2, 4, 3, 48, 48))
    >>> tuple(outputs.spatial_hidden_state.shape), tuple(outputs.pooler_output.shape)
    ((2, 4, 9, 64), (2, 4, 64))
    ```
    """

    config: SoccerMasterVisionConfig
    config_class = SoccerMasterVisionConfig
    # hooks of `capture_outputs`: the embedding output + every layer's output, spatial and temporal attention maps
    _can_record_outputs = {
        "hidden_states": OutputRecorder(SoccerMasterEncoderLayer, index=0),
        "attentions": OutputRecorder(SoccerMasterAttention, index=1, layer_name="self_attn"),
        "temporal_attentions": OutputRecorder(SoccerMasterAttention, index=1, layer_name="temporal_attn"),
    }

    def __init__(self, config: SoccerMasterVisionConfig):
        super().__init__(config)
        self.embeddings = SoccerMasterVisionEmbeddings(config)
        self.encoder = SoccerMasterEncoder(config)
        # (num_frames, hidden): added once to F_spa before the first spatio-temporal layer.
        self.temporal_embedding = nn.Parameter(torch.zeros(config.num_frames, config.hidden_size))
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.head = SoccerMasterMultiheadAttentionPoolingHead(config) if config.vision_use_head else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.embeddings.patch_embedding

    @classmethod
    def from_siglip_pretrained(
        cls,
        pretrained_model_name_or_path: str,
        num_frames: int = 30,
        temporal_start_layer: int | None = None,
        config_overrides: dict | None = None,
        **loading_kwargs,
    ) -> SoccerMasterVisionModel:
        """Initialise the backbone from a SigLIP / SigLIP2 (fixed-resolution) vision checkpoint.

        This is how the authors started pre-training (`google/siglip2-large-patch16-512`). Every SigLIP weight is
        copied unchanged (embeddings, all encoder layers, post layer norm, pooling head); the temporal parameters are
        new: gates `tanh(0) = 0` and a zero temporal embedding, so the model initially computes exactly SigLIP's
        features for every frame.

        Args:
            pretrained_model_name_or_path (`str`):
                Hub id or local folder of a `SiglipVisionModel` or a full `SiglipModel` (vision tower is taken).
                NaFlex SigLIP2 checkpoints (`Siglip2VisionModel`, variable resolution) are not supported.
            num_frames (`int`, *optional*, defaults to 30):
                Length of the temporal embedding table.
            temporal_start_layer (`int`, *optional*):
                First spatio-temporal layer. Defaults to two thirds of the depth (16 of 24 as released, 8 of 12 for
                the base ablation model).
            config_overrides (`dict`, *optional*):
                Other [`SoccerMasterVisionConfig`] fields.
            loading_kwargs:
                Passed to `SiglipVisionModel.from_pretrained` (`revision`, `cache_dir`, `local_files_only`, ...).
        """
        from transformers import SiglipVisionModel
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the text tower of a full SiglipModel checkpoint is expected to be unused
        try:
            siglip = SiglipVisionModel.from_pretrained(pretrained_model_name_or_path, **loading_kwargs)
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(
                f"Could not load a SigLIP vision model from {pretrained_model_name_or_path!r}: {error}. Expected a "
                "SiglipVisionModel or SiglipModel checkpoint (fixed-resolution SigLIP / SigLIP2, e.g. "
                "google/siglip2-large-patch16-512)."
            ) from error
        finally:
            hf_logging.set_verbosity(verbosity)
        siglip_config = siglip.config
        image_size = siglip_config.image_size
        patch_size = siglip_config.patch_size
        if not isinstance(image_size, int) or not isinstance(patch_size, int):
            raise ValueError(f"Only square image and patch sizes are supported, got {image_size} / {patch_size}.")
        num_layers = siglip_config.num_hidden_layers
        if temporal_start_layer is None:
            temporal_start_layer = (2 * num_layers) // 3
        config_kwargs = {
            "hidden_size": siglip_config.hidden_size,
            "intermediate_size": siglip_config.intermediate_size,
            "num_hidden_layers": num_layers,
            "num_attention_heads": siglip_config.num_attention_heads,
            "num_channels": siglip_config.num_channels,
            "image_size": image_size,
            "patch_size": patch_size,
            "hidden_act": siglip_config.hidden_act,
            "layer_norm_eps": siglip_config.layer_norm_eps,
            "attention_dropout": siglip_config.attention_dropout,
            "vision_use_head": bool(getattr(siglip_config, "vision_use_head", True)),
            "num_frames": num_frames,
            "temporal_start_layer": temporal_start_layer,
        }
        config_kwargs.update(config_overrides or {})
        model = cls(SoccerMasterVisionConfig(**config_kwargs))
        incompatible = model.load_state_dict(siglip.state_dict(), strict=False)
        allowed_missing = ("temporal_", "embeddings.position_ids")
        missing = [key for key in incompatible.missing_keys if not any(part in key for part in allowed_missing)]
        if missing or incompatible.unexpected_keys:
            raise ValueError(
                f"SigLIP checkpoint {pretrained_model_name_or_path!r} does not match the backbone layout: "
                f"missing={missing[:10]} unexpected={incompatible.unexpected_keys[:10]}"
            )
        model.config._name_or_path = str(pretrained_model_name_or_path)
        return model.eval()

    def get_temporal_embedding(self, num_frames: int) -> torch.Tensor:
        """The temporal embedding for a clip of `num_frames` frames, shape `(num_frames, hidden_size)`.

        Rule: with `num_frames == config.num_frames` the learned table is used as is. Otherwise the table is resampled
        with linear interpolation along time, `align_corners=True`, so that the first and last frames of any clip keep
        the first and last learned rows and intermediate frames get the row of the same *relative* position in the
        clip (a clip is treated as spanning the same interval whatever its length, which is how both the 25-fps spatial
        clips and the 1-fps semantic clips were trained). A single frame gets the first row.
        """
        return resample_frame_table(self.temporal_embedding, num_frames)

    def temporal_forward(
        self, spatial_hidden_state: torch.Tensor, **kwargs: Unpack[TransformersKwargs]
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The video-mode stack after the spatial layers: temporal embedding, the spatio-temporal layers,
        `post_layernorm` and the per-frame attention pooling.

        Takes F_spa of shape `(batch_size, num_frames, num_patches, hidden_size)` (e.g. the `spatial_hidden_state` of
        frames that went through the backbone one by one in image mode, gathered at 1 fps) and returns
        `(last_hidden_state, pooler_output)` with `pooler_output` (F_sem) of shape `(batch_size, num_frames,
        hidden_size)` (`None` without a pooling head). `forward` in video mode is the spatial layers then this, so
        the two paths give the same F_sem.
        """
        if spatial_hidden_state.ndim != 4:
            raise ValueError("`spatial_hidden_state` must have shape (batch, frames, patches, hidden); got "
                             f"{tuple(spatial_hidden_state.shape)}.")
        batch_size, num_frames, num_patches, hidden_size = spatial_hidden_state.shape
        layers = self.encoder.layers
        start = self.config.temporal_start_layer
        hidden_states = spatial_hidden_state
        if start < len(layers):
            # (batch, frames, patches, hidden) + (1, frames, 1, hidden) broadcast over batch and patches
            temporal = self.get_temporal_embedding(num_frames).to(hidden_states.dtype)
            hidden_states = hidden_states + temporal[None, :, None, :]
        for layer in layers[start:]:
            hidden_states = layer(hidden_states, **kwargs)
        last_hidden_state = self.post_layernorm(hidden_states)
        pooler_output = None
        if self.head is not None:
            # per frame: (batch * frames, patches, hidden) -> (batch, frames, hidden)
            pooled = self.head(last_hidden_state.reshape(batch_size * num_frames, num_patches, hidden_size))
            pooler_output = pooled.view(batch_size, num_frames, hidden_size)
        return last_hidden_state, pooler_output

    @_temporal_attentions_follow_attentions
    @capture_outputs(tie_last_hidden_states=False)
    def forward(self, pixel_values: torch.Tensor, **kwargs: Unpack[TransformersKwargs]) -> SoccerMasterVisionModelOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor`):
                `(batch_size, num_channels, height, width)` for image mode or
                `(batch_size, num_frames, num_channels, height, width)` for video mode, normalised as the processors
                do (mean = std = 0.5). Height and width must be multiples of `patch_size`.
            kwargs ([`~transformers.utils.TransformersKwargs`]):
                `output_hidden_states` (the embedding output and the output of every layer), `output_attentions`
                (attention probabilities, computed with the eager path for this call), `return_dict`. Unknown keyword
                arguments raise a `TypeError`.
        """
        kwargs.pop("output_temporal_attentions", None)
        check_forward_kwargs(self, kwargs)
        config = self.config
        if kwargs.get("output_attentions") is None and config.output_attentions:
            kwargs["output_attentions"] = True
        if not isinstance(pixel_values, torch.Tensor):
            raise TypeError(f"`pixel_values` must be a torch.Tensor, got {type(pixel_values).__name__}.")
        if pixel_values.ndim == 4:
            video_mode = False
            batch_size, num_channels, height, width = pixel_values.shape
            num_frames = 1
            frames = pixel_values
        elif pixel_values.ndim == 5:
            video_mode = True
            batch_size, num_frames, num_channels, height, width = pixel_values.shape
            # (batch, frames, channels, height, width) -> (batch * frames, channels, height, width), batch-major
            frames = pixel_values.reshape(batch_size * num_frames, num_channels, height, width)
        else:
            raise ValueError(
                "`pixel_values` must have shape (batch, channels, height, width) for images or "
                f"(batch, frames, channels, height, width) for videos; got {tuple(pixel_values.shape)}."
            )
        if num_channels != config.num_channels:
            raise ValueError(
                f"`pixel_values` has {num_channels} channels but the model expects {config.num_channels} "
                f"(shape {tuple(pixel_values.shape)}; is the channel axis in the right place?)."
            )
        if height % config.patch_size or width % config.patch_size or height == 0 or width == 0:
            raise ValueError(
                f"Image height and width must be positive multiples of patch_size={config.patch_size}; got "
                f"{height}x{width}. Use SoccerMasterImageProcessor / SoccerMasterVideoProcessor to resize."
            )
        if batch_size == 0 or num_frames == 0:
            raise ValueError(f"`pixel_values` is empty: shape {tuple(pixel_values.shape)}.")
        # The check reads the tensor's values: done on CPU only, where it costs no device synchronisation.
        if (pixel_values.device.type == "cpu" and not torch.compiler.is_compiling() and pixel_values.is_floating_point()
                and not bool(torch.isfinite(pixel_values).all())):
            raise ValueError("`pixel_values` contains NaN or infinite values.")

        hidden_states = self.embeddings(frames)
        num_patches, hidden_size = hidden_states.shape[-2:]
        if video_mode:  # layers take (batch, frames, patches, hidden) in video mode
            hidden_states = hidden_states.view(batch_size, num_frames, num_patches, hidden_size)
        layers = self.encoder.layers
        start = config.temporal_start_layer
        for layer in layers[:start]:
            hidden_states = layer(hidden_states, **kwargs)
        spatial_hidden_state = hidden_states

        pooler_output = None
        if video_mode:
            last_hidden_state, pooler_output = self.temporal_forward(hidden_states, **kwargs)
        else:
            last_hidden_state = spatial_hidden_state
        return SoccerMasterVisionModelOutput(
            spatial_hidden_state=spatial_hidden_state,
            last_hidden_state=last_hidden_state,
            pooler_output=pooler_output,
        )


def vision_extras(vision_outputs: ModelOutput | None) -> dict:
    """The backbone's optional outputs (`hidden_states`, `attentions`, `temporal_attentions`) for a head's output."""
    if vision_outputs is None:
        return {}
    return {key: vision_outputs.get(key) for key in ("hidden_states", "attentions", "temporal_attentions")}


__all__ = [
    "SoccerMasterPreTrainedModel",
    "SoccerMasterVisionModel",
    "SoccerMasterVisionModelOutput",
]
