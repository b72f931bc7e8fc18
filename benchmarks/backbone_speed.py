"""Backbone speed: SoccerMasterVisionModel vs transformers' SiglipVisionModel with the same weights, side by side.

Prints a table. Not a test: the machine is shared and noisy, so every ratio is measured in one run with the two models
interleaved (ours, theirs, ours, theirs, ...) and the median of each is compared.

    python benchmarks/backbone_speed.py                 # small + ViT-B/16-224 geometry, CPU
    python benchmarks/backbone_speed.py --large --device cuda --dtype bfloat16   # released geometry on a GPU

Columns:
* ``ours/theirs``: image-mode forward time ratio (goal <= 0.95) with the default ("auto") kernel choice; the
  "reference path" and "fused path" rows force `model.set_fused_cpu_inference(False / True)` to show both;
* ``GFLOP/s``: achieved GFLOP/s of our forward (analytic FLOP count) and ``matmul GFLOP/s`` of a same-shaped
  (tokens x hidden) @ (hidden x intermediate) matmul on this device; their ratio is the efficiency (goal >= 0.6);
* video rows: a T-frame clip through all layers vs the same frames through SigLIP (no temporal blocks): the extra cost
  of the spatio-temporal blocks.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import SiglipVisionConfig, SiglipVisionModel

from soccermaster_hf import SoccerMasterVisionConfig, SoccerMasterVisionModel

GEOMETRIES = {
    "small (192x6, 224px)": dict(hidden_size=192, intermediate_size=768, num_hidden_layers=6, num_attention_heads=3,
                                 image_size=224, patch_size=16),
    "ViT-B/16-224": dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                         image_size=224, patch_size=16),
}
LARGE = {"SigLIP2-L/16-512 (released)": dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                             num_attention_heads=16, image_size=512, patch_size=16)}


def forward_flops(geometry: dict, frames: int, layers: int | None = None, temporal_layers: int = 0) -> float:
    """Multiply-adds x 2 of the transformer (patch embedding, attention, MLP, temporal attention; norms ignored)."""
    d, inner = geometry["hidden_size"], geometry["intermediate_size"]
    n = (geometry["image_size"] // geometry["patch_size"]) ** 2
    layers = geometry["num_hidden_layers"] if layers is None else layers
    patch = 2 * n * 3 * geometry["patch_size"] ** 2 * d
    per_layer = 2 * n * (4 * d * d + 2 * d * inner) + 2 * 2 * n * n * d
    temporal = 2 * n * frames * 5 * d * d + 2 * 2 * n * frames * frames * d  # q,k,v,out,fc + scores/mix over frames
    return frames * (patch + layers * per_layer) + temporal_layers * temporal


def timeit(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def matmul_gflops(tokens: int, hidden: int, inner: int, device, dtype, repeats: int) -> float:
    a = torch.randn(tokens, hidden, device=device, dtype=dtype)
    b = torch.randn(hidden, inner, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    best = min(timeit(lambda: a @ b, repeats * 3))
    return 2 * tokens * hidden * inner / best / 1e9


def run(name: str, geometry: dict, batch: int, frames: int, repeats: int, device, dtype) -> list[tuple]:
    torch.manual_seed(0)
    siglip = SiglipVisionModel(SiglipVisionConfig(**geometry, attn_implementation="sdpa")).eval()
    temporal_start = (2 * geometry["num_hidden_layers"]) // 3
    ours = SoccerMasterVisionModel(SoccerMasterVisionConfig(**geometry, num_frames=frames,
                                                            temporal_start_layer=temporal_start))
    ours.load_state_dict(siglip.state_dict(), strict=False)
    ours.set_attn_implementation("sdpa")
    ours.to(device=device, dtype=dtype).eval()
    siglip.to(device=device, dtype=dtype).eval()
    size = geometry["image_size"]
    images = torch.randn(batch, 3, size, size, device=device, dtype=dtype)
    rows = []
    with torch.inference_mode():
        # image mode: our spatial layers vs SigLIP truncated to the same layers (the detection-head path)
        siglip_spatial = SiglipVisionModel(SiglipVisionConfig(**{**geometry, "num_hidden_layers": temporal_start},
                                                              attn_implementation="sdpa", vision_use_head=False))
        siglip_spatial.load_state_dict(siglip.state_dict(), strict=False)
        siglip_spatial.to(device=device, dtype=dtype).eval()
        def ours_with(inputs, mode):
            ours.set_fused_cpu_inference(mode)
            try:
                return ours(inputs)
            finally:
                ours.set_fused_cpu_inference("auto")

        def ours_reference(inputs):
            return ours_with(inputs, False)

        def ours_fused(inputs):
            return ours_with(inputs, True)

        for candidate in (lambda: ours(images), lambda: siglip_spatial(images), lambda: ours_reference(images),
                          lambda: ours_fused(images)):
            for _ in range(2):
                candidate()
        ours_times, theirs_times, reference_times, fused_times = [], [], [], []
        for _ in range(repeats):
            ours_times += timeit(lambda: ours(images), 1)
            theirs_times += timeit(lambda: siglip_spatial(images), 1)
            reference_times += timeit(lambda: ours_reference(images), 1)
            fused_times += timeit(lambda: ours_fused(images), 1)
        ours_t, theirs_t = statistics.median(ours_times), statistics.median(theirs_times)
        reference_t, fused_t = statistics.median(reference_times), statistics.median(fused_times)
        flops = forward_flops(geometry, batch, layers=temporal_start)
        tokens = batch * (size // geometry["patch_size"]) ** 2
        mm = matmul_gflops(tokens, geometry["hidden_size"], geometry["intermediate_size"], device, dtype, repeats)
        rows.append((name, f"image x{batch} ({temporal_start} layers)", ours_t * 1e3, theirs_t * 1e3,
                     ours_t / theirs_t, flops / ours_t / 1e9, mm, flops / ours_t / 1e9 / mm))
        rows.append((name, "  same, reference path", reference_t * 1e3, theirs_t * 1e3, reference_t / theirs_t,
                     flops / reference_t / 1e9, mm, flops / reference_t / 1e9 / mm))
        rows.append((name, "  same, fused path", fused_t * 1e3, theirs_t * 1e3, fused_t / theirs_t,
                     flops / fused_t / 1e9, mm, flops / fused_t / 1e9 / mm))

        # video mode: T frames through all layers vs SigLIP on the same frames (all layers, per frame)
        clip = torch.randn(1, frames, 3, size, size, device=device, dtype=dtype)
        for _ in range(2):
            ours(clip)
            siglip(clip[0])
        ours_times, theirs_times = [], []
        for _ in range(repeats):
            ours_times += timeit(lambda: ours(clip), 1)
            theirs_times += timeit(lambda: siglip(clip[0]), 1)
        ours_t, theirs_t = statistics.median(ours_times), statistics.median(theirs_times)
        temporal_layers = geometry["num_hidden_layers"] - temporal_start
        flops = forward_flops(geometry, frames, temporal_layers=temporal_layers)
        rows.append((name, f"video 1x{frames} (+{temporal_layers} temporal)", ours_t * 1e3, theirs_t * 1e3,
                     ours_t / theirs_t, flops / ours_t / 1e9, mm, flops / ours_t / 1e9 / mm))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--large", action="store_true", help="Also (or, on a GPU, only) the released geometry.")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    geometries = dict(GEOMETRIES)
    if args.large:
        geometries.update(LARGE)
    print(f"device={args.device} dtype={args.dtype} threads={torch.get_num_threads()} torch={torch.__version__}")
    header = ("geometry", "mode", "ours ms", "SigLIP ms", "ours/theirs", "GFLOP/s", "matmul GFLOP/s", "efficiency")
    rows = []
    for name, geometry in geometries.items():
        rows += run(name, geometry, args.batch, args.frames, args.repeats, args.device, dtype)
    widths = [max(len(header[i]), *(len(f"{r[i]:.3f}" if isinstance(r[i], float) else str(r[i])) for r in rows))
              for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))


if __name__ == "__main__":
    main()
