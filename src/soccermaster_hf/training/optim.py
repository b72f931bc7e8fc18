"""The authors' optimiser recipe (SPEC 1.4): AdamW parameter groups by module and per-module gradient clipping.

Library-only (training code does not ship as Hub remote code).
"""

from __future__ import annotations

import torch
from torch import nn


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
        # a PEFT-wrapped model (LoRA): the same groups by the wrapped model's names
        name = name.removeprefix("base_model.model.")
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


def build_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over the authors' parameter groups (`lr` is their backbone learning rate)."""
    return torch.optim.AdamW(optimizer_parameter_groups(model, base_lr=lr, weight_decay=weight_decay))


__all__ = ["build_optimizer", "clip_gradients_per_module", "optimizer_parameter_groups"]
