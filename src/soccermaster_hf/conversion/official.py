"""Convert the authors' released SoccerMaster checkpoints to transformers folders.

The release (Hub repo ``xleprime/SoccerMaster``) holds plain ``torch.save`` state dicts: ``backbone.pt`` plus one file per
head. This module reads them safely (``torch.load(weights_only=True)`` only, or the same layout as ``.safetensors``),
maps the keys onto :class:`~soccermaster_hf.SoccerMasterVisionModel` and writes a ``save_pretrained`` folder.

Key mapping of the backbone (official -> ours); every official key must be consumed, every one of ours produced:

=========================================================  ==================================================
``vision_model_embedding.*``                                ``embeddings.*``
``encoder_blocks.{i}.encoder.*``                            ``encoder.layers.{i}.*`` (SigLIP layer, same names)
``encoder_blocks.{i}.temporal_norm1.*``                     ``encoder.layers.{i}.temporal_layer_norm.*``
``encoder_blocks.{i}.temporal_attn.in_proj_{weight,bias}``  split [q; k; v] -> ``temporal_attn.{q,k,v}_proj.*``
``encoder_blocks.{i}.temporal_attn.out_proj.*``             ``encoder.layers.{i}.temporal_attn.out_proj.*``
``encoder_blocks.{i}.temporal_fc.*``                        ``encoder.layers.{i}.temporal_fc.*``
``encoder_blocks.{i}.temporal_alpha_attn``                  ``encoder.layers.{i}.temporal_alpha``
``temporal_embedding`` ``(1, T, D)``                        ``temporal_embedding`` ``(T, D)``
``post_norm.*``                                             ``post_layernorm.*``
``head.*``                                                  ``head.*`` (SigLIP pooling head, same names)
=========================================================  ==================================================

The authors' pre-release code named the blocks ``timesformer.resblocks.{i}``; that prefix is accepted as an alias.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ..modeling import SoccerMasterVisionConfig, SoccerMasterVisionModel

BACKBONE_FILE_STEM = "backbone"
SUPPORTED_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")


class CheckpointConversionError(ValueError):
    """A checkpoint cannot be converted; the message names the file and the problem."""


def load_state_dict_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a plain state dict from ``.pt``/``.pth``/``.bin`` (weights-only unpickling) or ``.safetensors``.

    Floating tensors stored in a float8 type are up-cast to float32 (losslessly). Pickles that need arbitrary code to
    load (anything but tensors, containers and primitive types) are refused: they could run code on your machine.
    A ``{"state_dict": ...}`` / ``{"model": ...}`` wrapper is unwrapped.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointConversionError(f"{path}: file not found.")
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            state_dict = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as error:
            raise CheckpointConversionError(f"{path}: not a readable safetensors file ({error}).") from error
    else:
        try:
            state_dict = torch.load(str(path), map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            raise CheckpointConversionError(
                f"{path}: refusing to load this pickle with weights_only=True because it contains objects other than "
                f"tensors and plain containers ({str(error).splitlines()[0] if str(error) else error}). Only plain "
                "state dicts are supported; re-save it as a state dict or safetensors from a trusted environment."
            ) from error
        except (RuntimeError, EOFError, OSError) as error:
            raise CheckpointConversionError(f"{path}: not a readable PyTorch checkpoint ({error}).") from error
        if isinstance(state_dict, Mapping):
            for wrapper_key in ("state_dict", "model", "module"):
                if wrapper_key in state_dict and isinstance(state_dict[wrapper_key], Mapping):
                    state_dict = state_dict[wrapper_key]
                    break
    if not isinstance(state_dict, Mapping):
        raise CheckpointConversionError(f"{path}: expected a state dict (mapping of names to tensors), got "
                                        f"{type(state_dict).__name__}.")
    result: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointConversionError(f"{path}: entry {key!r} is a {type(value).__name__}, not a tensor.")
        if value.dtype in (torch.float8_e4m3fn, torch.float8_e5m2):
            value = value.to(torch.float32)
        result[str(key)] = value
    return result


_BLOCK_PATTERN = re.compile(r"^(?:encoder_blocks|timesformer\.resblocks)\.(\d+)\.(.+)$")


def infer_backbone_config(
    official_state_dict: Mapping[str, torch.Tensor],
    num_attention_heads: int | None = None,
    **overrides: Any,
) -> SoccerMasterVisionConfig:
    """Read the architecture off an official backbone state dict.

    Everything is inferred from tensor shapes except the number of attention heads, which defaults to
    ``hidden_size // 64`` (SigLIP's head width; 16 for the released model) unless given.
    """
    keys = set(official_state_dict)
    try:
        patch = official_state_dict["vision_model_embedding.patch_embedding.weight"]
        positions = official_state_dict["vision_model_embedding.position_embedding.weight"]
        temporal = official_state_dict["temporal_embedding"]
    except KeyError as error:
        raise CheckpointConversionError(
            f"not a SoccerMaster backbone state dict: missing {error.args[0]!r} (found {len(keys)} keys, e.g. "
            f"{sorted(keys)[:3]})."
        ) from None
    hidden_size, num_channels, patch_size, _ = patch.shape
    grid = int(round(positions.shape[0] ** 0.5))
    if grid * grid != positions.shape[0]:
        raise CheckpointConversionError(f"position table of {positions.shape[0]} rows is not a square patch grid.")
    blocks: dict[int, set[str]] = {}
    for key in keys:
        match = _BLOCK_PATTERN.match(key)
        if match:
            blocks.setdefault(int(match.group(1)), set()).add(match.group(2))
    if not blocks:
        raise CheckpointConversionError("no encoder blocks (`encoder_blocks.{i}.*`) found.")
    num_layers = max(blocks) + 1
    temporal_layers = sorted(index for index, names in blocks.items() if any(n.startswith("temporal_") for n in names))
    temporal_start = temporal_layers[0] if temporal_layers else num_layers
    if temporal_layers != list(range(temporal_start, num_layers)):
        raise CheckpointConversionError(
            f"temporal blocks must be the last blocks; found temporal parameters in blocks {temporal_layers}."
        )
    intermediate = official_state_dict["encoder_blocks.0.encoder.mlp.fc1.weight"].shape[0]
    config_kwargs: dict[str, Any] = {
        "hidden_size": int(hidden_size),
        "intermediate_size": int(intermediate),
        "num_hidden_layers": int(num_layers),
        "num_attention_heads": int(num_attention_heads or max(1, hidden_size // 64)),
        "num_channels": int(num_channels),
        "image_size": int(grid * patch_size),
        "patch_size": int(patch_size),
        "num_frames": int(temporal.shape[-2]),
        "temporal_start_layer": int(temporal_start),
        "vision_use_head": "head.probe" in keys,
    }
    config_kwargs.update(overrides)
    return SoccerMasterVisionConfig(**config_kwargs)


def convert_backbone_state_dict(
    official_state_dict: Mapping[str, torch.Tensor], config: SoccerMasterVisionConfig
) -> dict[str, torch.Tensor]:
    """Map an official backbone state dict onto :class:`SoccerMasterVisionModel` keys (see the module docstring).

    Raises :class:`CheckpointConversionError` listing every official key that has no counterpart.
    """
    converted: dict[str, torch.Tensor] = {}
    unexpected: list[str] = []
    hidden = config.hidden_size
    for key, tensor in official_state_dict.items():
        if key == "temporal_embedding":
            converted["temporal_embedding"] = tensor.reshape(tensor.shape[-2], tensor.shape[-1])
        elif key.startswith("vision_model_embedding."):
            converted["embeddings." + key[len("vision_model_embedding."):]] = tensor
        elif key.startswith("post_norm."):
            converted["post_layernorm." + key[len("post_norm."):]] = tensor
        elif key.startswith("head."):
            converted[key] = tensor
        elif match := _BLOCK_PATTERN.match(key):
            index, rest = match.group(1), match.group(2)
            prefix = f"encoder.layers.{index}."
            if rest.startswith("encoder."):
                converted[prefix + rest[len("encoder."):]] = tensor
            elif rest.startswith("temporal_norm1."):
                converted[prefix + "temporal_layer_norm." + rest[len("temporal_norm1."):]] = tensor
            elif rest in ("temporal_attn.in_proj_weight", "temporal_attn.in_proj_bias"):
                kind = rest.rsplit("_", 1)[-1]  # "weight" or "bias"
                if tensor.shape[0] != 3 * hidden:
                    raise CheckpointConversionError(f"{key}: expected {3 * hidden} rows, got {tuple(tensor.shape)}.")
                # nn.MultiheadAttention stacks the input projections as [q; k; v].
                for name, part in zip(("q_proj", "k_proj", "v_proj"), tensor.split(hidden, dim=0)):
                    converted[f"{prefix}temporal_attn.{name}.{kind}"] = part.clone()
            elif rest.startswith("temporal_attn.out_proj.") or rest.startswith("temporal_fc."):
                converted[prefix + rest] = tensor
            elif rest == "temporal_alpha_attn":
                converted[prefix + "temporal_alpha"] = tensor.reshape(())
            else:
                unexpected.append(key)
        else:
            unexpected.append(key)
    if unexpected:
        raise CheckpointConversionError(
            f"{len(unexpected)} official key(s) have no counterpart in SoccerMasterVisionModel: {sorted(unexpected)[:10]}"
        )
    return converted


def check_against_model(
    converted: Mapping[str, torch.Tensor], config: SoccerMasterVisionConfig
) -> tuple[list[str], list[str], list[str]]:
    """Compare converted keys and shapes with a model built on the meta device.

    Returns ``(missing, unexpected, shape_mismatches)``; all three are empty for a complete conversion.
    """
    with torch.device("meta"):
        model = SoccerMasterVisionModel(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(converted))
    unexpected = sorted(set(converted) - set(expected))
    mismatches = [
        f"{key}: checkpoint {tuple(converted[key].shape)} vs model {tuple(expected[key].shape)}"
        for key in sorted(set(expected) & set(converted))
        if tuple(converted[key].shape) != tuple(expected[key].shape)
    ]
    return missing, unexpected, mismatches


def _find_file(source: Path, stem: str) -> Path | None:
    for suffix in SUPPORTED_SUFFIXES:
        candidate = source / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def convert_official_backbone(
    source: str | os.PathLike,
    output_dir: str | os.PathLike,
    num_attention_heads: int | None = None,
    config_overrides: Mapping[str, Any] | None = None,
    dtype: torch.dtype | None = None,
) -> SoccerMasterVisionModel:
    """Convert ``backbone.pt`` / ``backbone.safetensors`` (a file, or a folder holding it) to a transformers folder.

    Writes ``config.json`` and ``model.safetensors`` (plus the remote code and ``auto_map``) to ``output_dir`` and
    returns the loaded model. The conversion is strict: zero missing and zero unexpected keys, or an error.
    """
    source = Path(source)
    path = _find_file(source, BACKBONE_FILE_STEM) if source.is_dir() else source
    if path is None:
        raise CheckpointConversionError(
            f"{source}: no {BACKBONE_FILE_STEM}{{{','.join(SUPPORTED_SUFFIXES)}}} found in this folder."
        )
    official = load_state_dict_file(path)
    try:
        config = infer_backbone_config(official, num_attention_heads=num_attention_heads, **dict(config_overrides or {}))
        converted = convert_backbone_state_dict(official, config)
    except CheckpointConversionError as error:
        raise CheckpointConversionError(f"{path}: {error}") from None
    missing, unexpected, mismatches = check_against_model(converted, config)
    if missing or unexpected or mismatches:
        raise CheckpointConversionError(
            f"{path}: conversion incomplete: missing={missing[:10]} unexpected={unexpected[:10]} "
            f"shape mismatches={mismatches[:10]}"
        )
    model = SoccerMasterVisionModel(config)
    model.load_state_dict(converted, strict=True)
    if dtype is not None:
        model = model.to(dtype)
    model.eval()
    output_dir = Path(output_dir)
    save_pretrained_atomic(model, output_dir)
    (output_dir / "conversion.json").write_text(
        json.dumps(
            {
                "source_file": path.name,
                "source_num_tensors": len(official),
                "converted_num_tensors": len(converted),
                "converter": "soccermaster_hf.conversion.official.convert_official_backbone",
            },
            indent=2,
        )
        + "\n"
    )
    return model


def save_pretrained_atomic(model: torch.nn.Module, output_dir: Path) -> None:
    """``save_pretrained`` into a temporary sibling folder, then rename it into place (no half-written folder)."""
    import shutil
    import tempfile

    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.", dir=output_dir.parent))
    try:
        model.save_pretrained(staging)
        if output_dir.exists():
            backup = output_dir.with_name(output_dir.name + ".old")
            if backup.exists():
                shutil.rmtree(backup)
            output_dir.rename(backup)
            staging.rename(output_dir)
            shutil.rmtree(backup)
        else:
            staging.rename(output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


__all__ = [
    "CheckpointConversionError",
    "check_against_model",
    "convert_backbone_state_dict",
    "convert_official_backbone",
    "infer_backbone_config",
    "load_state_dict_file",
    "save_pretrained_atomic",
]
