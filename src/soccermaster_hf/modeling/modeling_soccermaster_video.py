# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Semantic heads on F_sem: event classification (Psi_e), video-text alignment (Psi_a), and the multi-task
pre-training model that drives all five heads from one backbone.

Ships as Hub remote code: sibling-relative imports only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers import AutoModel
from transformers.utils import ModelOutput

from .configuration_soccermaster import EVENT_KEYWORDS, SoccerMasterConfig, SoccerMasterEventConfig
from .modeling_soccermaster import SoccerMasterPreTrainedModel, SoccerMasterVisionModel
from .modeling_soccermaster_detection import SoccerMasterDetectionHead, init_detection_weights
from .modeling_soccermaster_pitch import SoccerMasterPixelShuffleHead, pitch_heatmap_losses, pitch_targets


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
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    features: torch.FloatTensor | None = None
    pooler_output: torch.FloatTensor | None = None


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

    def forward(self, semantic_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(batch, frames, hidden)` -> `(logits (batch, num_labels), features (batch, hidden))`."""
        hidden = self.transformer_encoder(self.classifier_ln1(semantic_features))
        features = self.classifier_ln2(hidden.mean(dim=1))
        return self.classifier(features), features


class SoccerMasterForVideoClassification(SoccerMasterPreTrainedModel):
    """Backbone (video mode) + event head. `config.id2label` = the event keywords (default: the authors' 23).

    Works with `pipeline("video-classification", model=model, image_processor=SoccerMasterImageProcessor(...))`.
    """

    config_class = SoccerMasterConfig

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        # `event_config.id2label` is the source of truth; a custom top-level `id2label` (transformers' fine-tuning
        # idiom, `from_pretrained(..., id2label=...)`) replaces it. Pipelines read the top-level one.
        labels = dict(config.id2label or {})
        generic = set(labels.values()) <= {"LABEL_0", "LABEL_1"} or set(labels.values()) <= {"person", "ball"}
        if labels and not generic and labels != config.event_config.id2label:
            config.event_config.id2label = labels
            config.event_config.label2id = {name: index for index, name in labels.items()}
        config.id2label = dict(config.event_config.id2label)
        config.label2id = {name: index for index, name in config.id2label.items()}
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.event_head = SoccerMasterEventHead(config.event_config, config.vision_config.hidden_size)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        pooler_output: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SoccerMasterVideoClassifierOutput | tuple:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, height, width)`): a semantic clip
                (the authors: 30 frames at 1 fps). A 4-D input is treated as a batch of one-frame clips.
            labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*): event indices in `config.id2label`.
            pooler_output (`torch.FloatTensor`, *optional*): precomputed F_sem `(batch_size, num_frames, hidden)`.
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if pooler_output is None:
            if pixel_values is None:
                raise ValueError("Pass `pixel_values` (or a precomputed F_sem as `pooler_output`).")
            if pixel_values.ndim == 4:
                pixel_values = pixel_values.unsqueeze(1)
            pooler_output = self.vision_model(pixel_values).pooler_output
        logits, features = self.event_head(pooler_output)
        loss = None
        if labels is not None:
            labels = torch.as_tensor(labels, device=logits.device).long().reshape(-1)
            if labels.numel() and (labels.min() < 0 or labels.max() >= logits.shape[-1]):
                raise ValueError(f"event labels must lie in [0, {logits.shape[-1] - 1}], got {labels.tolist()}.")
            loss = nn.functional.cross_entropy(logits, labels,
                                               label_smoothing=float(self.config.event_config.label_smoothing))
        output = SoccerMasterVideoClassifierOutput(loss=loss, logits=logits, features=features,
                                                   pooler_output=pooler_output)
        return output if return_dict else output.to_tuple()


