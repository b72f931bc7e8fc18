# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Athlete re-identification: the pixel crop of one athlete's box -> a unit-length appearance embedding.

Tracklet linking (``soccermaster_hf.tracking.linking``) compares the mean embedding of a tracklet that ends with that
of one that starts later. Position and kit colour cannot tell two teammates apart after a close-up or a pan; the
decoder embedding of the detection head does not either (docs/tracking.md: same athlete against a teammate, AUC
0.57-0.63), so this network looks at the pixels again. It is trained on annotated identities with the supervised
contrastive loss of Khosla et al. (*Supervised Contrastive Learning*, NeurIPS 2020): every batch holds several crops
of each athlete of one clip, so the negatives are mostly teammates and opponents of the same match.

This file ships as Hugging Face Hub remote code (flat folder, sibling-relative imports only).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_soccermaster_reid import SoccerMasterReIdConfig

__all__ = ["SoccerMasterForReIdentification", "SoccerMasterReIdOutput", "supervised_contrastive_loss"]


@dataclass
class SoccerMasterReIdOutput(ModelOutput):
    """Output of :class:`SoccerMasterForReIdentification`.

    loss: scalar supervised contrastive loss (only with `labels`). embeddings: `(batch, embedding_size)`, unit length.
    """

    loss: torch.Tensor | None = None
    embeddings: torch.Tensor | None = None


def supervised_contrastive_loss(embeddings: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """The supervised contrastive loss (Khosla et al. 2020, "L_out"): for each anchor, the mean over its positives
    (other crops with its label) of ``-log softmax`` of the cosine similarities / `temperature` over every other crop.
    Anchors without a positive are left out; a batch with none gives 0 (connected to the graph)."""
    similarity = embeddings @ embeddings.T / temperature
    self_mask = torch.eye(len(labels), dtype=torch.bool, device=embeddings.device)
    similarity = similarity.masked_fill(self_mask, torch.finfo(similarity.dtype).min)
    positives = (labels[:, None] == labels[None, :]) & ~self_mask
    log_probability = similarity - torch.logsumexp(similarity, dim=1, keepdim=True)
    counts = positives.sum(1)
    anchors = counts > 0
    if not anchors.any():
        return embeddings.sum() * 0.0
    per_anchor = -(log_probability.masked_fill(~positives, 0.0)).sum(1)[anchors] / counts[anchors]
    return per_anchor.mean()


class SoccerMasterReIdStage(nn.Module):
    """Two 3x3 convolutions, each with batch norm and ReLU."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = F.relu(self.norm1(self.conv1(hidden)))
        return F.relu(self.norm2(self.conv2(hidden)))


class SoccerMasterReIdPreTrainedModel(PreTrainedModel):
    config_class = SoccerMasterReIdConfig
    config: SoccerMasterReIdConfig
    base_model_prefix = "soccermaster_reid"
    main_input_name = "pixel_values"
    input_modalities = ("image",)

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
            if module.running_mean is not None:
                module.running_mean.zero_()
                module.running_var.fill_(1.0)
                module.num_batches_tracked.zero_()
        elif isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class SoccerMasterForReIdentification(SoccerMasterReIdPreTrainedModel):
    """Crops `(batch, 3, crop_height, crop_width)` (normalised RGB, see
    :class:`~soccermaster_hf.processing.SoccerMasterReIdProcessor`) -> embeddings `(batch, embedding_size)` of unit
    length; with `labels` `(batch,)` (identity per crop) also the supervised contrastive loss."""

    def __init__(self, config: SoccerMasterReIdConfig):
        super().__init__(config)
        widths = [3, *config.channels]
        self.stages = nn.ModuleList(SoccerMasterReIdStage(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.projection = nn.Linear(2 * config.channels[-1], config.embedding_size)
        self.post_init()

    def forward(self, pixel_values: torch.Tensor, labels: torch.Tensor | None = None, **kwargs
                ) -> SoccerMasterReIdOutput:
        """`kwargs` (what generic trainers pass, e.g. ``output_attentions``) are accepted and ignored."""
        if pixel_values.ndim != 4 or pixel_values.shape[1] != 3:
            raise ValueError(f"pixel_values must be (batch, 3, height, width), got {tuple(pixel_values.shape)}.")
        hidden = pixel_values
        for index, stage in enumerate(self.stages):
            if index:
                hidden = F.max_pool2d(hidden, 2)
            hidden = stage(hidden)
        pooled = torch.cat([hidden.mean(dim=(2, 3)), hidden.amax(dim=(2, 3))], dim=1)
        embeddings = F.normalize(self.projection(pooled), dim=1)
        loss = None
        if labels is not None:
            if labels.shape != (len(embeddings),):
                raise ValueError(f"labels must be (batch,) = ({len(embeddings)},), got {tuple(labels.shape)}.")
            loss = supervised_contrastive_loss(embeddings, labels.to(embeddings.device), float(self.config.temperature))
        return SoccerMasterReIdOutput(loss=loss, embeddings=embeddings)
