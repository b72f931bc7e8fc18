"""``soccermaster convert``: the authors' released checkpoint files -> transformers ``save_pretrained`` folders.

Given the folder of the release (``backbone.pt`` and any of ``SoccerNetGSR_Detection.pt``, ``KeypointsDetection.pt``,
``LinesDetection.pt``, ``CaptionClassification.pt``, ``VideoCaption.pt``), writes one folder per task class under
``--output``: ``backbone``, ``object-detection``, ``pitch-registration``, ``video-classification``,
``video-text-alignment`` and ``pretraining`` (those whose files are present; choose with ``--tasks``). Given a single
backbone file, writes the backbone folder itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DTYPES = ("float32", "bfloat16", "float16")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="Folder of the release (backbone.pt, heads), or a single backbone file.")
    parser.add_argument("--output", "-o", required=True, help="Output folder (each model is written atomically).")
    parser.add_argument("--tasks", nargs="+", default=None,
                        help="Subset of: backbone object-detection pitch-registration video-classification "
                             "video-text-alignment pretraining (default: all whose files are present).")
    parser.add_argument("--num-attention-heads", type=int, default=None,
                        help="Backbone attention heads (not stored in the checkpoint). Default: hidden_size // 64.")
    parser.add_argument("--detection-attention-heads", type=int, default=1,
                        help="Attention heads of the detection decoder (released: 1).")
    parser.add_argument("--text-encoder", default=None,
                        help="SigLIP/SigLIP2 checkpoint whose text tower joins the alignment and pretraining models "
                             "(the release has none; the authors used google/siglip2-large-patch16-512).")
    parser.add_argument("--config-overrides", default=None, help="JSON of extra backbone config fields.")
    parser.add_argument("--dtype", choices=DTYPES, default="float32", help="Weights dtype to save.")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..conversion.official import CheckpointConversionError, convert_official_backbone, convert_official_release

    dtype = getattr(torch, args.dtype)
    try:
        if Path(args.source).is_dir():
            if args.config_overrides:
                raise CheckpointConversionError("--config-overrides applies to a single backbone file only.")
            written = convert_official_release(
                args.source, args.output, tasks=args.tasks, num_attention_heads=args.num_attention_heads,
                detection_attention_heads=args.detection_attention_heads, text_encoder=args.text_encoder, dtype=dtype,
            )
            for task, folder in written.items():
                print(f"{task:<22} -> {folder}")
            return 0
        overrides = json.loads(args.config_overrides) if args.config_overrides else None
        model = convert_official_backbone(args.source, args.output, num_attention_heads=args.num_attention_heads,
                                          config_overrides=overrides, dtype=dtype)
    except (CheckpointConversionError, OSError, ValueError) as error:
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