# --------------------------------------------------------------------------------------------------------------------
# Video-text alignment
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): SigLIP sigmoid loss, when `return_loss=True`.
    logits_per_video (`torch.FloatTensor` of shape `(num_videos, num_texts)`): `cos * exp(logit_scale) + logit_bias`.
    logits_per_text (`torch.FloatTensor` of shape `(num_texts, num_videos)`): the transpose.
    video_embeds (`torch.FloatTensor` of shape `(num_videos, hidden_size)`): L2-normalised mean over frames of F_sem.
    text_embeds (`torch.FloatTensor` of shape `(num_texts, text_hidden_size)`): L2-normalised pooled text features.
    valid_text_mask (`torch.BoolTensor` of shape `(num_texts,)`): texts with a non-zero embedding (clips without
        commentary are fed as zeros and excluded from the loss).
    """

    loss: torch.FloatTensor | None = None
    logits_per_video: torch.FloatTensor | None = None
    logits_per_text: torch.FloatTensor | None = None
    video_embeds: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None
    valid_text_mask: torch.BoolTensor | None = None


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


def init_alignment_scalars(model: nn.Module, config: SoccerMasterConfig) -> None:
    from transformers import initialization as init

    init.constant_(model.logit_scale, float(config.logit_scale_init_value))
    init.constant_(model.logit_bias, float(config.logit_bias_init_value))


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

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, SoccerMasterModel):
            init_alignment_scalars(module, self.config)

    def get_video_features(self, pixel_values: torch.Tensor | None = None,
                           pooler_output: torch.Tensor | None = None) -> torch.Tensor:
        """L2-normalised mean over frames of F_sem, `(batch_size, hidden_size)`."""
        if pooler_output is None:
            if pixel_values.ndim == 4:
                pixel_values = pixel_values.unsqueeze(1)
            pooler_output = self.vision_model(pixel_values).pooler_output
        return nn.functional.normalize(pooler_output.mean(dim=1), dim=-1)

    def get_text_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """L2-normalised pooled output of the text encoder, `(batch_size, text_hidden_size)`."""
        return encode_texts(self, input_ids, attention_mask, None)

    def alignment_logits(self, video_embeds: torch.Tensor, text_embeds: torch.Tensor) -> torch.Tensor:
        return video_embeds @ text_embeds.t() * self.logit_scale.exp() + self.logit_bias

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        text_embeds: torch.Tensor | None = None,
        pooler_output: torch.Tensor | None = None,
        keywords: Sequence[str] | None = None,
        return_loss: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SoccerMasterOutput | tuple:
        r"""
        Args:
            pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, height, width)`): clips.
            input_ids, attention_mask: tokenised captions (padded to 64 like the authors).
            text_embeds (`torch.FloatTensor`, *optional*): precomputed (unnormalised) text embeddings instead.
            pooler_output (`torch.FloatTensor`, *optional*): precomputed F_sem instead of `pixel_values`.
            keywords (`list[str]`, *optional*): event keyword of each clip, for the extra positives of the loss.
            return_loss (`bool`, *optional*): compute the sigmoid loss (video i <-> text i positives).
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        video_embeds = self.get_video_features(pixel_values, pooler_output)
        text_embeds = encode_texts(self, input_ids, attention_mask, text_embeds)
        logits, valid, loss = alignment_forward(self, video_embeds, text_embeds, keywords,
                                                self.config.alignment_extra_positive_keywords, bool(return_loss))
        output = SoccerMasterOutput(loss=loss, logits_per_video=logits, logits_per_text=logits.t(),
                                    video_embeds=video_embeds, text_embeds=text_embeds, valid_text_mask=valid)
        return output if return_dict else output.to_tuple()


# --------------------------------------------------------------------------------------------------------------------
# Multi-task pre-training
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterForPreTrainingOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): weighted sum of the terms of the batches given.
    loss_dict (`dict[str, torch.FloatTensor]`): every term (`loss_detection`, `loss_keypoints`, `loss_lines`,
        `loss_events`, `loss_alignment`, and the detection sub-terms).
    detection (`dict`, *optional*): detection predictions of the spatial batch.
    keypoint_heatmaps, line_heatmaps (`torch.FloatTensor`, *optional*): pitch heatmaps of the spatial batch.
    event_logits (`torch.FloatTensor`, *optional*): `(batch_size, num_events)` of the semantic batch.
    logits_per_video (`torch.FloatTensor`, *optional*): alignment logits of the semantic batch.
    """

    loss: torch.FloatTensor | None = None
    loss_dict: dict | None = None
    detection: dict | None = None
    keypoint_heatmaps: torch.FloatTensor | None = None
    line_heatmaps: torch.FloatTensor | None = None
    event_logits: torch.FloatTensor | None = None
    logits_per_video: torch.FloatTensor | None = None


class SoccerMasterForPreTraining(SoccerMasterPreTrainedModel):
    """One backbone, five heads (detection, keypoints, lines, events, alignment), as the authors pre-train.

    A *spatial* batch (clips of consecutive frames, `spatial_pixel_values`) drives detection, keypoints and lines
    through F_spa; a *semantic* batch (1-fps clips, `semantic_pixel_values`) drives events and alignment through
    F_sem. Either may be omitted. The authors backpropagate each batch's loss separately and step once; call the
    model once per batch to do the same (see `soccermaster_hf.training`).
    """

    config_class = SoccerMasterConfig
    _no_split_modules = SoccerMasterPreTrainedModel._no_split_modules + ["DeformableDetrDecoderLayer"]

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        hidden = config.vision_config.hidden_size
        pitch = config.pitch_config
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.detection_head = SoccerMasterDetectionHead(config.detection_config, hidden)
        self.keypoint_head = SoccerMasterPixelShuffleHead(pitch, hidden, pitch.num_keypoints + 1, "softmax")
        self.line_head = SoccerMasterPixelShuffleHead(pitch, hidden, pitch.num_lines + 1, "sigmoid")
        self.event_head = SoccerMasterEventHead(config.event_config, hidden)
        add_alignment_modules(self, config)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        init_detection_weights(module)
        if isinstance(module, SoccerMasterForPreTraining):
            init_alignment_scalars(module, self.config)

    def head_modules(self) -> dict[str, nn.Module]:
        """Modules clipped separately by per-module gradient clipping (the authors: backbone and each head)."""
        heads = {"backbone": self.vision_model, "detection": self.detection_head, "keypoints": self.keypoint_head,
                 "lines": self.line_head, "events": self.event_head}
        return heads

    def forward(
        self,
        spatial_pixel_values: torch.Tensor | None = None,
        detection_labels: list | None = None,
        pitch_labels: list | None = None,
        semantic_pixel_values: torch.Tensor | None = None,
        event_labels: torch.LongTensor | None = None,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        text_embeds: torch.Tensor | None = None,
        keywords: Sequence[str] | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SoccerMasterForPreTrainingOutput | tuple:
        r"""
        Args:
            spatial_pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, H, W)`): spatial clips.
            detection_labels (`list`, *optional*): per-frame detection label dicts (see `SoccerMasterForObjectDetection`).
            pitch_labels (`list`, *optional*): per-frame pitch label dicts (see `pitch_targets`).
            semantic_pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, H, W)`): semantic clips.
            event_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*): event indices.
            input_ids, attention_mask / text_embeds: captions of the semantic clips (rows of zeros = no caption).
            keywords (`list[str]`, *optional*): event keyword per semantic clip (extra alignment positives).
        """
        from .loss_soccermaster import SoccerMasterDetectionLoss

        config = self.config
        return_dict = return_dict if return_dict is not None else config.return_dict
        loss_dict: dict[str, torch.Tensor] = {}
        weighted: list[torch.Tensor] = []
        output = SoccerMasterForPreTrainingOutput()
        if spatial_pixel_values is not None:
            frames = spatial_pixel_values.reshape(-1, *spatial_pixel_values.shape[-3:])
            spatial = self.vision_model(frames).spatial_hidden_state  # image mode: spatial layers only
            detection = self.detection_head(spatial)
            keypoints = self.keypoint_head(spatial)
            lines = self.line_head(spatial)
            output.detection = detection
            output.keypoint_heatmaps = keypoints
            output.line_heatmaps = lines
            if detection_labels is not None:
                detection_loss, detection_terms = SoccerMasterDetectionLoss(config.detection_config)(
                    detection, detection_labels)
                loss_dict.update({f"detection/{k}": v for k, v in detection_terms.items()})
                loss_dict["loss_detection"] = detection_loss
                weighted.append(config.detection_loss_coefficient * detection_loss)
            if pitch_labels is not None:
                pitch = config.pitch_config
                targets = pitch_targets(pitch_labels, keypoints.shape[0], pitch.num_keypoints, pitch.num_lines,
                                        keypoints.shape[-2], keypoints.shape[-1], float(pitch.heatmap_sigma),
                                        keypoints.device)
                loss_dict.update(pitch_heatmap_losses(keypoints, lines, targets, pitch))
                weighted.append(pitch.keypoint_loss_coefficient * loss_dict["loss_keypoints"])
                weighted.append(pitch.line_loss_coefficient * loss_dict["loss_lines"])
        if semantic_pixel_values is not None:
            semantic = self.vision_model(semantic_pixel_values).pooler_output
            event_logits, _ = self.event_head(semantic)
            output.event_logits = event_logits
            if event_labels is not None:
                event_labels = torch.as_tensor(event_labels, device=event_logits.device).long().reshape(-1)
                valid = event_labels >= 0  # -1 = clip without an event keyword
                if bool(valid.any()):
                    loss_dict["loss_events"] = nn.functional.cross_entropy(
                        event_logits[valid], event_labels[valid],
                        label_smoothing=float(config.event_config.label_smoothing))
                    weighted.append(config.event_config.loss_coefficient * loss_dict["loss_events"])
            if text_embeds is not None or input_ids is not None:
                video = nn.functional.normalize(semantic.mean(dim=1), dim=-1)
                text = encode_texts(self, input_ids, attention_mask, text_embeds)
                logits, _, loss_dict["loss_alignment"] = alignment_forward(
                    self, video, text, keywords, config.alignment_extra_positive_keywords, True)
                output.logits_per_video = logits
                weighted.append(config.alignment_loss_coefficient * loss_dict["loss_alignment"])
        output.loss = torch.stack(weighted).sum() if weighted else None
        output.loss_dict = loss_dict
        return output if return_dict else output.to_tuple()


def optimizer_parameter_groups(model: nn.Module, base_lr: float = 5e-5, weight_decay: float = 1e-4) -> list[dict]:
    """The authors' AdamW parameter groups (SPEC 1.4), scaled to `base_lr` (their backbone lr, 5e-5).

    backbone (non-temporal) 1x; temporal attention / norm / fc / gate 2x; temporal embedding 2x without weight decay;
    detection, keypoint, alignment and event-transformer heads 2x; line head 20x; event classifier Linear 4x.
    Frozen parameters are skipped.
    """
    groups: dict[str, dict] = {}

    def add(name: str, parameter: nn.Parameter, lr_scale: float, decay: bool = True) -> None:
        group = groups.setdefault(name, {"params": [], "lr": base_lr * lr_scale,
                                          "weight_decay": weight_decay if decay else 0.0, "name": name})
        group["params"].append(parameter)

    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if name.endswith("temporal_embedding"):
            add("temporal_embedding", parameter, 2.0, decay=False)
        elif "vision_model." in name or name.startswith(("embeddings.", "encoder.", "post_layernorm", "head.")):
            add("backbone_temporal" if ".temporal_" in name else "backbone", parameter,
                2.0 if ".temporal_" in name else 1.0)
        elif name.startswith("line_head."):
            add("lines_head", parameter, 20.0)
        elif name.startswith("event_head.classifier."):
            add("event_classifier", parameter, 4.0)
        elif name.startswith("event_head."):
            add("event_transformer", parameter, 2.0)
        elif name.startswith("keypoint_head."):
            add("keypoints_head", parameter, 2.0)
        elif name.startswith("detection_head."):
            add("detection_head", parameter, 2.0)
        else:
            add("other_heads", parameter, 2.0)  # alignment scalars, custom heads
    return list(groups.values())


def clip_gradients_per_module(modules: dict[str, nn.Module], max_norm: float = 0.1) -> dict[str, float]:
    """Clip the gradient norm of every module separately (the authors: 0.1 for the backbone and each head)."""
    norms = {}
    for name, module in modules.items():
        parameters = [p for p in module.parameters() if p.grad is not None]
        if parameters:
            norms[name] = float(torch.nn.utils.clip_grad_norm_(parameters, max_norm))
    return norms


__all__ = [
    "EVENT_KEYWORDS",
    "SoccerMasterEventHead",
    "SoccerMasterForPreTraining",
    "SoccerMasterForPreTrainingOutput",
    "SoccerMasterForVideoClassification",
    "SoccerMasterModel",
    "SoccerMasterOutput",
    "SoccerMasterVideoClassifierOutput",
    "alignment_labels",
    "clip_gradients_per_module",
    "optimizer_parameter_groups",
    "retrieval_accuracy",
    "sigmoid_alignment_loss",
]
