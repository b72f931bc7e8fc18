"""``soccermaster train``: multi-task pre-training on SoccerNet-GSR-format clips (see
:mod:`soccermaster_hf.training.pretrain`). Resumes from the newest checkpoint in ``--output`` automatically."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("train_dirs", nargs="+", help="Folders of SoccerNet-GSR clips (e.g. a `soccermaster synth` output).")
    parser.add_argument("--output", "-o", required=True, help="Run folder: checkpoints, metrics.csv, final model.")
    parser.add_argument("--model", default=None, help="Start from this SoccerMasterForPreTraining folder / Hub id.")
    parser.add_argument("--preset", default="tiny", choices=["tiny", "small", "default"], help="Configuration without --model.")
    parser.add_argument("--max-steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1, help="Spatial clips per step.")
    parser.add_argument("--clip-length", type=int, default=4, help="Frames per spatial clip.")
    parser.add_argument("--learning-rate", type=float, default=5e-5, help="Backbone lr (heads: authors' multiples).")
    parser.add_argument("--warmup-steps", type=int, default=None, help="Default: one epoch.")
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--mixed-precision", choices=["no", "bf16"], default="no")
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--keep-checkpoints", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-augment", action="store_true", help="Disable the authors' clip augmentations.")
    parser.add_argument("--max-frame-size", type=int, default=480, help="Downscale frames on load (longer side).")
    parser.add_argument("--semantic", nargs="+", default=[], metavar="DIR_OR_JSON",
                        help="1-fps event clips (UniSoccer/MatchTime classification JSON, or a synth folder with "
                             "events/classification.json): trains the event head.")
    parser.add_argument("--semantic-batch-size", type=int, default=2)
    parser.add_argument("--semantic-frames", type=int, default=8, help="Frames per semantic clip (authors: 30).")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--push-to-hub", default=None, metavar="REPO_ID", help="Publish the final model (with a card).")
    parser.add_argument("--hub-local-dir", default=None,
                        help="With --push-to-hub: publish into this local folder instead of the Hub (offline).")


def run(args: argparse.Namespace) -> int:
    import os

    # Bitwise-reproducible MKL results whatever the memory alignment (else a resumed run can drift by 1e-7 from an
    # uninterrupted one). Must be set before the first BLAS call of the process; costs a few percent of speed.
    os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")
    from ..training.pretrain import TrainingArguments, train

    try:
        final = train(TrainingArguments(
            train_dirs=args.train_dirs, output_dir=args.output, model=args.model, preset=args.preset,
            max_steps=args.max_steps, batch_size=args.batch_size, clip_length=args.clip_length,
            learning_rate=args.learning_rate, warmup_steps=args.warmup_steps,
            gradient_accumulation_steps=args.gradient_accumulation_steps, mixed_precision=args.mixed_precision,
            checkpoint_every=args.checkpoint_every, keep_checkpoints=args.keep_checkpoints, seed=args.seed,
            augment=not args.no_augment, max_frame_size=args.max_frame_size, progress=not args.no_progress,
            push_to_hub=args.push_to_hub, hub_local_dir=args.hub_local_dir, semantic_dirs=args.semantic,
            semantic_batch_size=args.semantic_batch_size, semantic_frames=args.semantic_frames))
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"final model: {final}")
    return 0
