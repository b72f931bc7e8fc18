"""``soccermaster init-from-siglip``: a SoccerMaster backbone initialised from a SigLIP / SigLIP2 vision checkpoint."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "siglip",
        nargs="?",
        default="google/siglip2-large-patch16-512",
        help="Hub id or local folder of a SiglipVisionModel / SiglipModel (default: google/siglip2-large-patch16-512).",
    )
    parser.add_argument("--output", "-o", required=True, help="Output folder.")
    parser.add_argument("--num-frames", type=int, default=30, help="Length of the temporal embedding table.")
    parser.add_argument(
        "--temporal-start-layer", type=int, default=None, help="First spatio-temporal layer (default: 2/3 of depth)."
    )
    parser.add_argument("--local-files-only", action="store_true", help="Do not try to download.")
    parser.add_argument("--overwrite", action="store_true",
                        help="Write into a non-empty --output folder that is not a previous `soccermaster "
                             "init-from-siglip` output (files it does not write are kept).")


def run(args: argparse.Namespace) -> int:
    from ..modeling import SoccerMasterVisionModel
    from ..utils.io import prepare_output_dir, save_pretrained_atomic

    # checked before the (slow) load; written only once the model is ready
    prepare_output_dir(args.output, "init-from-siglip", overwrite=args.overwrite, sources=[args.siglip], create=False)
    try:
        model = SoccerMasterVisionModel.from_siglip_pretrained(
            args.siglip,
            num_frames=args.num_frames,
            temporal_start_layer=args.temporal_start_layer,
            local_files_only=args.local_files_only,
        )
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    save_pretrained_atomic(model, args.output, command="init-from-siglip", overwrite=args.overwrite)
    config = model.config
    print(
        f"initialised from {args.siglip}: {config.num_hidden_layers} layers ({config.temporal_start_layer} spatial, "
        f"{config.num_temporal_layers} spatio-temporal), {config.num_frames} frames -> {args.output}"
    )
    return 0
