"""Helpers of the datasets tests."""

from __future__ import annotations

import json
from pathlib import Path

import torch


def assert_same(a, b, path: str = "sample") -> None:
    """Exact equality of nested samples / model inputs (tensors: same dtype, shape and values)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, (path, a, b)
        assert torch.equal(a, b), f"{path}: values differ"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (path, set(a) ^ set(b))
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def data_files(folder: Path, config: str, split: str = "train") -> list[str]:
    info = json.loads((folder / "meta" / "info.json").read_text())
    return [str(folder / name) for name in info["configs"][config]["splits"][split]["files"]]
