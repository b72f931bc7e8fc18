# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""All five heads on one backbone: `SoccerMasterForPreTraining` (the authors' multi-task losses) and
`SoccerMasterForGameStateReconstruction` (inference: one backbone pass, typed outputs for every head).

Both classes have the same modules and parameter names (`vision_model`, `detection_head`, `keypoint_head`,
`line_head`, `event_head`, the alignment scalars and optional text tower), so a pre-training checkpoint loads into the
inference class unchanged and vice versa.

Ships as Hub remote code: sibling-relative imports only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from transformers.processing_utils import Unpack
from transformers.utils import ModelOutput, TransformersKwargs, can_return_tuple

from .configuration_soccermaster import SoccerMasterConfig
from .modeling_soccermaster import (
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionModel,
    check_forward_kwargs,
    vision_extras,
)
from .modeling_soccermaster_detection import (
    SoccerMasterDetectionHead,
    SoccerMasterObjectDetectionOutput,
    detection_output,
)
from .modeling_soccermaster_pitch import (
    SoccerMasterPitchRegistrationOutput,
    SoccerMasterPixelShuffleHead,
    pitch_output,
)
from .modeling_soccermaster_video import (
    add_alignment_modules,
    alignment_forward,
    build_event_head,
    encode_texts,
    event_head_forward,
)

#: The heads a spatial batch drives (``SoccerMasterForPreTraining.forward(spatial_heads=...)``).
SPATIAL_HEADS = ("detection", "keypoints", "lines")


class SoccerMasterMultiTaskPreTrainedModel(SoccerMasterPreTrainedModel):
    """The backbone and the five heads (detection, keypoints, lines, events, alignment); no forward of its own."""

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
        self.event_head = build_event_head(config.event_config, hidden)
        add_alignment_modules(self, config)
        self.post_init()

    def head_modules(self) -> dict[str, nn.Module]:
        """Modules clipped separately by per-module gradient clipping (the authors: backbone and each head)."""
        return {"backbone": self.vision_model, "detection": self.detection_head, "keypoints": self.keypoint_head,
                "lines": self.line_head, "events": self.event_head}


# --------------------------------------------------------------------------------------------------------------------
# Inference
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterGameStateOutput(ModelOutput):
    r"""
    Output of [`SoccerMasterForGameStateReconstruction`]: every head on one backbone pass.

    detection ([`SoccerMasterObjectDetectionOutput`]): athletes, leading axes `(batch_size, [num_frames,])`.
    pitch ([`SoccerMasterPitchRegistrationOutput`]): keypoint and line heatmaps, same leading axes.
    pooler_output (`torch.FloatTensor` of shape `(batch_size, num_frames, hidden_size)`, *optional*): F_sem, for clips
        (5-D input) only.
    event_logits (`torch.FloatTensor` of shape `(batch_size, num_events)`, *optional*): the event head on F_sem, for
        clips only (softmax over `config.event_config.id2label`).
    hidden_states, attentions, temporal_attentions (`tuple(torch.FloatTensor)`, *optional*): the backbone's.
    """

    detection: SoccerMasterObjectDetectionOutput | None = None
    pitch: SoccerMasterPitchRegistrationOutput | None = None
    pooler_output: torch.FloatTensor | None = None
    event_logits: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None
    temporal_attentions: tuple[torch.FloatTensor, ...] | None = None


