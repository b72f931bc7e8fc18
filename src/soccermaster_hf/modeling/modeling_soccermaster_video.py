# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Semantic heads on F_sem: event classification (Psi_e) and video-text alignment (Psi_a).

Ships as Hub remote code: sibling-relative imports only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import EVENT_KEYWORDS, SoccerMasterConfig, SoccerMasterEventConfig
from .modeling_soccermaster import (
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionModel,
    SoccerMasterVisionModelOutput,
    check_forward_kwargs,
    resample_frame_table,
    vision_extras,
)


def build_text_encoder(config) -> nn.Module | None:
    """The text tower from its config: `AutoModel`, or the text-only class of a dual encoder (SigLIP, SigLIP2, CLIP),
    which `AutoModel` does not map."""
    if config is None:
        return None
    try:
        return AutoModel.from_config(config)
    except ValueError:
        import transformers

        name = {"siglip_text_model": "SiglipTextModel", "siglip2_text_model": "Siglip2TextModel",
                "clip_text_model": "CLIPTextModel"}.get(config.model_type)
        if name is None:
            raise
        return getattr(transformers, name)._from_config(config)


# --------------------------------------------------------------------------------------------------------------------
# Event classification
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterVideoClassifierOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): cross-entropy, when `labels` are given.
    logits (`torch.FloatTensor` of shape `(batch_size, num_labels)`): event logits (softmax over the keywords).
    features (`torch.FloatTensor` of shape `(batch_size, hidden_size)`): pooled clip features before the classifier.
    pooler_output (`torch.FloatTensor` of shape `(batch_size, num_frames, hidden_size)`): F_sem.
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    features: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


