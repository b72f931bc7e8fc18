# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""Losses of the SoccerMaster heads.

Detection follows Deformable DETR as transformers implements it (`DeformableDetrHungarianMatcher`,
`sigmoid_focal_loss`, L1 + GIoU on matched boxes, auxiliary losses per decoder layer) plus the authors' attribute
losses: sigmoid focal losses on the role, jersey (holistic, tens digit, units digit) and, ours, team logits of the
*matched* queries only, normalised by the number of target boxes like the box losses.

Label handling (`prepare_detection_labels`) is strict and explicit instead of failing deep in the matcher:

* `boxes` are normalised `(center_x, center_y, width, height)`; boxes partly outside the image are clipped to it,
  boxes entirely outside (or degenerate) are dropped and counted in `loss_dict["dropped_targets"]`;
* NaN / infinite values, wrong shapes and unknown role / team strings raise `ValueError` naming the frame and field;
* jersey numbers: ints 0-99 or digit strings; `None`, `-1`, `""` or a legibility score <= 0.5 give the "none" class;
  a 1-digit number trains the units digit only (tens = none), as the authors do;
* ball targets (`class_labels == 1`) are dropped (and counted) when the head does not detect the ball.

With `two_stage=True` the per-token proposals get the same Hungarian class/box loss (`enc_loss_ce`, `enc_loss_bbox`,
`enc_loss_giou`, as Deformable DETR's two-stage variant does).

Ships as Hub remote code.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torchvision.ops import sigmoid_focal_loss
from transformers.image_transforms import center_to_corners_format
from transformers.loss.loss_deformable_detr import DeformableDetrHungarianMatcher
from transformers.loss.loss_for_object_detection import generalized_box_iou
from transformers.utils import ModelOutput

from .configuration_soccermaster import ROLE_NAMES, TEAM_NAMES, SoccerMasterDetectionConfig


def _as_list(value, count: int, name: str, frame: int) -> list:
    if value is None:
        return [None] * count
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    value = list(value)
    if len(value) != count:
        raise ValueError(f"labels[{frame}]['{name}'] has {len(value)} entries for {count} boxes.")
    return value


def _class_index(value, names: Sequence[str], kind: str, frame: int) -> int:
    """Index of `value` (a name, case-insensitive, or an index) in `names`; `None` is the last class ("none")."""
    if value is None:
        return len(names) - 1
    if isinstance(value, str):
        key = value.strip().lower()
        lowered = [name.lower() for name in names]
        if key not in lowered:
            raise ValueError(f"labels[{frame}]: unknown {kind} {value!r}; expected one of {list(names)}.")
        return lowered.index(key)
    index = int(value)
    if not 0 <= index < len(names):
        raise ValueError(f"labels[{frame}]: {kind} index {index} outside 0..{len(names) - 1}.")
    return index


def jersey_targets(value, frame: int = 0, legibility: float | None = None) -> tuple[int, int, int]:
    """`(holistic, tens, units)` class indices of one jersey label (see the module docstring)."""
    if legibility is not None and legibility <= 0.5:
        value = None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
        elif not value.isdigit():
            raise ValueError(f"labels[{frame}]: jersey number {value!r} is not a number 0-99.")
    if value is None:
        return 100, 9, 10
    number = int(value)
    if number == -1:
        return 100, 9, 10
    if not 0 <= number <= 99:
        raise ValueError(f"labels[{frame}]: jersey number {number} outside 0-99 (use None or -1 for 'not legible').")
    tens = number // 10 - 1 if number >= 10 else 9  # "1".."9" -> 0..8, none -> 9
    return number, tens, number % 10


def prepare_detection_labels(
    labels: Sequence,
    num_images: int,
    num_classes: int,
    device: torch.device,
    role_names: Sequence[str] = ROLE_NAMES,
    team_names: Sequence[str] = TEAM_NAMES,
) -> tuple[list[dict[str, torch.Tensor]], int]:
    """Validate and convert user labels to per-image tensors; returns `(targets, dropped_count)`.

    Role and team names are looked up (case-insensitively) in `role_names` / `team_names`, the vocabularies of the
    detection config."""
    if len(labels) and isinstance(labels[0], (list, tuple)):
        labels = [frame for clip in labels for frame in clip]  # per-clip lists of per-frame dicts
    if len(labels) != num_images:
        raise ValueError(f"Got {len(labels)} label dicts for {num_images} images/frames (one dict per frame).")
    targets, dropped = [], 0
    for frame, label in enumerate(labels):
        if not isinstance(label, dict):
            raise ValueError(f"labels[{frame}] must be a dict, got {type(label).__name__}.")
        raw_boxes = label.get("boxes")
        if raw_boxes is None or len(raw_boxes) == 0:
            boxes = torch.zeros(0, 4)
        else:
            boxes = torch.as_tensor(raw_boxes, dtype=torch.float32).detach().cpu()
            if boxes.ndim != 2 or boxes.shape[-1] != 4:
                raise ValueError(f"labels[{frame}]['boxes'] must have shape (num_boxes, 4), got {tuple(boxes.shape)}.")
        count = boxes.shape[0]
        if not torch.isfinite(boxes).all():
            raise ValueError(f"labels[{frame}]['boxes'] contains NaN or infinite values.")
        classes = torch.as_tensor(label.get("class_labels", [0] * count), dtype=torch.long).reshape(-1)
        if classes.shape[0] != count:
            raise ValueError(f"labels[{frame}]: {classes.shape[0]} class_labels for {count} boxes.")
        if count and (classes.min() < 0 or classes.max() > 1):
            raise ValueError(f"labels[{frame}]['class_labels'] must be 0 (person) or 1 (ball).")
        roles = [_class_index(v, role_names, "role", frame) for v in _as_list(label.get("roles"), count, "roles", frame)]
        teams = [_class_index(v, team_names, "team", frame) for v in _as_list(label.get("teams"), count, "teams", frame)]
        legibility = _as_list(label.get("jersey_legibility"), count, "jersey_legibility", frame)
        jerseys = [jersey_targets(v, frame, None if score is None else float(score))
                   for v, score in zip(_as_list(label.get("jerseys"), count, "jerseys", frame), legibility)]
        # clip to the image: cxcywh -> corners -> clip -> back
        corners = center_to_corners_format(boxes).clamp(0.0, 1.0)
        widths, heights = corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]
        keep = (widths > 0) & (heights > 0) & (classes < num_classes)
        dropped += int((~keep).sum())
        corners = corners[keep]
        clipped = torch.stack([(corners[:, 0] + corners[:, 2]) / 2, (corners[:, 1] + corners[:, 3]) / 2,
                               corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]], dim=-1)
        keep_list = keep.tolist()

        def kept(values, mask=keep_list):
            return torch.as_tensor([v for v, k in zip(values, mask) if k], dtype=torch.long, device=device)

        targets.append({
            "class_labels": classes[keep].to(device),
            "boxes": clipped.reshape(-1, 4).to(device),
            "roles": kept(roles),
            "teams": kept(teams),
            "jerseys": kept([j[0] for j in jerseys]),
            "jersey_tens": kept([j[1] for j in jerseys]),
            "jersey_units": kept([j[2] for j in jerseys]),
        })
    return targets, dropped


