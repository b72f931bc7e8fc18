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

import os
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ..hub import write_hub_folder
from ..modeling import SoccerMasterVisionConfig, SoccerMasterVisionModel
from ..utils.io import atomic_write_json, save_pretrained_atomic  # re-exported: the writer of every model folder
from .cards import conversion_card

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
                _split_in_projection(key, tensor, f"{prefix}temporal_attn.", converted, hidden)
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
    *,
    overwrite: bool = False,
    base_model: str | None = None,
    revision: str | None = None,
) -> SoccerMasterVisionModel:
    """Convert ``backbone.pt`` / ``backbone.safetensors`` (a file, or a folder holding it) to a Hub folder.

    Writes a complete Hub folder (:func:`soccermaster_hf.hub.write_hub_folder`: weights, config with ``auto_map``,
    remote code, processor configs, model card, ``conversion.json``) to ``output_dir`` and returns the loaded model.
    The conversion is strict: zero missing and zero unexpected keys, or an error. `base_model` / `revision` (the Hub id
    and revision the files came from) go into the model card.
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
    record = {"source_file": path.name, "source_num_tensors": len(official), "converted_num_tensors": len(converted),
              "converter": "soccermaster_hf.conversion.official.convert_official_backbone"}
    write_hub_folder(model, output_dir, "convert", overwrite=overwrite, sources=[path],
                     extra_json={"conversion.json": record},
                     **conversion_card("backbone", base_model or str(source), [path.name], base_model=base_model,
                                       revision=revision))
    return model


__all__ = [
    "CheckpointConversionError",
    "check_against_model",
    "convert_backbone_state_dict",
    "convert_official_backbone",
    "infer_backbone_config",
    "load_state_dict_file",
    "save_pretrained_atomic",
]


# --------------------------------------------------------------------------------------------------------------------
# Heads
# --------------------------------------------------------------------------------------------------------------------

_DETECTION_RENAMES = (
    ("transformer.reference_points.", "reference_points."),
    ("transformer.level_embed", "level_embed"),
    ("jn_holistic_embed.", "jersey_embed."),
    ("digit_head_embed.", "jersey_tens_embed."),
    ("digit_tail_embed.", "jersey_units_embed."),
)
_DETR_LAYER_RENAMES = (
    (".norm2.", ".self_attn_layer_norm."),  # the authors' norm2 follows the *self*-attention
    (".cross_attn.", ".encoder_attn."),
    (".norm1.", ".encoder_attn_layer_norm."),  # ... and norm1 the deformable cross-attention
    (".linear1.", ".mlp.fc1."),
    (".linear2.", ".mlp.fc2."),
    (".norm3.", ".final_layer_norm."),
    (".self_attn.out_proj.", ".self_attn.o_proj."),
)


def _split_in_projection(key: str, tensor: torch.Tensor, prefix: str, converted: dict, hidden: int) -> None:
    """Split an `nn.MultiheadAttention` in-projection (stacked [q; k; v]) into `{prefix}{q,k,v}_proj.{weight,bias}`."""
    kind = key.rsplit("_", 1)[-1]  # "weight" or "bias"
    if tensor.shape[0] != 3 * hidden:
        raise CheckpointConversionError(f"{key}: expected {3 * hidden} rows, got {tuple(tensor.shape)}.")
    for name, part in zip(("q_proj", "k_proj", "v_proj"), tensor.split(hidden, dim=0)):
        converted[f"{prefix}{name}.{kind}"] = part.clone()


def convert_detection_state_dict(official: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`SoccerNetGSR_Detection.pt` -> keys of `SoccerMasterDetectionHead` (without the `detection_head.` prefix).

    The authors' `transformer.decoder.bbox_embed.*` entries alias `bbox_embed.*` (shared storage in the `.pt`, equal
    copies in safetensors): they are checked to be equal and dropped.
    """
    hidden = official["query_embed.weight"].shape[1] // 2
    converted: dict[str, torch.Tensor] = {}
    unexpected = []
    for key, tensor in official.items():
        if key.startswith("transformer.decoder.bbox_embed."):
            own = key[len("transformer.decoder."):]
            if own not in official or official[own].shape != tensor.shape:
                raise CheckpointConversionError(f"{key} should alias {own} but has no such counterpart.")
            if not tensor.is_meta and not torch.equal(official[own], tensor):
                raise CheckpointConversionError(f"{key} should alias {own} but differs from it.")
            continue
        new_key = key
        for old, new in _DETECTION_RENAMES:
            if new_key.startswith(old):
                new_key = new + new_key[len(old):]
        for section, target in (("transformer.decoder.layers.", "decoder_layers."),
                                ("transformer.encoder.layers.", "encoder_layers.")):
            if new_key.startswith(section):
                new_key = target + new_key[len(section):]
                for old, new in _DETR_LAYER_RENAMES:
                    new_key = new_key.replace(old, new)
                if target == "encoder_layers.":  # encoder: norm1 follows the self (deformable) attention
                    new_key = new_key.replace(".encoder_attn_layer_norm.", ".self_attn_layer_norm.")
                    new_key = new_key.replace(".encoder_attn.", ".self_attn.")
        if new_key.endswith(("self_attn.in_proj_weight", "self_attn.in_proj_bias")):
            _split_in_projection(new_key, tensor, new_key.rsplit("in_proj_", 1)[0], converted, hidden)
            continue
        if new_key.startswith("transformer."):
            unexpected.append(key)
            continue
        converted[new_key] = tensor
    if unexpected:
        raise CheckpointConversionError(f"unmapped detection keys: {sorted(unexpected)[:10]}")
    return converted