class SoccerMasterForGameStateReconstruction(SoccerMasterMultiTaskPreTrainedModel):
    """Multi-task inference: athletes (boxes, roles, jerseys, teams, query embeddings), pitch keypoints and lines
    (for camera calibration) and, for clips, events — from **one** backbone pass.

    A clip `(batch_size, num_frames, 3, H, W)` runs the backbone in video mode, whose spatial layers give F_spa for
    the spatial heads and whose full stack gives F_sem for the event head; an image batch `(batch_size, 3, H, W)` runs
    the spatial layers only (no events). Post-process with `SoccerMasterImageProcessor.post_process_game_state`.
    `soccermaster analyze` and the held-out evaluation use this class; it loads any pre-training checkpoint.
    """

    @can_return_tuple
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        spatial_hidden_state: torch.Tensor | None = None,
        pooler_output: torch.Tensor | None = None,
        last_hidden_state: torch.Tensor | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterGameStateOutput:
        r"""
        Args:
            pixel_values (`torch.FloatTensor`): `(batch_size, 3, H, W)` images or `(batch_size, num_frames, 3, H, W)`
                clips.
            spatial_hidden_state (`torch.FloatTensor`, *optional*): precomputed F_spa instead of `pixel_values`
                (spatial heads only).
            pooler_output (`torch.FloatTensor` of shape `(batch_size, num_frames, hidden)`, *optional*): precomputed
                F_sem, e.g. of a long clip gathered chunk by chunk (the event head runs on it).
            last_hidden_state (`torch.FloatTensor` of shape `(batch_size, num_frames, num_patches, hidden)`,
                *optional*): the video-mode last hidden state that goes with a precomputed `pooler_output`; the
                `"grid_linear"` event head reads it.
        """
        check_forward_kwargs(self, kwargs)
        vision_outputs = None
        if pixel_values is not None:
            vision_outputs = self.vision_model(pixel_values, **kwargs)
            spatial_hidden_state = vision_outputs.spatial_hidden_state
            pooler_output = vision_outputs.pooler_output if pooler_output is None else pooler_output
        elif spatial_hidden_state is None and pooler_output is None:
            raise ValueError("Pass `pixel_values` (or a precomputed `spatial_hidden_state` / `pooler_output`).")
        detection = pitch = event_logits = None
        if spatial_hidden_state is not None:
            detection = detection_output(self.detection_head, spatial_hidden_state)
            pitch = pitch_output(self.keypoint_head, self.line_head, self.config.pitch_config, spatial_hidden_state)
        if pooler_output is not None:
            if last_hidden_state is None and vision_outputs is not None and vision_outputs.last_hidden_state.ndim == 4:
                last_hidden_state = vision_outputs.last_hidden_state
            event_logits, _ = event_head_forward(self.event_head, pooler_output, last_hidden_state)
        return SoccerMasterGameStateOutput(detection=detection, pitch=pitch, pooler_output=pooler_output,
                                           event_logits=event_logits, **vision_extras(vision_outputs))

    @classmethod
    def sharing_modules_of(cls, model: nn.Module) -> SoccerMasterForGameStateReconstruction:
        """An inference view of another multi-task model (e.g. a `SoccerMasterForPreTraining` being trained, LoRA-
        wrapped or not) that shares its modules: no weights are copied."""
        if isinstance(model, cls):
            return model
        with torch.device("meta"):
            view = cls(model.config)
        for name in ("vision_model", "detection_head", "keypoint_head", "line_head", "event_head", "text_model"):
            setattr(view, name, getattr(model, name))
        view.logit_scale, view.logit_bias = model.logit_scale, model.logit_bias
        return view.train(model.training)

    def to_mixed_precision(self, dtype: torch.dtype = torch.bfloat16) -> SoccerMasterForGameStateReconstruction:
        """Backbone, pitch and event heads in `dtype`; the detection head stays float32 (its deformable sampling and
        box refinement lose localisation in bfloat16). Returns `self`."""
        for module in (self.vision_model, self.keypoint_head, self.line_head, self.event_head):
            module.to(dtype)
        self.detection_head.float()
        return self