def _focal_sum(logits: torch.Tensor, target_classes: torch.Tensor, alpha: float, gamma: float) -> torch.Tensor:
    """Sigmoid focal loss (torchvision's, Lin et al. 2017) with one-hot targets, summed over classes and rows."""
    onehot = nn.functional.one_hot(target_classes, logits.shape[-1]).to(logits.dtype)
    return sigmoid_focal_loss(logits, onehot, alpha=alpha, gamma=gamma, reduction="sum")


ATTRIBUTES = (("role", "role_logits", "roles"), ("jersey", "jersey_logits", "jerseys"),
              ("jersey_tens", "jersey_tens_logits", "jersey_tens"), ("jersey_units", "jersey_units_logits", "jersey_units"),
              ("team", "team_logits", "teams"))


class SoccerMasterDetectionLoss(nn.Module):
    """Hungarian-matched detection + attribute loss; see the module docstring."""

    def __init__(self, config: SoccerMasterDetectionConfig):
        super().__init__()
        self.config = config
        self.matcher = DeformableDetrHungarianMatcher(
            class_cost=config.class_cost, bbox_cost=config.bbox_cost, giou_cost=config.giou_cost
        )
        self.weights = {
            "loss_ce": config.class_loss_coefficient,
            "loss_bbox": config.bbox_loss_coefficient,
            "loss_giou": config.giou_loss_coefficient,
            "loss_role": config.role_loss_coefficient,
            "loss_jersey": config.jersey_loss_coefficient,
            "loss_jersey_tens": config.jersey_tens_loss_coefficient,
            "loss_jersey_units": config.jersey_units_loss_coefficient,
            "loss_team": config.team_loss_coefficient,
        }

    def single_layer(self, outputs: ModelOutput, targets: list[dict], num_boxes: float) -> dict[str, torch.Tensor]:
        logits = outputs["logits"]
        indices = self.matcher({"logits": logits.detach().float(), "pred_boxes": outputs["pred_boxes"].detach().float()},
                               targets)
        batch_index = torch.cat([torch.full_like(source, i) for i, (source, _) in enumerate(indices)])
        query_index = torch.cat([source for source, _ in indices])
        target_classes = torch.full(logits.shape[:2], logits.shape[-1], dtype=torch.long, device=logits.device)
        matched_classes = torch.cat([t["class_labels"][j] for t, (_, j) in zip(targets, indices)])
        target_classes[batch_index, query_index] = matched_classes
        # one-hot with an extra "no object" column that is dropped: unmatched queries are all-negative
        onehot = nn.functional.one_hot(target_classes, logits.shape[-1] + 1)[..., :-1].to(logits.dtype)
        alpha = self.config.focal_alpha
        focal = sigmoid_focal_loss(logits, onehot, alpha=alpha, gamma=self.config.focal_gamma, reduction="sum")
        losses = {"loss_ce": focal / num_boxes}

        source_boxes = outputs["pred_boxes"][batch_index, query_index]
        target_boxes = torch.cat([t["boxes"][j] for t, (_, j) in zip(targets, indices)])
        losses["loss_bbox"] = nn.functional.l1_loss(source_boxes, target_boxes, reduction="sum") / num_boxes
        if target_boxes.numel():
            giou = torch.diag(generalized_box_iou(center_to_corners_format(source_boxes),
                                                  center_to_corners_format(target_boxes)))
            losses["loss_giou"] = (1 - giou).sum() / num_boxes
        else:
            losses["loss_giou"] = source_boxes.sum() * 0.0
        for name, output_key, target_key in ATTRIBUTES:
            if output_key not in outputs:  # two-stage token proposals: boxes and classes only
                continue
            predicted = outputs[output_key][batch_index, query_index]
            wanted = torch.cat([t[target_key][j] for t, (_, j) in zip(targets, indices)])
            # attributes are learned on matched *person* queries only
            person = matched_classes == 0
            losses[f"loss_{name}"] = _focal_sum(predicted[person], wanted[person], alpha,
                                                self.config.focal_gamma) / num_boxes
        return losses

    def forward(self, head_output: ModelOutput, labels: Sequence) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = head_output["logits"]
        targets, dropped = prepare_detection_labels(labels, logits.shape[0], logits.shape[-1], logits.device,
                                                    self.config.role_names, self.config.team_names)
        num_boxes = max(float(sum(len(t["class_labels"]) for t in targets)), 1.0)
        loss_dict = self.single_layer(head_output, targets, num_boxes)
        if self.config.auxiliary_loss:
            for index, auxiliary in enumerate(head_output.get("auxiliary_outputs") or []):
                for key, value in self.single_layer(auxiliary, targets, num_boxes).items():
                    loss_dict[f"{key}_{index}"] = value
        if head_output.get("encoder_outputs") is not None:
            for key, value in self.single_layer(head_output["encoder_outputs"], targets, num_boxes).items():
                loss_dict[f"enc_{key}"] = value

        def weight(key: str) -> float:
            key = key.removeprefix("enc_")
            return self.weights[key.rsplit("_", 1)[0] if key[-1].isdigit() else key]

        total = sum(weight(key) * value for key, value in loss_dict.items())
        loss_dict["dropped_targets"] = torch.tensor(float(dropped), device=logits.device)
        return total, loss_dict


__all__ = ["SoccerMasterDetectionLoss", "jersey_targets", "prepare_detection_labels"]
