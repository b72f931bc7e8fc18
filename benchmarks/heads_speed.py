"""Time and FLOPs per head for one video clip, and the share of the backbone vs the heads. Prints a table.

    python benchmarks/heads_speed.py                        # small backbone (192 x 6, 224 px), released head sizes
    python benchmarks/heads_speed.py --frames 30 --large    # released geometry everywhere (slow on CPU)

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode` (matrix products and convolutions; element-wise work
is not counted). Times are medians of `--repeats` runs under `torch.inference_mode()`.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from soccermaster_hf import SoccerMasterConfig, SoccerMasterForPreTraining

SMALL_VISION = dict(hidden_size=192, intermediate_size=768, num_hidden_layers=6, num_attention_heads=3,
                    image_size=224, patch_size=16, temporal_start_layer=4)
LARGE_VISION = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                    image_size=512, patch_size=16, temporal_start_layer=16)


def measure(fn, repeats: int) -> tuple[float, float]:
    with FlopCounterMode(display=False) as counter:
        fn()
    flops = counter.get_total_flops()
    times = []
    with torch.inference_mode():
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(times), flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="released backbone geometry (SigLIP2-L/16-512)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    vision = dict(LARGE_VISION if args.large else SMALL_VISION, num_frames=args.frames)
    config = SoccerMasterConfig(vision_config=vision)
    model = SoccerMasterForPreTraining(config).eval().requires_grad_(False)  # FlopCounterMode hooks need this
    size = vision["image_size"]
    clip = torch.randn(1, args.frames, 3, size, size)
    frames = clip.flatten(0, 1)
    rows = []
    with torch.no_grad():
        spatial = model.vision_model(frames).spatial_hidden_state
        semantic = model.vision_model(clip).pooler_output
        parts = {
            "backbone, image mode (F_spa)": lambda: model.vision_model(frames),
            "backbone, video mode (F_spa + F_sem)": lambda: model.vision_model(clip),
            "detection head (Deformable-DETR)": lambda: model.detection_head(spatial),
            "keypoint head (PixelShuffle)": lambda: model.keypoint_head(spatial),
            "line head (PixelShuffle)": lambda: model.line_head(spatial),
            "event head (Transformer)": lambda: model.event_head(semantic),
            "alignment (mean + cosine)": lambda: torch.nn.functional.normalize(semantic.mean(1), dim=-1)
            @ torch.nn.functional.normalize(semantic.mean(1), dim=-1).t(),
        }
    for name, fn in parts.items():
        with torch.inference_mode():
            fn()
        seconds, flops = measure(fn, args.repeats)
        rows.append((name, seconds * 1e3, flops / 1e9))
    video = rows[1][1]
    heads = sum(r[1] for r in rows[2:])
    print(f"clip 1 x {args.frames} frames at {size}px, backbone {vision['hidden_size']}x{vision['num_hidden_layers']} "
          f"({vision['temporal_start_layer']} spatial), detection {config.detection_config.hidden_size}-d x "
          f"{config.detection_config.num_queries} queries, threads={torch.get_num_threads()}")
    print(f"{'component':<40} {'ms / clip':>10} {'GFLOP':>9} {'GFLOP/s':>9} {'share':>7}")
    total = video + heads
    for name, ms, gflop in rows:
        share = "" if "image mode" in name else f"{100 * ms / total:6.1f}%"
        print(f"{name:<40} {ms:>10.1f} {gflop:>9.2f} {gflop / (ms / 1e3):>9.1f} {share:>7}")
    print(f"{'all heads':<40} {heads:>10.1f}")
    print(f"backbone share of a full multi-task forward: {100 * video / total:.1f}%")


if __name__ == "__main__":
    main()
