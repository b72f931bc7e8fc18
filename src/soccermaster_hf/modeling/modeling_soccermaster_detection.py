# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Athlete detection and identification: a Deformable-DETR decoder on F_spa (SoccerMaster's Psi_d).

Reused from transformers (Deformable DETR, Zhu et al. 2021): the decoder and encoder layers (split q/k/v
self-attention, multi-scale deformable cross-attention with its pure-PyTorch sampling path), the sine position
embedding, `inverse_sigmoid`, the box MLP and the Hungarian matcher (`loss_soccermaster.py`). What differs from
transformers' `DeformableDetrForObjectDetection` and follows the authors' ``DeformableDetrHead`` instead:

* the "backbone" is the SoccerMaster ViT: one feature map F_spa (stride = patch size), projected by a 1x1 conv +
  GroupNorm; extra levels (optional) by stride-2 3x3 convs;
* the memory of the decoder is the projected map *without* position embedding when there is no encoder;
* extra per-query heads: roles (6), jersey number as a whole (101) and as two digits (10 + 11), and a team head
  (left / right / none) that the authors do not have;
* outputs keep the input's leading axes: `(batch, [frames,] num_queries, ...)`;
* optional (`two_stage=True`, ours) query selection: Deformable DETR's two-stage token proposals with RT-DETR's
  (Zhao et al. 2024) content = selected token features, position = MLP(reference box).

Ships as Hub remote code: sibling-relative imports only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from transformers import DeformableDetrConfig
from transformers.models.deformable_detr.modeling_deformable_detr import (
    DeformableDetrDecoderLayer,
    DeformableDetrEncoderLayer,
    DeformableDetrMLPPredictionHead,
    DeformableDetrMultiscaleDeformableAttention,
    DeformableDetrSinePositionEmbedding,
    inverse_sigmoid,
)
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import SoccerMasterConfig, SoccerMasterDetectionConfig
from .loss_soccermaster import SoccerMasterDetectionLoss
from .modeling_soccermaster import (
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionModel,
    check_forward_kwargs,
    vision_extras,
)


@dataclass
class SoccerMasterObjectDetectionOutput(ModelOutput):
    r"""
    Output of [`SoccerMasterForObjectDetection`]. Leading axes follow the input: `(batch_size, num_queries, ...)` for
    images, `(batch_size, num_frames, num_queries, ...)` for clips.

    loss (`torch.FloatTensor` of shape `()`, *optional*): weighted total loss, returned when `labels` are given.
    loss_dict (`dict[str, torch.FloatTensor]`, *optional*): every unweighted loss term (`loss_ce`, `loss_bbox`,
        `loss_giou`, `loss_role`, `loss_jersey`, `loss_jersey_tens`, `loss_jersey_units`, `loss_team`, and the same
        with suffix `_{i}` for auxiliary decoder layers; `enc_loss_*` for the two-stage token proposals).
    logits (`torch.FloatTensor` of shape `(..., num_queries, num_classes)`): class logits (sigmoid; "person" [, "ball"]).
    pred_boxes (`torch.FloatTensor` of shape `(..., num_queries, 4)`): normalised `(center_x, center_y, width, height)`.
    role_logits (`(..., num_queries, 6)`): ball, goalkeeper, other, player, referee, none.
    jersey_logits (`(..., num_queries, 101)`): "0" ... "99", none.
    jersey_tens_logits (`(..., num_queries, 10)`): first digit of a two-digit number "1" ... "9", none.
    jersey_units_logits (`(..., num_queries, 11)`): last digit "0" ... "9", none.
    team_logits (`(..., num_queries, 3)`): left, right, none.
    last_hidden_state (`(..., num_queries, detection_hidden_size)`): last decoder states (query embeddings for
        association / tracking).
    init_reference_points (`(..., num_queries, 2)`, or `(..., num_queries, 4)` boxes with `two_stage`): initial
        reference points.
    auxiliary_outputs (`list[SoccerMasterDetectionHeadOutput]`, *optional*): the predictions of earlier decoder
        layers (same fields and leading axes).
    spatial_hidden_state (`(..., num_patches, hidden_size)`): F_spa from the backbone.
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's, when
        `output_hidden_states=True` / `output_attentions=True` (see [`SoccerMasterVisionModelOutput`]).
    """

    loss: torch.FloatTensor | None = None
    loss_dict: dict | None = None
    logits: torch.FloatTensor | None = None
    pred_boxes: torch.FloatTensor | None = None
    role_logits: torch.FloatTensor | None = None
    jersey_logits: torch.FloatTensor | None = None
    jersey_tens_logits: torch.FloatTensor | None = None
    jersey_units_logits: torch.FloatTensor | None = None
    team_logits: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None
    init_reference_points: torch.FloatTensor | None = None
    auxiliary_outputs: list | None = None
    spatial_hidden_state: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class SoccerMasterDetectionHeadOutput(ModelOutput):
    r"""
    Predictions of one decoder layer of [`SoccerMasterDetectionHead`] on `(num_images, ...)` features, and, for the
    head's own output, the extras of the last layer. Fields as in [`SoccerMasterObjectDetectionOutput`]; the two-stage
    token proposals (`encoder_outputs`) carry `logits` and `pred_boxes` only, one row per F_spa token.

    init_reference_points (`(num_images, num_queries, 2 or 4)`, *optional*): initial reference points (last layer).
    auxiliary_outputs (`list[SoccerMasterDetectionHeadOutput]`, *optional*): earlier decoder layers (last layer).
    encoder_outputs (`SoccerMasterDetectionHeadOutput`, *optional*): two-stage token proposals (last layer).
    """

    logits: torch.FloatTensor | None = None
    pred_boxes: torch.FloatTensor | None = None
    role_logits: torch.FloatTensor | None = None
    jersey_logits: torch.FloatTensor | None = None
    jersey_tens_logits: torch.FloatTensor | None = None
    jersey_units_logits: torch.FloatTensor | None = None
    team_logits: torch.FloatTensor | None = None
    last_hidden_state: torch.FloatTensor | None = None
    init_reference_points: torch.FloatTensor | None = None
    auxiliary_outputs: list | None = None
    encoder_outputs: SoccerMasterDetectionHeadOutput | None = None


