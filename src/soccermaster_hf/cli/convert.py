"""``soccermaster convert``: the authors' released checkpoint files -> complete Hugging Face Hub folders.

Given the release by Hub id (``soccermaster convert xleprime/SoccerMaster --output DIR``: the files are downloaded with
``huggingface_hub``, only those the chosen tasks need) or its local folder (``backbone.pt`` and any of
``SoccerNetGSR_Detection.pt``, ``KeypointsDetection.pt``, ``LinesDetection.pt``, ``CaptionClassification.pt``,
``VideoCaption.pt``), writes one Hub folder per task class under ``--output``: ``backbone``, ``object-detection``,
``pitch-registration``, ``video-classification``, ``video-text-alignment`` and ``pretraining`` (those whose files are
present; choose with ``--tasks``). Given a single backbone file, writes the backbone folder itself.
``--push-to-hub REPO`` uploads the folder that serves every converted task (``pretraining`` when written, else the only
folder) to the Hub repo ``REPO``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DTYPES = ("float32", "bfloat16", "float16")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="Hub id of the release (xleprime/SoccerMaster), its local folder (backbone.pt, "
                                       "heads), or a single backbone file.")
    parser.add_argument("--revision", default=None, help="With a Hub id: branch, tag or commit to download.")
    parser.add_argument("--push-to-hub", default=None, metavar="REPO_ID",
                        help="Upload the converted folder that serves every task (pretraining, or the only one "
                             "written) to this Hub model repo (created if needed).")
    parser.add_argument("--private", action="store_true", help="With --push-to-hub: create the repo private.")
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
    parser.add_argument("--overwrite", action="store_true",
                        help="Write into a non-empty --output folder that is not a previous `soccermaster convert` "
                             "output (files it does not write are kept; the source is never written to).")


def _folder_to_push(written: dict[str, Path]) -> Path:
    if "pretraining" in written:
        return written["pretraining"]
    if len(written) == 1:
        return next(iter(written.values()))
    raise ValueError(f"--push-to-hub: {len(written)} folders were written ({', '.join(written)}) and none serves "
                     "every task; add `pretraining` to --tasks, or convert one task.")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..conversion.official import CheckpointConversionError, convert_official_backbone, convert_official_release
    from ..conversion.release import convert_from_hub, resolve_release_source
    from ..hub import push_hub_folder
    from ..utils.io import prepare_output_dir, write_marker

    dtype = getattr(torch, args.dtype)
    try:
        kind, source = resolve_release_source(args.source)
        if args.revision and kind != "hub":
            raise CheckpointConversionError("--revision applies to a Hub id only.")
        if args.config_overrides and (kind == "hub" or Path(source).is_dir()):
            raise CheckpointConversionError("--config-overrides applies to a single backbone file only.")
        if args.push_to_hub and args.tasks and len(args.tasks) > 1 and "pretraining" not in args.tasks:
            _folder_to_push({task: Path(task) for task in args.tasks})  # refused before the (slow) conversion
    except (CheckpointConversionError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # checked first; the folder is marked as this command's once anything was written into it (with --overwrite at
    # once, so that the model savers accept it)
    prepare_output_dir(args.output, "convert", overwrite=args.overwrite,
                       sources=[source if kind == "local" else None, args.text_encoder], create=args.overwrite)
    release_kwargs = {"tasks": args.tasks, "num_attention_heads": args.num_attention_heads,
                      "detection_attention_heads": args.detection_attention_heads, "text_encoder": args.text_encoder,
                      "dtype": dtype, "overwrite": args.overwrite}
    model = None
    try:
        if kind == "hub":
            written = convert_from_hub(source, args.output, revision=args.revision, **release_kwargs)
        elif Path(source).is_dir():
            written = convert_official_release(source, args.output, **release_kwargs)
        else:
            try:
                overrides = json.loads(args.config_overrides) if args.config_overrides else None
            except (ValueError, RecursionError) as error:
                raise ValueError(f"--config-overrides: not JSON ({error}).") from None
            if overrides is not None and not isinstance(overrides, dict):
                raise ValueError("--config-overrides: a JSON object of config fields, e.g. '{\"num_hidden_layers\": 2}'.")
            model = convert_official_backbone(source, args.output, num_attention_heads=args.num_attention_heads,
                                              config_overrides=overrides, dtype=dtype, overwrite=args.overwrite)
            written = {"backbone": Path(args.output)}
        pushed = None
        if args.push_to_hub:
            pushed = push_hub_folder(_folder_to_push(written), args.push_to_hub, private=args.private or None,
                                     commit_message=f"SoccerMaster converted from {args.source} (soccermaster convert)")
    except (CheckpointConversionError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if Path(args.output).is_dir():
            write_marker(args.output, "convert")
    if model is not None:
        config = model.config
        parameters = sum(p.numel() for p in model.parameters())
        print(
            f"converted backbone: {parameters / 1e6:.1f}M parameters, hidden {config.hidden_size}, "
            f"{config.num_hidden_layers} layers ({config.temporal_start_layer} spatial), {config.num_frames} frames, "
            f"{config.image_size}px -> {args.output}"
        )
    else:
        for task, folder in written.items():
            print(f"{task:<22} -> {folder}")
    if pushed is not None:
        print(f"pushed {_folder_to_push(written)} -> {pushed}")
    return 0
