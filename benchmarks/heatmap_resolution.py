"""What the pitch heads' heatmap resolution costs and what it can resolve. Prints a table.

    python benchmarks/heatmap_resolution.py [--batch 4 --repeats 5 --points 400]

The resolution is a config choice: `SoccerMasterPitchConfig.stage_channels` with 2, 3 (the authors') or 4 entries gives
heatmaps at a quarter, half or the full input resolution. For the default checkpoint's geometry (384 px input, 192-wide
backbone) and each choice this measures, side by side in one run:

* the heatmap size, the heads' parameters, and FLOPs of both heads per frame (`FlopCounterMode`);
* inference: median milliseconds per frame of both heads on precomputed F_spa (batch `--batch`);
* training: median milliseconds per frame of forward + backward with the loss, and the bytes autograd keeps for the
  backward pass (every tensor saved by the graph, counted with `torch.autograd.graph.saved_tensors_hooks`);
* what the resolution itself can resolve: `--points` random keypoints of a 960x540 frame drawn as the training targets
  (Gaussians, sigma 3 px of the input at every resolution) and decoded by the processor, with and without sub-pixel
  refinement; median and 95th-percentile error in pixels of the 960x540 frame. A trained model's peaks are wider and
  noisier than these ideal ones, so this is the floor the resolution sets, not a model's accuracy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from soccermaster_hf import SoccerMasterConfig
from soccermaster_hf.modeling.configuration_soccermaster import CONFIG_PRESETS
from soccermaster_hf.modeling.modeling_soccermaster_pitch import (
    SoccerMasterPixelShuffleHead,
    gaussian_heatmaps,
    pitch_output,
)
from soccermaster_hf.processing import SoccerMasterImageProcessor

CHOICES = {"quarter (2 stages)": [192, 96], "half (3 stages, default)": [192, 96, 64],
           "full (4 stages)": [192, 96, 64, 64]}
FRAME = (960, 540)


def _median_ms(fn, repeats: int, frames: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / frames


def _labels(count: int, rng: np.random.Generator) -> list[dict]:
    out = []
    for _ in range(count):
        visible = np.zeros(57, dtype=bool)
        visible[rng.choice(57, 15, replace=False)] = True
        lines = np.zeros(23, dtype=bool)
        lines[rng.choice(23, 8, replace=False)] = True
        out.append({"keypoints": rng.uniform(0.05, 0.95, (57, 2)), "keypoint_visibility": visible,
                    "lines": rng.uniform(0.05, 0.95, (23, 2, 2)), "line_visibility": lines})
    return out


def decoding_errors(config: SoccerMasterConfig, points: int, subpixel: bool, rng: np.random.Generator
                    ) -> np.ndarray:
    """Errors (960x540 pixels) of ideal target heatmaps decoded by the processor at this config's resolution."""
    size = config.vision_config.image_size
    side = size // config.vision_config.patch_size * config.pitch_config.upsampling_factor
    sigma = 3.0 * side / size  # 3 input pixels
    truth = rng.uniform([20, 20], [FRAME[0] - 20, FRAME[1] - 20], (points, 2))
    # original pixels -> continuous [0, 1] -> heatmap pixel centres (the convention of pitch_targets)
    centres = torch.as_tensor(truth / np.array(FRAME) * side - 0.5, dtype=torch.float32)
    maps = gaussian_heatmaps(centres[:, None, None], torch.ones(points, 1, 1, dtype=torch.bool), side, side, sigma)
    keypoint_maps = torch.zeros(points, 58, side, side)
    keypoint_maps[:, 0] = maps[:, 0]
    keypoint_maps[:, 57] = 1 - maps[:, 0]
    processor = SoccerMasterImageProcessor(size={"height": size, "width": size})
    decoded = processor.post_process_keypoints({"keypoint_heatmaps": keypoint_maps},
                                               target_sizes=[FRAME[::-1]] * points, subpixel=subpixel)
    found = np.array([d["keypoints"][0][:2] for d in decoded])
    return np.linalg.norm(found - truth, axis=1)


def measure(stages: list[int], args: argparse.Namespace, rng: np.random.Generator) -> tuple[str, ...]:
    """One row of the table for the pitch heads with these `stage_channels`."""
    vision, detection, pitch = CONFIG_PRESETS["default"]
    pitch = {**pitch, "stage_channels": stages, "heatmap_sigma": 3.0 * 2 ** len(stages) / 16}  # 3 input pixels
    config = SoccerMasterConfig(vision_config=dict(vision), detection_config=dict(detection), pitch_config=pitch)
    hidden = config.vision_config.hidden_size
    grid = config.vision_config.image_size // config.vision_config.patch_size
    keypoint_head = SoccerMasterPixelShuffleHead(config.pitch_config, hidden, 58, "softmax")
    line_head = SoccerMasterPixelShuffleHead(config.pitch_config, hidden, 24, "sigmoid")
    params = sum(p.numel() for head in (keypoint_head, line_head) for p in head.parameters())
    features = torch.randn(args.batch, grid * grid, hidden)
    labels = _labels(args.batch, rng)

    def infer():
        with torch.inference_mode():
            pitch_output(keypoint_head, line_head, config.pitch_config, features)

    def train_step():
        out = pitch_output(keypoint_head, line_head, config.pitch_config, features, labels)
        out.loss.backward()

    keypoint_head.eval(), line_head.eval()
    with FlopCounterMode(display=False) as counter:
        infer()
    flops = counter.get_total_flops() / args.batch
    infer()
    infer_ms = _median_ms(infer, args.repeats, args.batch)
    keypoint_head.train(), line_head.train()
    saved = [0]

    def pack(tensor):
        saved[0] += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        train_step()
    train_step()
    train_ms = _median_ms(train_step, args.repeats, args.batch)
    side = grid * config.pitch_config.upsampling_factor
    errors = {sub: decoding_errors(config, args.points, sub, rng) for sub in (False, True)}
    return (f"{side}x{side}", f"{params / 1e6:.2f} M", f"{flops / 1e9:.2f}", f"{infer_ms:.1f}", f"{train_ms:.1f}",
            f"{saved[0] / args.batch / 2**20:.0f} MB",
            f"{np.median(errors[False]):.2f} / {np.percentile(errors[False], 95):.2f}",
            f"{np.median(errors[True]):.2f} / {np.percentile(errors[True], 95):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    for name in ("batch", "repeats", "points"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    rows = [(label, *measure(stages, args, rng)) for label, stages in CHOICES.items()]
    header = ("heatmaps", "size", "head params", "GFLOP/frame", "infer ms/frame", "train ms/frame",
              "saved for backward /frame", "decode err px (integer) med / p95", "decode err px (sub-pixel) med / p95")
    print(f"pitch heads of the default checkpoint's geometry, batch {args.batch}, {torch.get_num_threads()} threads; "
          f"decoding errors in pixels of a {FRAME[0]}x{FRAME[1]} frame ({args.points} points)")
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