PREDICTION_KEYS = ("logits", "pred_boxes", "role_logits", "jersey_logits", "jersey_tens_logits",
                   "jersey_units_logits", "team_logits")


def _deformable_detr_config(config: SoccerMasterDetectionConfig) -> DeformableDetrConfig:
    """A `DeformableDetrConfig` carrying our hyper-parameters, for transformers' layer classes."""
    deformable = DeformableDetrConfig(
        d_model=config.hidden_size,
        encoder_layers=max(config.encoder_layers, 1),
        decoder_layers=config.decoder_layers,
        encoder_attention_heads=config.encoder_attention_heads,
        decoder_attention_heads=config.decoder_attention_heads,
        encoder_n_points=config.encoder_n_points,
        decoder_n_points=config.decoder_n_points,
        encoder_ffn_dim=config.encoder_ffn_dim,
        decoder_ffn_dim=config.decoder_ffn_dim,
        dropout=float(config.dropout),
        attention_dropout=float(config.attention_dropout),
        activation_dropout=float(config.activation_dropout),
        activation_function=config.activation_function,
        num_feature_levels=config.num_feature_levels,
        num_queries=config.num_queries,
        with_box_refine=config.with_box_refine,
        two_stage=False,
        disable_custom_kernels=True,
    )
    deformable._attn_implementation = config._attn_implementation or "sdpa"
    return deformable


