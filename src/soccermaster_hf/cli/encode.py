"""``soccermaster encode``: run the backbone on an image, a video or a generated demo clip; print shapes and timings.

Until a trained default checkpoint ships (end-to-end issue), ``--demo`` uses a *small randomly initialised* backbone:
the numbers it prints are shapes and speed, not meaningful features. Pass ``--model`` to use a converted or
trained checkpoint folder (or Hub id).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..data.images import IMAGE_SUFFIXES
from .arguments import non_negative_float, non_negative_int, positive_int

DEMO_CONFIG = {
    "hidden_size": 192,
    "intermediate_size": 768,
    "num_hidden_layers": 6,
    "num_attention_heads": 3,
    "image_size": 224,
    "patch_size": 16,
    "num_frames": 8,
    "temporal_start_layer": 4,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="?", default=None, help="Image or video file. Omit (or --demo) for a demo clip.")
    parser.add_argument("--demo", action="store_true", help="Encode a generated broadcast-like clip.")
    parser.add_argument("--model", default=None, help="Backbone folder or Hub id (default: small random backbone).")
    parser.add_argument("--frames", type=positive_int, default=None,
                        help="Frames per clip (default: the model's num_frames).")
    parser.add_argument("--sampling", choices=["spatial", "semantic"], default="spatial", help="Video sampling mode.")
    parser.add_argument("--timestamp", type=non_negative_float, default=None, help="Clip centre in seconds (videos).")
    parser.add_argument("--image-mode", action="store_true", help="Run spatial layers only, frame by frame.")
    parser.add_argument("--save", default=None, help="Write F_spa / F_sem to this .safetensors file.")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="Seed of the random demo backbone and clip.")
    parser.add_argument("--repeats", type=positive_int, default=3, help="Timed forward passes (the best is reported).")


def demo_clip(num_frames: int, height: int = 540, width: int = 960, seed: int = 0):
    """A simple broadcast-like clip (grass stripes, pitch lines, moving players) as `(frames, H, W, 3)` uint8."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    frames = []
    players = rng.uniform([0.1, 0.35], [0.9, 0.95], size=(14, 2)) * [width, height]
    velocity = rng.normal(0, 3, size=(14, 2))
    for t in range(num_frames):
        pan = 4 * t
        stripes = ((xs + pan) // 80) % 2
        frame = np.empty((height, width, 3), np.uint8)
        frame[..., 0] = 40 + 15 * stripes
        frame[..., 1] = 120 + 25 * stripes
        frame[..., 2] = 40 + 10 * stripes
        frame[: height // 4] = (90, 90, 100)  # stands
        line_rows = (abs(ys - height // 4) < 2) | (abs(ys - height + 20) < 2)
        line_cols = abs(xs - (width // 2 - pan)) < 2
        frame[line_rows | (line_cols & (ys > height // 4))] = 235
        for index, (x, y) in enumerate(players + velocity * t - [pan, 0]):
            x0, y0 = int(x), int(y)
            colour = (200, 30, 30) if index % 2 else (30, 30, 200)
            frame[max(0, y0 - 30):max(0, y0), max(0, x0 - 6):max(0, x0 + 6)] = colour
        frames.append(frame)
    return np.stack(frames)


def run(args: argparse.Namespace) -> int:
    import torch

    from ..modeling import SoccerMasterVisionConfig, SoccerMasterVisionModel
    from ..processing import SoccerMasterImageProcessor, SoccerMasterVideoProcessor, VideoDecodingError
    from ..utils.errors import load_pretrained

    torch.manual_seed(args.seed)
    started = time.perf_counter()
    if args.model:
        model = load_pretrained(SoccerMasterVisionModel, args.model)
        source = args.model
    else:
        model = SoccerMasterVisionModel(SoccerMasterVisionConfig(**DEMO_CONFIG))
        source = "random demo backbone (untrained)"
    model.eval()
    config = model.config
    size = {"height": config.image_size, "width": config.image_size}
    num_frames = args.frames or config.num_frames
    load_seconds = time.perf_counter() - started

    try:
        if args.input is None or args.demo:
            clip = demo_clip(num_frames, seed=args.seed)
            inputs = SoccerMasterVideoProcessor(size=size, num_frames=num_frames)(clip, sampling="all")
            description = f"generated clip, {num_frames} frames 960x540"
        elif Path(args.input).suffix.lower() in IMAGE_SUFFIXES:
            from ..data.images import image_mode, load_image

            image = load_image(args.input)  # EXIF orientation, 16-bit / float images, non-finite values refused
            inputs = SoccerMasterImageProcessor(size=size)(image, return_tensors="pt")
            if not args.image_mode:
                inputs["pixel_values"] = inputs["pixel_values"].unsqueeze(1)  # a clip of one frame
            description = f"image {image.shape[1]}x{image.shape[0]} ({image_mode(args.input)})"
        else:
            inputs = SoccerMasterVideoProcessor(size=size, num_frames=num_frames)(
                args.input, sampling=args.sampling, timestamps=args.timestamp
            )
            description = f"video clip, frames {inputs['frame_indices'][0].tolist()[:3]}..."
    except (VideoDecodingError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    pixel_values = inputs["pixel_values"]
    if args.image_mode and pixel_values.ndim == 5:
        pixel_values = pixel_values.flatten(0, 1)
    timings = []
    with torch.inference_mode():
        for _ in range(max(1, args.repeats)):
            tick = time.perf_counter()
            outputs = model(pixel_values)
            timings.append(time.perf_counter() - tick)
    best = min(timings)
    frames_total = pixel_values.shape[0] * (pixel_values.shape[1] if pixel_values.ndim == 5 else 1)
    rows = [
        ("model", source),
        ("input", description),
        ("pixel_values", tuple(pixel_values.shape)),
        ("F_spa (spatial_hidden_state)", tuple(outputs.spatial_hidden_state.shape)),
        ("F_sem (pooler_output)", tuple(outputs.pooler_output.shape) if outputs.pooler_output is not None else None),
        ("parameters", f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M"),
        ("load time", f"{load_seconds * 1000:.0f} ms"),
        (f"forward (best of {len(timings)})", f"{best * 1000:.1f} ms = {frames_total / best:.1f} frames/s"),
        ("torch threads", torch.get_num_threads()),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if args.save:
        from safetensors.torch import save_file

        from ..utils.io import atomic_path

        tensors = {"spatial_hidden_state": outputs.spatial_hidden_state.contiguous()}
        if outputs.pooler_output is not None:
            tensors["pooler_output"] = outputs.pooler_output.contiguous()
        with atomic_path(args.save) as tmp:
            save_file(tensors, str(tmp))
        print(f"saved features to {args.save}")
    return 0
