"""What this machine's CPU can do fast."""

from __future__ import annotations

import torch

__all__ = ["cpu_has_native_bfloat16"]


def cpu_has_native_bfloat16() -> bool:
    """Whether the CPU has native bfloat16 instructions (AVX-512-BF16 or AMX). Without them PyTorch emulates
    bfloat16 on the CPU: matrix products and convolutions in bfloat16 are then slower than in float32, the pitch
    heads' convolutions many times so (``benchmarks/heads_only_step.py``). Uses torch's private probes (present in
    torch 2.x); a missing probe counts as "no"."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(bool(check()) for check in checks if check is not None)
