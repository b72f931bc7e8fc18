"""``soccermaster convert``: the authors' released checkpoint files -> a transformers ``save_pretrained`` folder."""

from __future__ import annotations

import argparse
import json
import sys

DTYPES = {"float32": "float32", "bfloat16": "bfloat16", "float16": "float16"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="Folder holding backbone.pt (or backbone.safetensors), or the file itself.")
    parser.add_argument("--output", "-o", required=True, help="Output folder (written atomically).")
    parser.add_argument(
        "--num-attention-heads",
        type=int,
        default=None,
        help="Attention heads of the backbone (not stored in the checkpoint). Default: hidden_size // 64 "
        "(16 for the released model).",
    )
    parser.add_argument("--config-overrides", default=None, help='JSON of extra SoccerMasterVisionConfig fields.')
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32", help="Weights dtype to save.")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..conversion.official import CheckpointConversionError, convert_official_backbone

    overrides = json.loads(args.config_overrides) if args.config_overrides else None
    try:
        model = convert_official_backbone(
            args.source,
            args.output,
            num_attention_heads=args.num_attention_heads,
            config_overrides=overrides,
            dtype=getattr(torch, DTYPES[args.dtype]),
        )
    except CheckpointConversionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    config = model.config
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"converted backbone: {parameters / 1e6:.1f}M parameters, hidden {config.hidden_size}, "
        f"{config.num_hidden_layers} layers ({config.temporal_start_layer} spatial), {config.num_frames} frames, "
        f"{config.image_size}px -> {args.output}"
    )
    return 0
