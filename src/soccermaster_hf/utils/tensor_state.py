"""Nested training state (optimiser, scheduler, RNG) as safetensors + JSON: loading it never runs code.

``save_state(state, folder, name)`` writes ``<name>.safetensors`` (every tensor, under its path in the structure) and
``<name>.json`` (everything else: dicts, lists, tuples, ints, floats, strings, booleans and ``None``, with the
tensors' places). ``load_state(folder, name)`` rebuilds the structure; a malformed pair raises ``ValueError`` naming
the file. Python floats round-trip exactly through JSON, so a resumed run is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from .io import atomic_path, atomic_write_text

FORMAT = "soccermaster_hf.tensor_state/1"


def _encode(value: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        key = path or "tensor"
        while key in tensors:
            key += "#"
        tensors[key] = value.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and "__tensor__" not in value and "__tuple__" not in value \
                and "__items__" not in value:
            return {k: _encode(v, f"{path}.{k}" if path else k, tensors) for k, v in value.items()}
        return {"__items__": [[_encode(k, f"{path}.key{i}", tensors), _encode(v, f"{path}.{k}", tensors)]
                              for i, (k, v) in enumerate(value.items())]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{path}.{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{path}.{i}", tensors) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a training state (at {path or 'the top'}).")


def _decode(value: Any, tensors: dict[str, torch.Tensor], source: Path) -> Any:
    if isinstance(value, dict):
        if "__tensor__" in value:
            key = value["__tensor__"]
            if key not in tensors:
                raise ValueError(f"{source}: tensor {key!r} is missing from the safetensors file.")
            return tensors[key]
        if "__tuple__" in value:
            return tuple(_decode(v, tensors, source) for v in value["__tuple__"])
        if "__items__" in value:
            items = value["__items__"]
            if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 2 for i in items):
                raise ValueError(f"{source}: malformed '__items__' entry.")
            return {_decode(k, tensors, source): _decode(v, tensors, source) for k, v in items}
        return {k: _decode(v, tensors, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, tensors, source) for v in value]
    return value


def save_state(state: Any, folder: str | os.PathLike, name: str) -> tuple[Path, Path]:
    """Write `state` as ``<folder>/<name>.safetensors`` + ``<folder>/<name>.json`` (each atomically)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    tensors: dict[str, torch.Tensor] = {}
    structure = _encode(state, "", tensors)
    tensor_file, json_file = folder / f"{name}.safetensors", folder / f"{name}.json"
    with atomic_path(tensor_file) as tmp:
        # a tensor may appear twice in a structure: safetensors refuses shared storage, so each gets its own copy
        save_file({k: v.clone() for k, v in tensors.items()}, str(tmp), metadata={"format": FORMAT})
    atomic_write_text(json_file, json.dumps({"format": FORMAT, "state": structure}))
    return tensor_file, json_file


def load_state(folder: str | os.PathLike, name: str) -> Any:
    """Read what :func:`save_state` wrote; ``ValueError`` (naming the file) if it is missing pieces or malformed."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    tensor_file, json_file = folder / f"{name}.safetensors", folder / f"{name}.json"
    try:
        document = json.loads(json_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{json_file}: training state missing.") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"{json_file}: unreadable training state ({error}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or "state" not in document:
        raise ValueError(f"{json_file}: not a {FORMAT} file.")
    try:
        tensors = load_file(str(tensor_file))
    except FileNotFoundError:
        raise FileNotFoundError(f"{tensor_file}: training state missing.") from None
    except (SafetensorError, OSError, ValueError) as error:
        raise ValueError(f"{tensor_file}: unreadable training state ({error}).") from None
    return _decode(document["state"], tensors, json_file)


__all__ = ["FORMAT", "load_state", "save_state"]