# --------------------------------------------------------------------------------------------------------------------
# Multi-task pre-training
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class SoccerMasterForPreTrainingOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor` of shape `()`, *optional*): weighted sum of the terms of the batches given.
    loss_dict (`dict[str, torch.FloatTensor]`): every term (`loss_detection`, `loss_keypoints`, `loss_lines`,
        `loss_events`, `loss_alignment`, and the detection sub-terms as `detection/<term>`).
    detection ([`SoccerMasterObjectDetectionOutput`], *optional*): detection predictions of the spatial batch,
        leading axes `(batch_size * num_frames,)` (`None` when `spatial_heads` leaves the detection head out).
    pitch ([`SoccerMasterPitchRegistrationOutput`], *optional*): pitch heatmaps of the spatial batch (`None` when
        `spatial_heads` leaves both pitch heads out).
    event_logits (`torch.FloatTensor` of shape `(batch_size, num_events)`, *optional*): of the semantic batch.
    logits_per_video (`torch.FloatTensor` of shape `(batch_size, batch_size)`, *optional*): alignment logits of the
        semantic batch.
    """

    loss: torch.FloatTensor | None = None
    loss_dict: dict | None = None
    detection: SoccerMasterObjectDetectionOutput | None = None
    pitch: SoccerMasterPitchRegistrationOutput | None = None
    event_logits: torch.FloatTensor | None = None
    logits_per_video: torch.FloatTensor | None = None


class SoccerMasterForPreTraining(SoccerMasterMultiTaskPreTrainedModel):
    """One backbone, five heads (detection, keypoints, lines, events, alignment), as the authors pre-train.

    A *spatial* batch (clips of consecutive frames, `spatial_pixel_values`) drives detection, keypoints and lines
    through F_spa; a *semantic* batch (1-fps clips, `semantic_pixel_values`) drives events and alignment through
    F_sem. Either may be omitted. The authors backpropagate each batch's loss separately and step once; call the
    model once per batch to do the same (see `soccermaster_hf.training`).
    """

    main_input_name = "spatial_pixel_values"

    @can_return_tuple
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
        spatial_heads: Sequence[str] | None = None,
        **kwargs: Unpack[TransformersKwargs],
    ) -> SoccerMasterForPreTrainingOutput:
        r"""
        Args:
            spatial_pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, H, W)`): spatial clips.
            detection_labels (`list`, *optional*): per-frame detection label dicts (see `SoccerMasterForObjectDetection`).
            pitch_labels (`list`, *optional*): per-frame pitch label dicts (see `pitch_targets`).
            semantic_pixel_values (`torch.FloatTensor` of shape `(batch_size, num_frames, 3, H, W)`): semantic clips.
            event_labels (`torch.LongTensor` of shape `(batch_size,)`, *optional*): event indices.
            input_ids, attention_mask / text_embeds: captions of the semantic clips (rows of zeros = no caption).
            keywords (`list[str]`, *optional*): event keyword per semantic clip (extra alignment positives).
            spatial_heads (`list[str]`, *optional*): the heads the spatial batch runs, of `"detection"`,
                `"keypoints"` and `"lines"` (the two pitch heads run together); default all; none: the spatial
                batch is not run. Heads-only fine-tuning of a frozen backbone leaves the frozen heads out: their
                losses give no gradient (`soccermaster train --train-heads` does).
        """
        check_forward_kwargs(self, kwargs)
        if isinstance(spatial_heads, str):
            spatial_heads = [spatial_heads]
        run = set(SPATIAL_HEADS if spatial_heads is None else spatial_heads)
        if not run <= set(SPATIAL_HEADS):
            raise ValueError(f"spatial_heads: unknown heads {sorted(run - set(SPATIAL_HEADS))}; choose from "
                             f"{list(SPATIAL_HEADS)}.")
        config = self.config
        loss_dict: dict[str, torch.Tensor] = {}
        weighted: list[torch.Tensor] = []
        output = SoccerMasterForPreTrainingOutput()
        if spatial_pixel_values is not None and run:
            frames = spatial_pixel_values.reshape(-1, *spatial_pixel_values.shape[-3:])
            spatial = self.vision_model(frames).spatial_hidden_state  # image mode: spatial layers only
            device_type = spatial.device.type
            detection = pitch = None
            if "detection" in run and torch.is_autocast_enabled(device_type):
                # mixed precision: the detection head and its losses stay float32, as in inference (boxes, deformable
                # sampling and the Hungarian costs at full resolution; in bfloat16 its loss trained measurably worse,
                # docs/benchmarks.md); it is a small share of the step
                with torch.autocast(device_type, enabled=False):
                    detection = detection_output(self.detection_head, spatial.float(), detection_labels)
            elif "detection" in run:
                detection = detection_output(self.detection_head, spatial, detection_labels)
            if run & {"keypoints", "lines"}:
                pitch = pitch_output(self.keypoint_head, self.line_head, config.pitch_config, spatial, pitch_labels)
            output.detection = detection
            output.pitch = pitch
            if detection is not None and detection.loss is not None:
                loss_dict.update({f"detection/{k}": v for k, v in detection.loss_dict.items()})
                loss_dict["loss_detection"] = detection.loss
                weighted.append(config.detection_loss_coefficient * detection.loss)
            if pitch is not None and pitch.loss is not None:
                loss_dict.update(pitch.loss_dict)
                weighted.append(pitch.loss)
        if semantic_pixel_values is not None:
            semantic_outputs = self.vision_model(semantic_pixel_values)
            event_logits, _ = event_head_forward(self.event_head, semantic_outputs.pooler_output,
                                                 semantic_outputs.last_hidden_state, cast=False)
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
                video = nn.functional.normalize(semantic_outputs.pooler_output.mean(dim=1), dim=-1)
                text = encode_texts(self, input_ids, attention_mask, text_embeds)
                logits, _, loss_dict["loss_alignment"] = alignment_forward(
                    self, video, text, keywords, config.alignment_extra_positive_keywords, True)
                output.logits_per_video = logits
                weighted.append(config.alignment_loss_coefficient * loss_dict["loss_alignment"])
        output.loss = torch.stack(weighted).sum() if weighted else None
        output.loss_dict = loss_dict
        return output


__all__ = [
    "SPATIAL_HEADS",
    "SoccerMasterForGameStateReconstruction",
    "SoccerMasterForPreTraining",
    "SoccerMasterForPreTrainingOutput",
    "SoccerMasterGameStateOutput",
    "SoccerMasterMultiTaskPreTrainedModel",
]