def convert_pitch_state_dict(official: Mapping[str, torch.Tensor], kind: str) -> dict[str, torch.Tensor]:
    """`KeypointsDetection.pt` / `LinesDetection.pt` -> `keypoint_head.*` / `line_head.*` (same module layout)."""
    source_prefix, target_prefix = {"keypoints": ("keypoints_head.", "keypoint_head."),
                                    "lines": ("lines_head.", "line_head.")}[kind]
    converted, unexpected = {}, []
    for key, tensor in official.items():
        if key.startswith(source_prefix):
            converted[target_prefix + key[len(source_prefix):]] = tensor
        else:
            unexpected.append(key)
    if unexpected:
        raise CheckpointConversionError(f"unmapped {kind} keys: {sorted(unexpected)[:10]}")
    return converted


def convert_event_state_dict(official: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`CaptionClassification.pt` -> `event_head.*` keys (same module layout: no renaming needed)."""
    allowed = ("classifier_ln1.", "classifier_ln2.", "classifier.", "transformer_encoder.")
    unexpected = [key for key in official if not key.startswith(allowed)]
    if unexpected:
        raise CheckpointConversionError(f"unmapped event-head keys: {sorted(unexpected)[:10]}")
    return dict(official)


def convert_alignment_state_dict(official: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`VideoCaption.pt` (`logit_scale`, `logits_bias`) -> `logit_scale`, `logit_bias`."""
    names = {"logit_scale": "logit_scale", "logits_bias": "logit_bias"}
    unexpected = [key for key in official if key not in names]
    if unexpected or set(official) != set(names):
        raise CheckpointConversionError(f"expected keys {sorted(names)}, got {sorted(official)}.")
    return {names[key]: tensor.reshape(()) for key, tensor in official.items()}


# --------------------------------------------------------------------------------------------------------------------
# Whole release: backbone + heads -> one folder per task class
# --------------------------------------------------------------------------------------------------------------------

RELEASE_FILES = {
    "backbone": "backbone",
    "detection": "SoccerNetGSR_Detection",
    "keypoints": "KeypointsDetection",
    "lines": "LinesDetection",
    "events": "CaptionClassification",
    "alignment": "VideoCaption",
}
TASK_FOLDERS = {
    "backbone": ("SoccerMasterVisionModel", ("backbone",)),
    "object-detection": ("SoccerMasterForObjectDetection", ("backbone", "detection")),
    "pitch-registration": ("SoccerMasterForPitchRegistration", ("backbone", "keypoints", "lines")),
    "video-classification": ("SoccerMasterForVideoClassification", ("backbone", "events")),
    "video-text-alignment": ("SoccerMasterModel", ("backbone", "alignment")),
    "pretraining": ("SoccerMasterForPreTraining", ("backbone", "detection", "keypoints", "lines", "events",
                                                   "alignment")),
}
# parameters that the authors' release does not contain and that are initialised fresh
FRESH_PARAMETER_MARKERS = ("detection_head.team_embed.",)


def infer_detection_config(official: Mapping[str, torch.Tensor], num_heads: int = 1) -> dict[str, Any]:
    hidden = official["query_embed.weight"].shape[1] // 2
    levels = len({key.split(".")[1] for key in official if key.startswith("input_proj.")})
    decoder_layers = len({key.split(".")[3] for key in official if key.startswith("transformer.decoder.layers.")})
    encoder_layers = len({key.split(".")[3] for key in official if key.startswith("transformer.encoder.layers.")})
    attention_rows = official["transformer.decoder.layers.0.cross_attn.attention_weights.weight"].shape[0]
    ffn = official["transformer.decoder.layers.0.linear1.weight"].shape[0]
    config = {
        "hidden_size": int(hidden),
        "num_queries": int(official["query_embed.weight"].shape[0]),
        "num_feature_levels": int(levels),
        "decoder_layers": int(decoder_layers),
        "encoder_layers": int(encoder_layers),
        "decoder_attention_heads": num_heads,
        "encoder_attention_heads": num_heads,
        "decoder_n_points": int(attention_rows // (num_heads * levels)),
        "decoder_ffn_dim": int(ffn),
        "detect_ball": official["class_embed.0.weight"].shape[0] == 2,
        "with_box_refine": "class_embed.1.weight" in official or decoder_layers == 1,
    }
    if encoder_layers:
        config["encoder_ffn_dim"] = int(official["transformer.encoder.layers.0.linear1.weight"].shape[0])
    return config


def infer_pitch_config(keypoints: Mapping[str, torch.Tensor] | None, lines: Mapping[str, torch.Tensor] | None
                       ) -> dict[str, Any]:
    reference = keypoints if keypoints is not None else lines
    prefix = "keypoints_head." if keypoints is not None else "lines_head."
    config: dict[str, Any] = {
        "stage_channels": [int(reference[f"{prefix}stage{i}.0.weight"].shape[0]) for i in (1, 2, 3)],
    }
    if keypoints is not None:
        config["num_keypoints"] = int(keypoints["keypoints_head.final_conv.0.weight"].shape[0] - 1)
    if lines is not None:
        config["num_lines"] = int(lines["lines_head.final_conv.0.weight"].shape[0] - 1)
    return config


def infer_event_config(official: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    from ..modeling import EVENT_KEYWORDS

    hidden = official["classifier.weight"].shape[1]
    num_classes = official["classifier.weight"].shape[0]
    layers = len({key.split(".")[2] for key in official if key.startswith("transformer_encoder.layers.")})
    labels = EVENT_KEYWORDS if num_classes == len(EVENT_KEYWORDS) else [f"event_{i}" for i in range(num_classes)]
    return {
        "num_layers": int(layers),
        "ffn_multiplier": int(official["transformer_encoder.layers.0.linear1.weight"].shape[0] // hidden),
        "id2label": dict(enumerate(labels)),
    }


def convert_release_state_dicts(
    files: Mapping[str, Mapping[str, torch.Tensor]],
    num_attention_heads: int | None = None,
    detection_attention_heads: int = 1,
    vision_overrides: Mapping[str, Any] | None = None,
):
    """Map the released files (by role: "backbone", "detection", ...) to one `SoccerMasterConfig` and one state dict
    with `SoccerMasterForPreTraining` key names. Returns `(config, state_dict)`."""
    from ..modeling import SoccerMasterConfig

    if "backbone" not in files:
        raise CheckpointConversionError("the backbone file (backbone.pt) is required.")
    vision_config = infer_backbone_config(files["backbone"], num_attention_heads=num_attention_heads,
                                          **dict(vision_overrides or {}))
    state_dict = {f"vision_model.{k}": v for k, v in convert_backbone_state_dict(files["backbone"],
                                                                                  vision_config).items()}
    kwargs: dict[str, Any] = {"vision_config": vision_config.to_dict()}
    if "detection" in files:
        kwargs["detection_config"] = infer_detection_config(files["detection"], detection_attention_heads)
        state_dict.update({f"detection_head.{k}": v for k, v in convert_detection_state_dict(files["detection"]).items()})
    if "keypoints" in files or "lines" in files:
        kwargs["pitch_config"] = infer_pitch_config(files.get("keypoints"), files.get("lines"))
        if "keypoints" in files:
            state_dict.update(convert_pitch_state_dict(files["keypoints"], "keypoints"))
        if "lines" in files:
            state_dict.update(convert_pitch_state_dict(files["lines"], "lines"))
    if "events" in files:
        kwargs["event_config"] = infer_event_config(files["events"])
        state_dict.update({f"event_head.{k}": v for k, v in convert_event_state_dict(files["events"]).items()})
    if "alignment" in files:
        state_dict.update(convert_alignment_state_dict(files["alignment"]))
    for name in ("vision_config",):
        kwargs[name].pop("model_type", None)
        kwargs[name].pop("transformers_version", None)
    return SoccerMasterConfig(**kwargs), state_dict


def _task_model_class(name: str):
    from .. import modeling

    return getattr(modeling, name)


def load_subset(model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], strip_prefix: str = "") -> list[str]:
    """Load the entries of `state_dict` that `model` has; return missing keys that are not allowed to be fresh.

    Raises on shape mismatches. Keys of `model` that the release does not have are listed in the return value unless
    they are known fresh parameters (the team head).
    """
    own = model.state_dict()
    subset = {}
    for key, tensor in state_dict.items():
        name = key[len(strip_prefix):] if strip_prefix and key.startswith(strip_prefix) else key
        if name in own:
            if tuple(own[name].shape) != tuple(tensor.shape):
                raise CheckpointConversionError(f"{key}: checkpoint {tuple(tensor.shape)} vs model "
                                                f"{tuple(own[name].shape)}")
            subset[name] = tensor
    result = model.load_state_dict(subset, strict=False)
    return [key for key in result.missing_keys if not any(marker in key for marker in FRESH_PARAMETER_MARKERS)]


def convert_official_release(
    source: str | os.PathLike,
    output_dir: str | os.PathLike,
    tasks: list[str] | None = None,
    num_attention_heads: int | None = None,
    detection_attention_heads: int = 1,
    text_encoder: str | None = None,
    dtype: torch.dtype | None = None,
    progress: bool = True,
    *,
    overwrite: bool = False,
    base_model: str | None = None,
    revision: str | None = None,
) -> dict[str, Path]:
    """Convert every released file found in `source` and write one complete Hub folder per task class.

    Folders (those whose files are present, or the `tasks` asked for): `backbone`, `object-detection`,
    `pitch-registration`, `video-classification`, `video-text-alignment`, `pretraining` (the last serves every Auto
    class). Each is written by :func:`soccermaster_hf.hub.write_hub_folder` (guarded: a folder that is not a previous
    `convert` output is refused unless `overwrite`). The text tower is not part of the release: pass `text_encoder`
    (a SigLIP / SigLIP2 checkpoint, e.g. `google/siglip2-large-patch16-512`) to include it in `video-text-alignment`
    and `pretraining`. `base_model` / `revision` (the Hub id and revision the files came from) go into the model
    cards. Returns `{task: folder}`.
    """
    from tqdm.auto import tqdm

    source = Path(source)
    if not source.is_dir():
        raise CheckpointConversionError(f"{source}: not a folder (expected the folder holding backbone.pt, ...).")
    files, file_names, paths = {}, {}, []
    for role, stem in RELEASE_FILES.items():
        path = _find_file(source, stem)
        if path is not None:
            file_names[role] = path.name
            paths.append(path)
            try:
                files[role] = load_state_dict_file(path)
            except CheckpointConversionError:
                raise
            except Exception as error:  # noqa: BLE001
                raise CheckpointConversionError(f"{path}: {error}") from error
    if "backbone" not in files:
        raise CheckpointConversionError(f"{source}: no backbone{{{','.join(SUPPORTED_SUFFIXES)}}} found.")
    try:
        config, state_dict = convert_release_state_dicts(files, num_attention_heads, detection_attention_heads)
    except CheckpointConversionError as error:
        raise CheckpointConversionError(f"{source}: {error}") from None
    if text_encoder is not None:
        from transformers import SiglipTextModel
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            text_model = SiglipTextModel.from_pretrained(text_encoder)
        finally:
            hf_logging.set_verbosity(verbosity)
        config.text_encoder_config = text_model.config
        state_dict.update({f"text_model.{k}": v for k, v in text_model.state_dict().items()})

    available = [task for task, (_, roles) in TASK_FOLDERS.items() if all(role in files for role in roles)]
    selected = tasks or available
    unknown = [task for task in selected if task not in TASK_FOLDERS]
    if unknown:
        raise CheckpointConversionError(f"unknown task(s) {unknown}; choose from {sorted(TASK_FOLDERS)}.")
    missing_files = {task: [RELEASE_FILES[r] for r in TASK_FOLDERS[task][1] if r not in files] for task in selected}
    missing_files = {task: names for task, names in missing_files.items() if names}
    if missing_files:
        raise CheckpointConversionError(f"{source}: files missing for {missing_files}.")

    written = {}
    output_dir = Path(output_dir)
    for task in tqdm(selected, desc="converting", disable=not progress):
        import copy

        class_name = TASK_FOLDERS[task][0]
        model_class = _task_model_class(class_name)
        task_config = copy.deepcopy(config)  # task classes set their own top-level id2label
        if class_name == "SoccerMasterVisionModel":
            model = model_class(task_config.vision_config)
            missing = load_subset(model, state_dict, strip_prefix="vision_model.")
        else:
            model = model_class(task_config)
            missing = load_subset(model, state_dict)
        if missing:
            raise CheckpointConversionError(f"{task}: parameters missing from the release: {missing[:10]}")
        if dtype is not None:
            model = model.to(dtype)
        fresh = [marker for marker in FRESH_PARAMETER_MARKERS if any(key.startswith(marker) for key in model.state_dict())]
        card = conversion_card(task, base_model or str(source), [file_names[r] for r in TASK_FOLDERS[task][1]],
                               base_model=base_model, revision=revision, fresh_parameters=fresh)
        write_hub_folder(model.eval(), output_dir / task, "convert", overwrite=overwrite, sources=paths, **card)
        written[task] = output_dir / task
    atomic_write_json(output_dir / "conversion.json", {
        "source_files": file_names,
        "source": base_model or str(source),
        "revision": revision,
        "tasks": sorted(written),
        "fresh_parameters": list(FRESH_PARAMETER_MARKERS),
        "converter": "soccermaster_hf.conversion.official.convert_official_release",
    })
    return written