class SoccerMasterDetectionHead(nn.Module):
    """The detection decoder on F_spa; `forward` takes `(num_images, num_patches, hidden)` features."""

    def __init__(self, config: SoccerMasterDetectionConfig, backbone_hidden_size: int):
        super().__init__()
        self.config = config
        hidden = config.hidden_size
        self.deformable_config = _deformable_detr_config(config)
        levels = [nn.Sequential(nn.Conv2d(backbone_hidden_size, hidden, kernel_size=1),
                                nn.GroupNorm(config.group_norm_groups, hidden))]
        for level in range(1, config.num_feature_levels):
            in_channels = backbone_hidden_size if level == 1 else hidden
            levels.append(nn.Sequential(nn.Conv2d(in_channels, hidden, kernel_size=3, stride=2, padding=1),
                                        nn.GroupNorm(config.group_norm_groups, hidden)))
        self.input_proj = nn.ModuleList(levels)
        self.position_embedding = DeformableDetrSinePositionEmbedding(num_position_features=hidden // 2,
                                                                      normalize=True)
        # level embeddings only matter to the encoder (the authors' released head has neither)
        uses_levels = config.encoder_layers > 0
        self.level_embed = nn.Parameter(torch.zeros(config.num_feature_levels, hidden)) if uses_levels else None
        if config.two_stage:
            # query selection (Deformable DETR two-stage proposals + RT-DETR's content/position split)
            self.enc_output = nn.Linear(hidden, hidden)
            self.enc_output_norm = nn.LayerNorm(hidden)
            self.enc_class_embed = nn.Linear(hidden, config.num_classes)
            self.enc_bbox_embed = DeformableDetrMLPPredictionHead(hidden, hidden, 4, num_layers=3)
            self.query_pos_head = DeformableDetrMLPPredictionHead(4, 2 * hidden, hidden, num_layers=2)
        else:
            self.query_embed = nn.Embedding(config.num_queries, 2 * hidden)
            self.reference_points = nn.Linear(hidden, 2)
        self.encoder_layers = nn.ModuleList(
            [DeformableDetrEncoderLayer(self.deformable_config) for _ in range(config.encoder_layers)]
        )
        self.decoder_layers = nn.ModuleList(
            [DeformableDetrDecoderLayer(self.deformable_config) for _ in range(config.decoder_layers)]
        )
        num_predictors = config.decoder_layers if config.with_box_refine else 1

        def heads(output_size: int) -> nn.ModuleList:
            return nn.ModuleList([nn.Linear(hidden, output_size) for _ in range(num_predictors)])

        self.class_embed = heads(config.num_classes)
        self.bbox_embed = nn.ModuleList(
            [DeformableDetrMLPPredictionHead(hidden, hidden, 4, num_layers=3) for _ in range(num_predictors)]
        )
        self.role_embed = heads(config.num_roles)
        self.jersey_embed = heads(config.num_jerseys)
        self.jersey_tens_embed = heads(config.num_jersey_tens)
        self.jersey_units_embed = heads(config.num_jersey_units)
        self.team_embed = heads(config.num_teams)

    def _feature_maps(self, spatial_features: torch.Tensor) -> list[torch.Tensor]:
        num_images, num_patches, channels = spatial_features.shape
        side = int(round(num_patches**0.5))
        if side * side != num_patches:
            raise ValueError(f"F_spa has {num_patches} tokens per frame, not a square grid.")
        # (images, patches, channels) -> (images, channels, grid, grid), tokens in row-major order
        grid = spatial_features.transpose(1, 2).reshape(num_images, channels, side, side)
        maps = [self.input_proj[0](grid)]
        for level in range(1, self.config.num_feature_levels):
            maps.append(self.input_proj[level](grid if level == 1 else maps[-1]))
        return maps

    @staticmethod
    def _encoder_reference_points(spatial_shapes_list, device, dtype) -> torch.Tensor:
        references = []
        for height, width in spatial_shapes_list:
            ref_y, ref_x = torch.meshgrid(
                torch.linspace(0.5, height - 0.5, height, dtype=dtype, device=device),
                torch.linspace(0.5, width - 0.5, width, dtype=dtype, device=device),
                indexing="ij",
            )
            references.append(torch.stack((ref_x.reshape(-1) / width, ref_y.reshape(-1) / height), -1))
        reference = torch.cat(references, 0)  # (sum of h * w, 2)
        return reference[None, :, None, :].expand(1, -1, len(spatial_shapes_list), 2)

    def _predict(self, index: int, hidden_states: torch.Tensor, reference: torch.Tensor) -> SoccerMasterDetectionHeadOutput:
        predictor = index if self.config.with_box_refine else 0
        delta = self.bbox_embed[predictor](hidden_states)
        if reference.shape[-1] == 4:
            delta = delta + inverse_sigmoid(reference)
        else:
            # only the centre is refined against a 2-D reference (authors' and Deformable-DETR's rule)
            delta = torch.cat([delta[..., :2] + inverse_sigmoid(reference), delta[..., 2:]], dim=-1)
        return SoccerMasterDetectionHeadOutput(
            logits=self.class_embed[predictor](hidden_states),
            pred_boxes=delta.sigmoid(),
            role_logits=self.role_embed[predictor](hidden_states),
            jersey_logits=self.jersey_embed[predictor](hidden_states),
            jersey_tens_logits=self.jersey_tens_embed[predictor](hidden_states),
            jersey_units_logits=self.jersey_units_embed[predictor](hidden_states),
            team_logits=self.team_embed[predictor](hidden_states),
            last_hidden_state=hidden_states,
        )

    def forward(self, spatial_features: torch.Tensor) -> SoccerMasterDetectionHeadOutput:
        """`spatial_features`: F_spa `(num_images, num_patches, backbone_hidden)`.

        Returns the predictions of the last decoder layer (`(num_images, num_queries, ...)`) with
        `init_reference_points`, `auxiliary_outputs` (earlier layers) and, with `two_stage`, `encoder_outputs`.
        """
        maps = self._feature_maps(spatial_features)
        num_images = spatial_features.shape[0]
        spatial_shapes_list = [(m.shape[2], m.shape[3]) for m in maps]
        device = spatial_features.device
        spatial_shapes = torch.as_tensor(spatial_shapes_list, dtype=torch.long, device=device)
        level_start_index = torch.cat((spatial_shapes.new_zeros((1,)), spatial_shapes.prod(1).cumsum(0)[:-1]))
        # (images, hidden, h, w) -> (images, h * w, hidden), levels concatenated
        memory = torch.cat([m.flatten(2).transpose(1, 2) for m in maps], dim=1)

        if self.encoder_layers:
            positions = [
                self.position_embedding(m.shape, device, m.dtype).flatten(2).transpose(1, 2) + self.level_embed[level]
                for level, m in enumerate(maps)
            ]
            position = torch.cat(positions, dim=1)
            reference = self._encoder_reference_points(spatial_shapes_list, device, memory.dtype)
            reference = reference.expand(num_images, -1, -1, -1)
            for layer in self.encoder_layers:
                memory = layer(memory, None, spatial_position_embeddings=position, reference_points=reference,
                               spatial_shapes=spatial_shapes, spatial_shapes_list=spatial_shapes_list,
                               level_start_index=level_start_index)

        encoder_outputs = None
        if self.config.two_stage:
            hidden_states, reference, encoder_outputs = self._select_queries(memory, spatial_shapes_list)
            query_position = self.query_pos_head(reference)
        else:
            # the embedding is called (not its `.weight` read) so that offloading hooks load it first
            query_embed = self.query_embed(torch.arange(self.config.num_queries, device=device))
            query_position, target = torch.split(query_embed, self.config.hidden_size, dim=1)
            query_position = query_position.unsqueeze(0).expand(num_images, -1, -1)
            hidden_states = target.unsqueeze(0).expand(num_images, -1, -1)
            reference = self.reference_points(query_position).sigmoid()
        init_reference = reference
        per_layer = []
        for index, layer in enumerate(self.decoder_layers):
            if self.config.two_stage and index > 0:
                query_position = self.query_pos_head(reference)  # RT-DETR: positions follow the refined boxes
            # (images, queries, 2 or 4) -> (images, queries, levels, 2 or 4): no padding, valid ratios are 1
            reference_input = reference[:, :, None].expand(-1, -1, len(maps), -1)
            hidden_states = layer(
                hidden_states,
                object_queries_position_embeddings=query_position,
                reference_points=reference_input,
                spatial_shapes=spatial_shapes,
                spatial_shapes_list=spatial_shapes_list,
                level_start_index=level_start_index,
                encoder_hidden_states=memory,
                encoder_attention_mask=None,
            )
            prediction = self._predict(index, hidden_states, reference)
            per_layer.append(prediction)
            if self.config.with_box_refine:
                reference = prediction.pred_boxes.detach()
        return SoccerMasterDetectionHeadOutput(
            **per_layer[-1], init_reference_points=init_reference, auxiliary_outputs=per_layer[:-1],
            encoder_outputs=encoder_outputs,
        )

    def _select_queries(
        self, memory: torch.Tensor, spatial_shapes_list
    ) -> tuple[torch.Tensor, torch.Tensor, SoccerMasterDetectionHeadOutput]:
        """Two-stage query selection: per-token proposals, the `num_queries` best become the decoder's queries.

        Returns `(content (images, queries, hidden), reference boxes (images, queries, 4) cxcywh detached,
        {"logits", "pred_boxes"} of every token for the encoder loss)`.
        """
        proposals = []
        for level, (height, width) in enumerate(spatial_shapes_list):
            grid_y, grid_x = torch.meshgrid(
                torch.arange(height, dtype=memory.dtype, device=memory.device),
                torch.arange(width, dtype=memory.dtype, device=memory.device),
                indexing="ij",
            )
            centres = torch.stack([(grid_x.reshape(-1) + 0.5) / width, (grid_y.reshape(-1) + 0.5) / height], -1)
            sizes = torch.full_like(centres, self.config.two_stage_anchor_size * 2.0**level)
            proposals.append(torch.cat([centres, sizes], -1))
        # (tokens, 4) in inverse-sigmoid space, as Deformable DETR's gen_encoder_output_proposals
        anchors = inverse_sigmoid(torch.cat(proposals, 0))[None]
        features = self.enc_output_norm(self.enc_output(memory))
        token_logits = self.enc_class_embed(features)
        token_box_logits = self.enc_bbox_embed(features) + anchors
        count = min(self.config.num_queries, features.shape[1])
        best = token_logits.max(-1).values.topk(count, dim=1).indices  # (images, queries)
        reference = torch.gather(token_box_logits, 1, best[..., None].expand(-1, -1, 4)).sigmoid().detach()
        content = torch.gather(features, 1, best[..., None].expand(-1, -1, features.shape[-1])).detach()
        return content, reference, SoccerMasterDetectionHeadOutput(logits=token_logits,
                                                                   pred_boxes=token_box_logits.sigmoid())


