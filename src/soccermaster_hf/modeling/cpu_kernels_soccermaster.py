# Copyright 2026 The soccermaster_hf developers. Licensed under the Apache License, Version 2.0.
"""The CPU inference fast path of the backbone: oneDNN's fused linear kernels with packed weights.

Bias, GELU and residual additions are fused into the matrix products, as PyTorch's compiler does for frozen CPU
graphs. Used only without autograd, on CPU float32/bfloat16 tensors, for plain `nn.Linear` layers whose weights are
materialised (not PEFT-wrapped, quantised or offloaded), and never while compiling. Both paths are tested equal.

Ships as Hub remote code with the model files.
"""

from __future__ import annotations

import torch
from torch import nn

_MKLDNN_LINEAR = getattr(torch.ops.mkldnn, "_linear_pointwise", None) if hasattr(torch.ops, "mkldnn") else None
FUSED_CPU_MAX_WIDTH = 512


def _bf16_supported() -> bool:
    """oneDNN's bfloat16 kernels need AVX-512 (BW/VL/DQ) or AVX-NE-CONVERT; on other CPUs (AVX2 only) they refuse."""
    probe = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None) if hasattr(torch.ops, "mkldnn") else None
    try:
        return bool(probe()) if probe is not None else False
    except RuntimeError:
        return False


_BF16_SUPPORTED = _bf16_supported()


def use_fused_cpu_path(module: nn.Module, hidden_states: torch.Tensor) -> bool:
    """Whether to run a layer through oneDNN's fused linear kernels (CPU inference only).

    The fast path packs the weights once (re-packed whenever a weight changes) and fuses the bias, the GELU and the
    residual additions into the matrix multiplications, as PyTorch's own compiler does for frozen CPU graphs. It is
    used only without autograd, on CPU float32 tensors (bfloat16 too where the CPU has oneDNN's bfloat16 kernels,
    else bfloat16 takes the reference path), when every projection is a plain `nn.Linear` (so a
    PEFT/LoRA-wrapped or quantised layer always takes the reference path), and when not compiling.
    """
    if torch.compiler.is_compiling():
        return False  # the compiler fuses on its own; the oneDNN probes below would break the graph
    mode = module.fused_cpu_inference
    if mode == "auto":
        # Measured on a 2-core AVX-512 CPU (benchmarks/backbone_speed.py): the fused kernels win at width 192
        # (0.91-0.94 of SigLIP's time vs 0.96-1.01 for the reference path) and lose at width 768, where plain MKL
        # products are already near peak (0.98 vs 0.94). Above this width the reference path is used.
        mode = hidden_states.shape[-1] <= FUSED_CPU_MAX_WIDTH
    return (
        _MKLDNN_LINEAR is not None
        and bool(mode)
        and not torch.is_grad_enabled()
        and hidden_states.device.type == "cpu"
        and (hidden_states.dtype == torch.float32 or (hidden_states.dtype == torch.bfloat16 and _BF16_SUPPORTED))
        and torch.backends.mkldnn.is_available()
    )


def packed_weight(owner: nn.Module, cache_name: str, linears: tuple[nn.Module, ...]) -> tuple | None:
    """oneDNN-packed (concatenated) weight and bias of `linears`, cached on `owner` and keyed on the weights' versions.

    Returns `None` if any module is not a plain `nn.Linear` (e.g. wrapped by PEFT), so callers fall back.
    """
    if any(type(linear) is not nn.Linear or linear.weight.is_meta or hasattr(linear, "_hf_hook") for linear in linears):
        return None  # PEFT-wrapped, quantised, or offloaded by accelerate (weights arrive in the module's own hook)
    key = tuple((linear.weight.data_ptr(), linear.weight._version, linear.weight.dtype,
                 None if linear.bias is None else (linear.bias.data_ptr(), linear.bias._version)) for linear in linears)
    cached = owner.__dict__.get(cache_name)
    if cached is not None and cached[0] == key:
        return cached[1], cached[2]
    weight = torch.cat([linear.weight.detach() for linear in linears]) if len(linears) > 1 else linears[0].weight.detach()
    if any(linear.bias is None for linear in linears):
        bias = None
    else:
        bias = torch.cat([linear.bias.detach() for linear in linears]) if len(linears) > 1 else linears[0].bias.detach()
    packed = torch.ops.mkldnn._reorder_linear_weight(weight.contiguous(), None)
    owner.__dict__[cache_name] = (key, packed, bias)
    return packed, bias


def fused_linear(x: torch.Tensor, packed: tuple, activation: str = "none", residual: torch.Tensor | None = None):
    """`activation(x @ W.T + b)` or `x @ W.T + b + residual` with oneDNN's fused kernels (`packed` from above)."""
    weight, bias = packed
    flat = x.reshape(-1, x.shape[-1])
    if residual is not None:
        out = _MKLDNN_LINEAR.binary(flat, residual.reshape(-1, residual.shape[-1]), weight, bias, "add")
    elif activation == "gelu_tanh":
        out = _MKLDNN_LINEAR(flat, weight, bias, "gelu", [], "tanh")
    else:
        out = _MKLDNN_LINEAR(flat, weight, bias, "none", [], "")
    return out.view(*x.shape[:-1], out.shape[-1])


__all__ = ["FUSED_CPU_MAX_WIDTH", "fused_linear", "packed_weight", "use_fused_cpu_path"]
