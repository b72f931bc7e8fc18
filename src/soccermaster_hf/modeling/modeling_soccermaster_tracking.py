"""MOTIP-style multi-object tracking: the detection head's embeddings + an ID decoder that classifies each current
detection into one of K identities of the recent history, or "newborn".

Ported from the description of MOTIP ("Multiple Object Tracking as ID Prediction", Gao et al., CVPR 2025; github
MCG-NJU/MOTIP, `models/id_decoder.py`), with its published defaults in `SoccerMasterTrackingConfig`:

* token = detection embedding (last decoder layer of the detection head) concatenated with an ID embedding
  (`Linear(K + 1 -> id_size, bias=False)` on the one-hot label; label K is the current detections' special token and
  the "newborn" class); history features pass an adapter (FFN -> LayerNorm, twice, GELU), current ones go in raw;
* decoder layers (MOTIP: post-norm; ours by default pre-norm, `norm_first`, which learns the ID copy in a CPU
  budget): layer 0 cross-attention + FFN, later layers first self-attend among the detections of
  the same frame; queries = current detections, keys / values = history tokens; causal in time, with a learnable
  relative-time bias per (layer, frame distance, head) on the attention logits (zero-initialised) and a zero key /
  value every query can attend to (`nn.MultiheadAttention`'s `add_zero_attn`, as MOTIP);
* output: `Linear(id_size -> K + 1, bias=False)` on the ID half of the output tokens;
* ours: a sine embedding of the box (normalised cx, cy, w, h) projected and added to every feature (`box_embedding`):
  our detection embeddings carry little position, and appearance alone does not tell the players of a team apart.

The runtime (thresholds, object-max / Hungarian assignment, label recycling) is
`soccermaster_hf.tracking.motip.MOTIPTracker`; training (MOTIP's clip sampling, ID-label groups, trajectory occlusion
and switch augmentation) is `soccermaster_hf.training.tracking`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import SoccerMasterConfig, SoccerMasterTrackingConfig
from .modeling_soccermaster import SoccerMasterPreTrainedModel, SoccerMasterVisionModel, check_forward_kwargs
from .modeling_soccermaster_detection import (
    SoccerMasterDetectionHead,
    SoccerMasterObjectDetectionOutput,
    detection_output,
)

__all__ = [
    "SoccerMasterForMultiObjectTracking",
    "SoccerMasterIDDecoder",
    "SoccerMasterMultiObjectTrackingOutput",
]


class SoccerMasterIDAttention(nn.Module):
    """Multi-head attention with `q_proj` / `k_proj` / `v_proj` / `out_proj` (LoRA targets as in the backbone), an
    additive per-head bias and, optionally, a zero key / value (`add_zero_attn`)."""

    def __init__(self, dim: int, num_heads: int, dropout: float, add_zero_attention: bool):
        super().__init__()
        self.num_heads, self.head_dim, self.dropout = num_heads, dim // num_heads, float(dropout)
        self.add_zero_attention = add_zero_attention
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, query: torch.Tensor, key: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """query `(batch, queries, dim)`, key `(batch, keys, dim)`, bias `(batch, heads, queries, keys)` (`-inf`:
        not attended) -> `(batch, queries, dim)`."""
        batch, queries, dim = query.shape

        def heads(tensor: torch.Tensor) -> torch.Tensor:
            return tensor.view(batch, tensor.shape[1], self.num_heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(query)), heads(self.k_proj(key)), heads(self.v_proj(key))
        if self.add_zero_attention:
            k, v = F.pad(k, (0, 0, 0, 1)), F.pad(v, (0, 0, 0, 1))
            bias = F.pad(bias, (0, 1))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype),
                                             dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(out.transpose(1, 2).reshape(batch, queries, dim))


class SoccerMasterIDDecoderLayer(nn.Module):
    """[self-attention among the frame's detections ->] cross-attention to the history -> FFN; pre-norm
    (`norm_first`) or post-norm (MOTIP's)."""

    def __init__(self, config: SoccerMasterTrackingConfig, dim: int, self_attention: bool):
        super().__init__()
        heads, dropout = config.num_attention_heads, config.dropout
        self.self_attn = SoccerMasterIDAttention(dim, heads, dropout, False) if self_attention else None
        self.self_attn_layer_norm = nn.LayerNorm(dim) if self_attention else None
        self.cross_attn = SoccerMasterIDAttention(dim, heads, dropout, True)
        self.cross_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1, self.fc2 = nn.Linear(dim, config.ffn_dim), nn.Linear(config.ffn_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(float(dropout))
        self.norm_first = bool(config.norm_first)

    def _ffn(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc2(self.dropout(F.relu(self.fc1(hidden)))))

    def forward(self, hidden: torch.Tensor, memory: torch.Tensor, self_bias: torch.Tensor,
                cross_bias: torch.Tensor) -> torch.Tensor:
        if self.norm_first:
            if self.self_attn is not None:
                normed = self.self_attn_layer_norm(hidden)
                hidden = hidden + self.dropout(self.self_attn(normed, normed, self_bias))
            hidden = hidden + self.dropout(self.cross_attn(self.cross_attn_layer_norm(hidden), memory, cross_bias))
            return hidden + self._ffn(self.final_layer_norm(hidden))
        if self.self_attn is not None:
            hidden = self.self_attn_layer_norm(hidden + self.dropout(self.self_attn(hidden, hidden, self_bias)))
        hidden = self.cross_attn_layer_norm(hidden + self.dropout(self.cross_attn(hidden, memory, cross_bias)))
        return self.final_layer_norm(hidden + self._ffn(hidden))


class SoccerMasterIDAdapterBlock(nn.Module):
    """FFN (ratio `adapter_ratio`, GELU) with a residual, then LayerNorm: MOTIP's history-feature adapter block."""

    def __init__(self, size: int, ratio: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(size, size * ratio), nn.Linear(size * ratio, size)
        self.layer_norm = nn.LayerNorm(size)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(features + self.fc2(F.gelu(self.fc1(features))))


class SoccerMasterBoxEmbedding(nn.Module):
    """Sine embedding of a normalised box ``(cx, cy, w, h)`` (DETR's, 2 pi scale, temperature 10000; `size // 4`
    frequencies per coordinate, padded to `size`) followed by a linear projection."""

    def __init__(self, size: int):
        super().__init__()
        self.num_frequencies = max(1, size // 8)
        self.projection = nn.Linear(8 * self.num_frequencies, size)

    def forward(self, boxes: torch.Tensor) -> torch.Tensor:
        exponent = torch.arange(self.num_frequencies, device=boxes.device, dtype=boxes.dtype) / self.num_frequencies
        angles = boxes[..., None] * (2 * torch.pi) / (10000.0 ** exponent)  # (..., 4, frequencies)
        return self.projection(torch.cat([angles.sin(), angles.cos()], dim=-1).flatten(-2))


class SoccerMasterIDDecoder(nn.Module):
    """MOTIP's ID decoder over detection embeddings of width `feature_size` (see the module docstring)."""

    def __init__(self, config: SoccerMasterTrackingConfig, feature_size: int):
        super().__init__()
        self.config = config
        self.feature_size = feature_size
        self.id_size = config.id_embedding_size or feature_size
        dim = feature_size + self.id_size
        if dim % config.num_attention_heads:
            raise ValueError(f"tracking token width {dim} (detection {feature_size} + ID {self.id_size}) must be "
                             f"divisible by tracking_config.num_attention_heads ({config.num_attention_heads}).")
        self.id_embedding = nn.Linear(config.num_ids + 1, self.id_size, bias=False)
        self.box_embedding = SoccerMasterBoxEmbedding(feature_size) if config.box_embedding else None
        self.history_adapter = nn.Sequential(*(SoccerMasterIDAdapterBlock(feature_size, config.adapter_ratio)
                                               for _ in range(2)))
        self.layers = nn.ModuleList(SoccerMasterIDDecoderLayer(config, dim, index > 0)
                                    for index in range(config.num_layers))
        # bias[layer, frame distance - 1, head] on the cross-attention logits (MOTIP: zero-initialised)
        self.relative_time_bias = nn.Parameter(torch.zeros(config.num_layers, config.history_length,
                                                           config.num_attention_heads))
        self.id_head = nn.Linear(self.id_size, config.num_ids + 1, bias=False)
        # input standardisation of the detection embeddings (their per-dimension mean and std over the training
        # tokens, set by `set_feature_statistics`): raw decoder states share a large common direction (mean pairwise
        # cosine ~0.8), which keeps attention uniform and the ID copy from being learned
        self.register_buffer("feature_mean", torch.zeros(feature_size))
        self.register_buffer("feature_std", torch.ones(feature_size))

    @torch.no_grad()
    def set_feature_statistics(self, features: torch.Tensor) -> None:
        """Standardise inputs with the mean and std of `features` `(num_tokens, feature_size)` (training tokens)."""
        if features.ndim != 2 or features.shape[-1] != self.feature_size or len(features) < 2:
            raise ValueError(f"feature statistics need (num_tokens >= 2, {self.feature_size}) features, got "
                             f"{tuple(features.shape)}.")
        features = features.to(self.feature_mean)
        self.feature_mean.copy_(features.mean(0))
        self.feature_std.copy_(features.std(0).clamp_min(1e-6))

    def forward(
        self,
        current_features: torch.Tensor,
        current_times: torch.Tensor,
        current_mask: torch.Tensor,
        history_features: torch.Tensor,
        history_labels: torch.Tensor,
        history_times: torch.Tensor,
        history_mask: torch.Tensor,
        current_boxes: torch.Tensor | None = None,
        history_boxes: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """ID logits `(batch, num_current, num_ids + 1)` (last column: newborn).

        Args:
            current_features: `(batch, num_current, feature_size)` embeddings of the detections to identify.
            current_times: `(batch, num_current)` their frame indices (int).
            current_mask: `(batch, num_current)` bool, `False` for padding.
            history_features: `(batch, num_history, feature_size)` embeddings of the tracked history.
            history_labels: `(batch, num_history)` their ID labels in `[0, num_ids)`.
            history_times: `(batch, num_history)` their frame indices; a current detection attends to the history
                tokens 1 to `history_length` frames before its own frame.
            history_mask: `(batch, num_history)` bool, `False` for padding / hidden tokens.
            current_boxes, history_boxes: `(batch, num_*, 4)` boxes as normalised `(cx, cy, w, h)` (needed with
                `tracking_config.box_embedding`).
        """
        config, num_ids = self.config, self.config.num_ids
        dtype = self.id_head.weight.dtype
        mean, std = self.feature_mean.to(dtype), self.feature_std.to(dtype)
        current_features = (current_features.to(dtype) - mean) / std
        history_features = (history_features.to(dtype) - mean) / std
        if self.box_embedding is not None:
            if current_boxes is None or history_boxes is None:
                raise ValueError("this ID decoder embeds the boxes (tracking_config.box_embedding): pass current_boxes "
                                 "and history_boxes (normalised cx, cy, w, h).")
            current_features = current_features + self.box_embedding(current_boxes.to(dtype))
            history_features = history_features + self.box_embedding(history_boxes.to(dtype))
        batch, num_current, _ = current_features.shape
        table = self.id_embedding.weight.t()  # (num_ids + 1, id_size): the embedding of each one-hot label
        special = table[num_ids].expand(batch, num_current, self.id_size)
        hidden = torch.cat([current_features, special], dim=-1)
        labels = history_labels.clamp(0, num_ids - 1)
        memory = torch.cat([self.history_adapter(history_features), F.embedding(labels, table)], dim=-1)

        distance = current_times[:, :, None] - history_times[:, None, :]  # (batch, current, history)
        allowed = history_mask[:, None, :] & (distance >= 1) & (distance <= config.history_length)
        index = (distance - 1).clamp(0, config.history_length - 1)
        blocked = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill_(~allowed, float("-inf"))
        same_frame = (current_times[:, :, None] == current_times[:, None, :]) & current_mask[:, None, :]
        same_frame |= torch.eye(num_current, dtype=torch.bool, device=same_frame.device)
        self_bias = torch.zeros(same_frame.shape, dtype=dtype, device=same_frame.device)
        self_bias = self_bias.masked_fill_(~same_frame, float("-inf"))[:, None]
        for layer, time_bias in zip(self.layers, self.relative_time_bias):
            cross_bias = time_bias[index].permute(0, 3, 1, 2) + blocked[:, None]  # (batch, heads, current, history)
            hidden = layer(hidden, memory, self_bias, cross_bias)
        return self.id_head(hidden[..., self.feature_size:])


@dataclass
class SoccerMasterMultiObjectTrackingOutput(ModelOutput):
    r"""
    Output of `SoccerMasterForMultiObjectTracking`.

    loss (`torch.FloatTensor` of shape `()`, *optional*): ID cross-entropy (x `tracking_config.loss_coefficient`) when
        `id_labels` are given, plus the detection loss when detection `labels` are given.
    loss_dict (`dict[str, torch.Tensor]`, *optional*): the terms (`loss_id`, and the detection terms).
    id_logits (`torch.FloatTensor` of shape `(batch_size, num_current, num_ids + 1)`, *optional*): ID logits of the
        current detections (last column: newborn), when the ID-decoder inputs are given.
    detection (`SoccerMasterObjectDetectionOutput`, *optional*): per-frame detections (boxes, logits, attributes and
        `last_hidden_state`, the embeddings the ID decoder reads), when `pixel_values` / `spatial_hidden_state` are
        given.
    hidden_states, attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's, with `output_hidden_states` /
        `output_attentions` (as in `detection`).
    """

    loss: torch.FloatTensor | None = None
    loss_dict: dict[str, torch.Tensor] | None = None
    id_logits: torch.FloatTensor | None = None
    detection: SoccerMasterObjectDetectionOutput | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


class SoccerMasterForMultiObjectTracking(SoccerMasterPreTrainedModel):
    """SoccerMaster backbone (image mode) + athlete detection head + MOTIP ID decoder.

    The backbone and detection head have the names of `SoccerMasterForObjectDetection`, so
    `from_pretrained(detection_checkpoint)` starts from a trained detector (the ID decoder is then initialised fresh).
    `forward` runs the detector on frames and / or the ID decoder on detection embeddings; tracking a video is
    `soccermaster_hf.tracking.motip.MOTIPTracker` (`soccermaster analyze --tracker motip`).

    Example:

    ```python
    >>> import torch
    >>> from soccermaster_hf import SoccerMasterConfig, SoccerMasterForMultiObjectTracking
    >>> config = SoccerMasterConfig.from_preset("tiny", tracking_config=dict(num_ids=8, num_layers=2,
    ...                                                                     num_attention_heads=4, ffn_dim=64))
    >>> model = SoccerMasterForMultiObjectTracking(config).eval()
    >>> frames = model(torch.randn(2, 3, 64, 64)).detection  # two frames
    >>> features = frames.last_hidden_state[:, :3]  # three detections per frame
    >>> boxes = frames.pred_boxes[:, :3]  # normalised (cx, cy, w, h)
    >>> logits = model(current_features=features[1:], current_times=torch.ones(1, 3, dtype=torch.long),
    ...                history_features=features[:1], history_labels=torch.tensor([[0, 1, 2]]),
    ...                history_times=torch.zeros(1, 3, dtype=torch.long), current_boxes=boxes[1:],
    ...                history_boxes=boxes[:1]).id_logits
    >>> tuple(logits.shape)
    (1, 3, 9)
    ```
    """

    config_class = SoccerMasterConfig
    _no_split_modules = SoccerMasterPreTrainedModel._no_split_modules + ["DeformableDetrDecoderLayer"]

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.detection_head = SoccerMasterDetectionHead(config.detection_config, config.vision_config.hidden_size)
        self.id_decoder = SoccerMasterIDDecoder(config.tracking_config, config.detection_config.hidden_size)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: list[dict] | None = None,
        spatial_hidden_state: torch.Tensor | None = None,
        current_features: torch.Tensor | None = None,
        current_times: torch.Tensor | None = None,
        current_mask: torch.Tensor | None = None,
        history_features: torch.Tensor | None = None,
        history_labels: torch.Tensor | None = None,
        history_times: torch.Tensor | None = None,
        history_mask: torch.Tensor | None = None,
        current_boxes: torch.Tensor | None = None,
        history_boxes: torch.Tensor | None = None,
        id_labels: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterMultiObjectTrackingOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor`, *optional*): frames `(batch_size, [num_frames,] 3, height, width)` for
                the detector (image mode, as `SoccerMasterForObjectDetection`).
            labels (`list[dict]`, *optional*): detection labels (see `SoccerMasterForObjectDetection`).
            spatial_hidden_state (`torch.FloatTensor`, *optional*): precomputed F_spa instead of `pixel_values`.
            current_features ... history_boxes: the ID-decoder inputs (see `SoccerMasterIDDecoder.forward`); the
                masks default to all-valid.
            id_labels (`torch.LongTensor` of shape `(batch_size, num_current)`, *optional*): target ID label of each
                current detection (`num_ids` = newborn, `-100` = ignored) for the cross-entropy.
        """
        check_forward_kwargs(self, kwargs)
        detection = None
        losses: dict[str, torch.Tensor] = {}
        if pixel_values is not None or spatial_hidden_state is not None:
            spatial, vision_outputs = self._spatial_features(pixel_values, spatial_hidden_state, **kwargs)
            detection = detection_output(self.detection_head, spatial, labels, vision_outputs)
            if detection.loss is not None:
                losses.update(detection.loss_dict or {"loss_detection": detection.loss})
        id_logits = None
        if current_features is not None:
            if history_features is None or history_labels is None or current_times is None or history_times is None:
                raise ValueError("the ID decoder needs current_features, current_times, history_features, "
                                 "history_labels and history_times.")
            if current_mask is None:
                current_mask = torch.ones(current_features.shape[:2], dtype=torch.bool, device=current_features.device)
            if history_mask is None:
                history_mask = torch.ones(history_features.shape[:2], dtype=torch.bool, device=history_features.device)
            id_logits = self.id_decoder(current_features, current_times, current_mask.bool(), history_features,
                                        history_labels, history_times, history_mask.bool(), current_boxes,
                                        history_boxes)
            if id_labels is not None:
                targets = id_labels.masked_fill(~current_mask.bool(), -100)
                if (targets != -100).any():
                    loss_id = F.cross_entropy(id_logits.flatten(0, 1).float(), targets.flatten(), ignore_index=-100)
                else:
                    loss_id = id_logits.sum() * 0.0
                losses["loss_id"] = loss_id * float(self.config.tracking_config.loss_coefficient)
        elif id_labels is not None:
            raise ValueError("id_labels need the ID-decoder inputs (current_features, history_features, ...).")
        if pixel_values is None and spatial_hidden_state is None and current_features is None:
            raise ValueError("Pass `pixel_values` (detections) and / or the ID-decoder inputs (`current_features`, ...).")
        loss = None
        if "loss_id" in losses or (detection is not None and detection.loss is not None):
            loss = losses.get("loss_id", 0.0) + (detection.loss if detection is not None and detection.loss is not None
                                                 else 0.0)
        return SoccerMasterMultiObjectTrackingOutput(
            loss=loss, loss_dict=losses or None, id_logits=id_logits, detection=detection,
            hidden_states=getattr(detection, "hidden_states", None), attentions=getattr(detection, "attentions", None))