class SoccerMasterForObjectDetection(SoccerMasterPreTrainedModel):
    """SoccerMaster backbone (image mode: spatial layers only) + athlete detection and identification head.

    Example:

    ```python
    >>> import torch
    >>> from soccermaster_hf import SoccerMasterConfig, SoccerMasterForObjectDetection
    >>> config = SoccerMasterConfig(
    ...     vision_config=dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
    ...                        image_size=48, num_frames=2, temporal_start_layer=1),
    ...     detection_config=dict(hidden_size=32, num_queries=10, decoder_ffn_dim=64))
    >>> model = SoccerMasterForObjectDetection(config).eval()
    >>> model(torch.randn(1, 3, 48, 48)).pred_boxes.shape
    torch.Size([1, 10, 4])
    ```
    """

    config_class = SoccerMasterConfig
    _no_split_modules = SoccerMasterPreTrainedModel._no_split_modules + ["DeformableDetrDecoderLayer"]

    def __init__(self, config: SoccerMasterConfig):
        super().__init__(config)
        self.vision_model = SoccerMasterVisionModel(config.vision_config)
        self.detection_head = SoccerMasterDetectionHead(config.detection_config, config.vision_config.hidden_size)
        self.post_init()

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: list[dict] | None = None,
        spatial_hidden_state: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterObjectDetectionOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor`): `(batch_size, 3, height, width)` or
                `(batch_size, num_frames, 3, height, width)`. Frames are processed independently (spatial layers only).
            labels (`list[dict]`, *optional*): one dict per frame (for clips: `batch_size * num_frames` dicts in
                batch-major order, or a list of per-clip lists) with `class_labels` `(num_objects,)`, `boxes`
                `(num_objects, 4)` normalised cxcywh, and optionally `roles`, `jerseys` (int 0-99, or -1 / None when
                not legible), `teams` (0 left, 1 right, 2 none). See `loss_soccermaster.prepare_detection_labels`.
            spatial_hidden_state (`torch.FloatTensor`, *optional*): precomputed F_spa instead of `pixel_values`.
        """
        check_forward_kwargs(self, kwargs)
        spatial_hidden_state, vision_outputs = self._spatial_features(pixel_values, spatial_hidden_state, **kwargs)
        return detection_output(self.detection_head, spatial_hidden_state, labels, vision_outputs)


def detection_output(
    head: SoccerMasterDetectionHead,
    spatial_hidden_state: torch.Tensor,
    labels: list | None = None,
    vision_outputs: ModelOutput | None = None,
) -> SoccerMasterObjectDetectionOutput:
    """Run `head` on F_spa `(..., num_patches, hidden)` (cast to the head's dtype) and return the typed output with
    the input's leading axes, the loss when `labels` are given, and the backbone's optional outputs."""
    leading = spatial_hidden_state.shape[:-2]
    features = spatial_hidden_state.reshape(-1, *spatial_hidden_state.shape[-2:])
    head_output = head(features.to(head.input_proj[0][0].weight.dtype))
    loss = loss_dict = None
    if labels is not None:
        loss, loss_dict = SoccerMasterDetectionLoss(head.config)(head_output, labels)

    def unflatten(tensor: torch.Tensor | None) -> torch.Tensor | None:
        return None if tensor is None else tensor.reshape(*leading, *tensor.shape[1:])

    def layer(prediction: SoccerMasterDetectionHeadOutput) -> SoccerMasterDetectionHeadOutput:
        return SoccerMasterDetectionHeadOutput(**{key: unflatten(value) for key, value in prediction.items()
                                                 if isinstance(value, torch.Tensor)})

    return SoccerMasterObjectDetectionOutput(
        loss=loss,
        loss_dict=loss_dict,
        **{key: unflatten(head_output[key]) for key in PREDICTION_KEYS},
        last_hidden_state=unflatten(head_output.last_hidden_state),
        init_reference_points=unflatten(head_output.init_reference_points),
        auxiliary_outputs=[layer(prediction) for prediction in head_output.auxiliary_outputs] or None,
        spatial_hidden_state=spatial_hidden_state,
        **vision_extras(vision_outputs),
    )


@torch.no_grad()
def init_detection_module(module: nn.Module) -> bool:
    """Deformable-DETR's initialisation (grid-initialised sampling offsets, zero attention weights, focal prior) for
    `module` if it is a deformable attention or the detection head; returns whether it was one of them.

    Called by `SoccerMasterPreTrainedModel._init_weights` after the generic branch has initialised the children.
    Uses `transformers.initialization`, which leaves tensors loaded from a checkpoint untouched.
    """
    import math

    from transformers import initialization as init

    if isinstance(module, DeformableDetrMultiscaleDeformableAttention):
        init.constant_(module.sampling_offsets.weight, 0.0)
        thetas = torch.arange(module.n_heads, dtype=torch.float32) * (2.0 * math.pi / module.n_heads)
        grid = torch.stack([thetas.cos(), thetas.sin()], -1)
        grid = (grid / grid.abs().max(-1, keepdim=True)[0]).view(module.n_heads, 1, 1, 2)
        grid = grid.repeat(1, module.n_levels, module.n_points, 1)
        for point in range(module.n_points):
            grid[:, :, point, :] *= point + 1
        init.copy_(module.sampling_offsets.bias, grid.view(-1))
        init.constant_(module.attention_weights.weight, 0.0)
        init.constant_(module.attention_weights.bias, 0.0)
        for projection in (module.value_proj, module.output_proj):
            init.xavier_uniform_(projection.weight)
            init.constant_(projection.bias, 0.0)
    elif isinstance(module, SoccerMasterDetectionHead):
        if module.level_embed is not None:
            init.normal_(module.level_embed)
        prior = -math.log((1 - 0.01) / 0.01)  # focal-loss prior probability 0.01
        if module.config.two_stage:
            init.constant_(module.enc_class_embed.bias, prior)
            init.constant_(module.enc_bbox_embed.layers[-1].weight, 0.0)
            init.constant_(module.enc_bbox_embed.layers[-1].bias, 0.0)  # start at the token's anchor box
        else:
            init.normal_(module.query_embed.weight)
            init.xavier_uniform_(module.reference_points.weight)
            init.constant_(module.reference_points.bias, 0.0)
        for linear in module.class_embed:
            init.constant_(linear.bias, prior)
        for mlp in module.bbox_embed:
            init.constant_(mlp.layers[-1].weight, 0.0)
            # learned queries: a small-box prior; selected queries: keep the selected proposal (zero delta)
            bias = [0.0, 0.0, 0.0, 0.0] if module.config.two_stage else [0.0, 0.0, -2.0, -2.0]
            init.copy_(mlp.layers[-1].bias, torch.tensor(bias))
        for projection in module.input_proj:
            init.xavier_uniform_(projection[0].weight, gain=1)
            init.constant_(projection[0].bias, 0)
    else:
        return False
    return True


__all__ = [
    "SoccerMasterDetectionHead",
    "SoccerMasterDetectionHeadOutput",
    "detection_output",
    "SoccerMasterForObjectDetection",
    "SoccerMasterObjectDetectionOutput",
]