class SoccerMasterEventHead(nn.Module):
    """F_sem -> LayerNorm -> Transformer encoder over frames -> mean over frames -> LayerNorm -> Linear.

    The authors' ``CaptionClassificationHead`` (post-norm `nn.TransformerEncoder`, heads = hidden // 64, ReLU FFN of
    4 x hidden, dropout 0), with the same parameter names (`classifier_ln1`, `transformer_encoder`, `classifier_ln2`,
    `classifier`).
    """

    def __init__(self, config: SoccerMasterEventConfig, hidden_size: int):
        super().__init__()
        num_heads = max(1, hidden_size // config.head_dim)
        eps = config.layer_norm_eps
        self.classifier_ln1 = nn.LayerNorm(hidden_size, eps=eps)
        layer = nn.TransformerEncoderLayer(
            d_model=hidden_size, nhead=num_heads, dim_feedforward=config.ffn_multiplier * hidden_size,
            dropout=float(config.dropout), activation="relu", batch_first=True, norm_first=False, layer_norm_eps=eps,
        )
        self.transformer_encoder = nn.TransformerEncoder(layer, num_layers=config.num_layers, enable_nested_tensor=False)
        self.classifier_ln2 = nn.LayerNorm(hidden_size, eps=eps)
        self.classifier = nn.Linear(hidden_size, len(config.id2label))
        # our option (config.frame_position_embeddings > 0); the authors' head has none
        self.frame_embeddings = (nn.Parameter(torch.zeros(config.frame_position_embeddings, hidden_size))
                                 if config.frame_position_embeddings else None)

    def frame_embedding(self, num_frames: int) -> torch.Tensor:
        """The `(num_frames, hidden)` frame-position embeddings, resampled as the backbone's temporal embedding is."""
        return resample_frame_table(self.frame_embeddings, num_frames)

    def forward(self, semantic_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(batch, frames, hidden)` -> `(logits (batch, num_labels), features (batch, hidden))`."""
        hidden = self.classifier_ln1(semantic_features)
        if self.frame_embeddings is not None:
            hidden = hidden + self.frame_embedding(hidden.shape[1]).to(hidden.dtype)
        hidden = self.transformer_encoder(hidden)
        features = self.classifier_ln2(hidden.mean(dim=1))
        return self.classifier(features), features


def grid_pool(last_hidden_state: torch.Tensor, grid_size: int) -> torch.Tensor:
    """Each frame's patch tokens averaged on a `grid_size` x `grid_size` grid (adaptive average pooling of the square
    patch grid, row-major cells): `(batch, frames, patches, hidden)` -> `(batch, frames, grid_size**2, hidden)`."""
    if last_hidden_state.ndim != 4:
        raise ValueError("the grid event head needs the backbone's last hidden state of shape (batch, frames, "
                         f"patches, hidden); got {tuple(last_hidden_state.shape)}.")
    batch, frames, patches, hidden = last_hidden_state.shape
    side = int(round(patches ** 0.5))
    if side * side != patches:
        raise ValueError(f"the grid event head needs a square patch grid; got {patches} patches per frame.")
    tokens = last_hidden_state.reshape(batch * frames, side, side, hidden).permute(0, 3, 1, 2)
    cells = nn.functional.adaptive_avg_pool2d(tokens, grid_size)  # (batch * frames, hidden, grid, grid)
    return cells.flatten(2).transpose(1, 2).reshape(batch, frames, grid_size ** 2, hidden)


class SoccerMasterGridEventHead(nn.Module):
    """Tokens on a time x space grid -> per-cell LayerNorm -> Linear (`event_config.head_type = "grid_linear"`, ours).

    The backbone's last hidden state `(batch, frames, patches, hidden)`: each frame's patch tokens averaged on a
    `grid_size` x `grid_size` grid (:meth:`pool`, adaptive average pooling of the square patch grid), the frames
    averaged into `time_bins` equal spans, each of the `time_bins x grid_size**2` cells normalised (one shared
    LayerNorm), and a linear classifier on all of them. Where the authors' head sees one pooled vector per frame,
    this one keeps where things happen in the frame and roughly when (README, *Event head*).
    """

    needs_tokens = True

    def __init__(self, config: SoccerMasterEventConfig, hidden_size: int):
        super().__init__()
        self.grid_size, self.time_bins = config.grid_size, config.time_bins
        self.grid_norm = nn.LayerNorm(hidden_size, eps=config.layer_norm_eps)
        self.classifier = nn.Linear(config.time_bins * config.grid_size ** 2 * hidden_size, len(config.id2label))

    def pool(self, last_hidden_state: torch.Tensor) -> torch.Tensor:
        """`(batch, frames, patches, hidden)` -> `(batch, frames, grid_size**2, hidden)` (:func:`grid_pool`)."""
        return grid_pool(last_hidden_state, self.grid_size)

    def forward(self, grid_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(batch, frames, grid_size**2, hidden)` (:meth:`pool`) -> `(logits (batch, num_labels), features (batch,
        hidden))`; `features` is the mean of the normalised cells."""
        batch, frames, cells, hidden = grid_features.shape
        # frames -> time_bins equal spans (adaptive: a clip of another length is binned the same way)
        binned = nn.functional.adaptive_avg_pool1d(grid_features.permute(0, 2, 3, 1).reshape(batch, cells * hidden,
                                                                                              frames), self.time_bins)
        binned = binned.reshape(batch, cells, hidden, self.time_bins).permute(0, 3, 1, 2)  # (batch, bins, cells, hid)
        normed = self.grid_norm(binned)
        return self.classifier(normed.flatten(1)), normed.mean(dim=(1, 2))


def build_event_head(config: SoccerMasterEventConfig, hidden_size: int) -> nn.Module:
    """The event head `config.head_type` names."""
    if config.head_type == "grid_linear":
        return SoccerMasterGridEventHead(config, hidden_size)
    return SoccerMasterEventHead(config, hidden_size)


def event_head_forward(head: nn.Module, pooler_output: torch.Tensor | None,
                       last_hidden_state: torch.Tensor | None = None, cast: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """`(logits, features)` of either event head: the authors' reads F_sem `(batch, frames, hidden)`, the grid head
    the last hidden state `(batch, frames, patches, hidden)`; `cast`: in the head's dtype first (not under autocast,
    where the training step leaves dtypes to autocast)."""
    dtype = head.classifier.weight.dtype
    if getattr(head, "needs_tokens", False):
        if last_hidden_state is None:
            raise ValueError("this model's event head (head_type 'grid_linear') reads the backbone's tokens: pass "
                             "pixel_values (a precomputed pooler_output is not enough).")
        return head(head.pool(last_hidden_state.to(dtype) if cast else last_hidden_state))
    if pooler_output is None:
        raise ValueError("the event head needs F_sem (`pooler_output`).")
    return head(pooler_output.to(dtype) if cast else pooler_output)


class SoccerMasterForVideoClassification(SoccerMasterPreTrainedModel):
    """Backbone (video mode) + event head. `config.id2label` = the event keywords (default: the authors' 23).

    Works with `pipeline("video-classification", model=model, image_processor=SoccerMasterImageProcessor(...))`.
    """

    config_class = SoccerMasterConfig

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.event_head = build_event_head(config.event_config, config.vision_config.hidden_size)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        pooler_output: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterVideoClassifierOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, height, width)`): a semantic clip
                (the authors: 30 frames at 1 fps). A 4-D input is treated as a batch of one-frame clips.
            labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*): event indices in `config.id2label`.
            pooler_output (`torch.FloatTensor`, *optional*): precomputed F_sem `(batch_size, num_frames, hidden)`.
        """
        check_forward_kwargs(self, kwargs)
        pooler_output, vision_outputs = semantic_features(self, pixel_values, pooler_output, **kwargs)
        logits, features = event_head_forward(self.event_head, pooler_output,
                                              None if vision_outputs is None else vision_outputs.last_hidden_state)
        loss = None
        if labels is not None:
            labels = torch.as_tensor(labels, device=logits.device).long().reshape(-1)
            if labels.numel() and (labels.min() < 0 or labels.max() >= logits.shape[-1]):
                raise ValueError(f"event labels must lie in [0, {logits.shape[-1] - 1}], got {labels.tolist()}.")
            loss = nn.functional.cross_entropy(logits, labels,
                                               label_smoothing=float(self.config.event_config.label_smoothing))
        return SoccerMasterVideoClassifierOutput(loss=loss, logits=logits, features=features,
                                                 pooler_output=pooler_output, **vision_extras(vision_outputs))


def semantic_features(
    model: SoccerMasterPreTrainedModel, pixel_values: torch.Tensor | None, pooler_output: torch.Tensor | None = None,
    **kwargs: Unpack[TransformersKwargs],
) -> tuple[torch.Tensor, SoccerMasterVisionModelOutput | None]:
    """F_sem `(batch_size, num_frames, hidden)` of clips (a 4-D input is a batch of one-frame clips) and the backbone's
    output; a precomputed `pooler_output` is returned unchanged."""
    if pooler_output is not None:
        return pooler_output, None
    if pixel_values is None:
        raise ValueError("Pass `pixel_values` (or a precomputed F_sem as `pooler_output`).")
    if pixel_values.ndim == 4:
        pixel_values = pixel_values.unsqueeze(1)
    outputs = model.vision_model(pixel_values, **kwargs)
    return outputs.pooler_output, outputs


# --------------------------------------------------------------------------------------------------------------------
# Video-text alignment
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): SigLIP sigmoid loss, when `return_loss=True`.
    logits_per_video (`torch.FloatTensor` of shape `(num_videos, num_texts)`): `cos * exp(logit_scale) + logit_bias`.
    logits_per_text (`torch.FloatTensor` of shape `(num_texts, num_videos)`): the transpose.
    logits_per_image (`torch.FloatTensor` of shape `(num_videos, num_texts)`): `logits_per_video` under the name
        transformers' `zero-shot-image-classification` pipeline reads (an image is a one-frame clip).
    video_embeds (`torch.FloatTensor` of shape `(num_videos, hidden_size)`): L2-normalised mean over frames of F_sem.
    text_embeds (`torch.FloatTensor` of shape `(num_texts, text_hidden_size)`): L2-normalised pooled text features.
    valid_text_mask (`torch.BoolTensor` of shape `(num_texts,)`): texts with a non-zero embedding (clips without
        commentary are fed as zeros and excluded from the loss).
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's.
    """

    loss: torch.FloatTensor | None = None
    logits_per_video: torch.FloatTensor | None = None
    logits_per_text: torch.FloatTensor | None = None
    logits_per_image: torch.FloatTensor | None = None
    video_embeds: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None
    valid_text_mask: torch.BoolTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


def alignment_labels(
    num: int, keywords: Sequence[str] | None, extra_positive_keywords: Sequence[str], device
) -> torch.Tensor:
    """`+1` on the diagonal and for same-keyword pairs whose keyword is an extra positive; `-1` elsewhere."""
    labels = -torch.ones(num, num, device=device)
    labels.fill_diagonal_(1.0)
    if keywords is not None:
        extra = set(extra_positive_keywords)
        for i, first in enumerate(keywords):
            for j, second in enumerate(keywords):
                if first is not None and first == second and first in extra:
                    labels[i, j] = 1.0
    return labels


def sigmoid_alignment_loss(logits: torch.Tensor, labels: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """SigLIP loss `-sum(logsigmoid(label * logit)) / num_valid` over the rows/columns of valid (text-bearing) pairs."""
    mask = valid[:, None] & valid[None, :]
    count = int(valid.sum())
    if count == 0:
        return logits.sum() * 0.0
    return -(nn.functional.logsigmoid(labels * logits) * mask).sum() / count


def add_alignment_modules(model: nn.Module, config: SoccerMasterConfig) -> None:
    """The text tower (frozen by default) and the two learnable alignment scalars, on `model`."""
    model.text_model = build_text_encoder(config.text_encoder_config)
    if model.text_model is not None and config.freeze_text_encoder:
        model.text_model.requires_grad_(False)
    model.logit_scale = nn.Parameter(torch.tensor(float(config.logit_scale_init_value)))
    model.logit_bias = nn.Parameter(torch.tensor(float(config.logit_bias_init_value)))


def encode_texts(model: nn.Module, input_ids, attention_mask, text_embeds) -> torch.Tensor:
    """L2-normalised text embeddings: from `text_embeds`, or the pooled output of `model.text_model`."""
    if text_embeds is None:
        if model.text_model is None:
            raise ValueError("This model has no text encoder: pass `text_embeds` or set `text_encoder_config`.")
        outputs = model.text_model(input_ids=input_ids, attention_mask=attention_mask)
        pooled = getattr(outputs, "pooler_output", None)
        text_embeds = pooled if pooled is not None else outputs.last_hidden_state[:, 0]
    return nn.functional.normalize(text_embeds, dim=-1)


def alignment_forward(
    model: nn.Module, video_embeds: torch.Tensor, text_embeds: torch.Tensor, keywords, extra_positive_keywords,
    return_loss: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """`(logits (videos, texts), valid_text_mask, loss)` with the SigLIP sigmoid loss when `return_loss`."""
    logits = video_embeds @ text_embeds.t() * model.logit_scale.exp() + model.logit_bias
    valid = text_embeds.norm(dim=-1) > 1e-6
    loss = None
    if return_loss:
        if logits.shape[0] != logits.shape[1]:
            raise ValueError(f"Alignment needs one caption per clip: {logits.shape[0]} clips, {logits.shape[1]} "
                             "captions (use zeros for clips without one).")
        labels = alignment_labels(logits.shape[0], keywords, extra_positive_keywords, logits.device)
        loss = sigmoid_alignment_loss(logits.t(), labels.t(), valid)  # the authors use the text-major matrix
    return logits, valid, loss


def retrieval_accuracy(logits_per_video: torch.Tensor, top_k: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Video-to-text retrieval top-k accuracy when video i's caption is text i (the paper reports top-1 in batches of 48)."""
    num = logits_per_video.shape[0]
    ranks = logits_per_video.argsort(dim=-1, descending=True)
    target = torch.arange(num, device=logits_per_video.device)[:, None]
    return {f"top{k}": float((ranks[:, :k] == target).any(-1).float().mean()) for k in top_k}


class SoccerMasterModel(SoccerMasterPreTrainedModel):
    """Backbone + any Hugging Face text encoder (`config.text_encoder_config`), with the SigLIP sigmoid loss."""

    config_class = SoccerMasterConfig

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        add_alignment_modules(self, config)
        self.post_init()

    def get_video_features(self, pixel_values: torch.Tensor | None = None,
                           pooler_output: torch.Tensor | None = None) -> torch.Tensor:
        """L2-normalised mean over frames of F_sem, `(batch_size, hidden_size)`."""
        pooler_output, _ = semantic_features(self, pixel_values, pooler_output)
        return nn.functional.normalize(pooler_output.mean(dim=1), dim=-1)

    def get_text_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """L2-normalised pooled output of the text encoder, `(batch_size, text_hidden_size)`."""
        return encode_texts(self, input_ids, attention_mask, None)

    def alignment_logits(self, video_embeds: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
        return video_embeds @ text_embeds.t() * self.logit_scale.exp() + self.logit_bias

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        text_embeds: torch.Tensor | None = None,
        pooler_output: torch.Tensor | None = None,
        keywords: Sequence[str] | None = None,
        return_loss: bool | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, height, width)`): clips.
            input_ids, attention_mask: tokenised captions (padded to 64 like the authors).
            text_embeds (`torch.FloatTensor`, *optional*): precomputed (unnormalised) text embeddings instead.
            pooler_output (`torch.FloatTensor`, *optional*): precomputed F_sem instead of `pixel_values`.
            keywords (`list[str]`, *optional*): event keyword of each clip, for the extra positives of the loss.
            return_loss (`bool`, *optional*): compute the sigmoid loss (video i <-> text i positives).
        """
        check_forward_kwargs(self, kwargs)
        pooler_output, vision_outputs = semantic_features(self, pixel_values, pooler_output, **kwargs)
        video_embeds = nn.functional.normalize(pooler_output.mean(dim=1), dim=-1)
        text_embeds = encode_texts(self, input_ids, attention_mask, text_embeds)
        logits, valid, loss = alignment_forward(self, video_embeds, text_embeds, keywords,
                                                self.config.alignment_extra_positive_keywords, bool(return_loss))
        return SoccerMasterOutput(loss=loss, logits_per_video=logits, logits_per_text=logits.t(),
                                  logits_per_image=logits,
                                  video_embeds=video_embeds, text_embeds=text_embeds, valid_text_mask=valid,
                                  **vision_extras(vision_outputs))


__all__ = [
    "EVENT_KEYWORDS",
    "SoccerMasterEventHead",
    "SoccerMasterGridEventHead",
    "build_event_head",
    "event_head_forward",
    "grid_pool",
    "SoccerMasterForVideoClassification",
    "SoccerMasterModel",
    "SoccerMasterOutput",
    "SoccerMasterVideoClassifierOutput",
    "alignment_labels",
    "retrieval_accuracy",
    "semantic_features",
    "sigmoid_alignment_loss",
]
