"""Heads-only fine-tuning step: the trained head alone against every head, side by side.

    python benchmarks/heads_only_step.py [--model DEFAULT_CHECKPOINT] [--heads detection] [--rounds 4]

`soccermaster train --init-from CKPT --train-heads detection` (without --lora-rank) freezes the backbone and every
other head. Their losses then give no gradient, so the spatial batch runs only the heads that train
(`SoccerMasterForPreTraining.forward(spatial_heads=...)`). This script times one such step both ways, in float32 and
under bfloat16 autocast (`--mixed-precision bf16`: the detection head stays float32), in one process, alternating, on
the same weights and inputs. The workload is the one of scripts/train_detection_head_randomised.sh: the shipped checkpoint, 2 clips x 2
frames, the model's image size, 20 athletes a frame with keypoints and lines, AdamW on the trained head. It prints
the median and minimum step time, the ratios, and checks that the trained head's gradients are the same both ways.
On a CPU without native bfloat16 instructions (no AVX-512-BF16 / AMX) bfloat16 is emulated and the pitch heads'
convolutions become many times slower: the bf16 rows show what `--mixed-precision bf16` costs there.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="checkpoint folder (default: the shipped checkpoint)")
    parser.add_argument("--heads", nargs="+", default=["detection"], choices=["detection", "keypoints", "lines"])
    parser.add_argument("--rounds", type=int, default=4, help="timed steps each way (alternating)")
    args = parser.parse_args()
    if args.rounds < 1:
        raise SystemExit("error: --rounds: must be >= 1")

    from pathlib import Path

    import soccermaster_hf
    from soccermaster_hf import SoccerMasterForPreTraining
    from soccermaster_hf.training.lora import freeze_all_but_heads, freeze_batch_norm_statistics

    torch.set_num_threads(2)
    torch.manual_seed(0)
    shipped = Path(soccermaster_hf.__file__).parent / "assets" / "default_checkpoint"
    model = SoccerMasterForPreTraining.from_pretrained(args.model or shipped)
    freeze_all_but_heads(model, args.heads)
    model.train()
    freeze_batch_norm_statistics(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    size = model.config.vision_config.image_size
    generator = torch.Generator().manual_seed(1)
    spatial = torch.randn(2, 2, 3, size, size, generator=generator)
    detection_labels, pitch_labels = [], []
    for _ in range(4):
        centres = torch.rand(20, 2, generator=generator) * 0.8 + 0.1
        sizes = torch.rand(20, 2, generator=generator) * 0.05 + torch.tensor([0.02, 0.06])
        detection_labels.append({"class_labels": torch.zeros(20, dtype=torch.long),
                                 "boxes": torch.cat([centres, sizes], 1), "roles": ["player"] * 20,
                                 "jerseys": torch.randint(-1, 100, (20,), generator=generator).tolist(),
                                 "teams": ["left", "right"] * 10})
        pitch_labels.append({"keypoints": torch.rand(57, 2, generator=generator),
                             "keypoint_visibility": torch.rand(57, generator=generator) > 0.5,
                             "lines": torch.rand(23, 2, 2, generator=generator),
                             "line_visibility": torch.rand(23, generator=generator) > 0.5})
    inputs = {"spatial_pixel_values": spatial, "detection_labels": detection_labels, "pitch_labels": pitch_labels}
    ways = {(precision, name): heads for precision in ("fp32", "bf16")
            for name, heads in (("every head (before)", None), ("trained heads only", args.heads))}

    def step(heads, update: bool = True, precision: str = "fp32") -> tuple[float, dict]:
        optimizer.zero_grad(set_to_none=True)
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            outputs = model(**inputs, spatial_heads=heads)
        outputs.loss.backward()
        gradients = {} if update else {id(p): p.grad.clone() for p in trainable if p.grad is not None}
        if update:
            optimizer.step()
        return time.perf_counter() - start, gradients

    # the trained heads' gradients before any update: the frozen heads' losses add nothing to them
    with torch.random.fork_rng():
        _, full = step(None, update=False)
    with torch.random.fork_rng():
        _, alone = step(args.heads, update=False)
    worst = max(float((full[k] - alone[k]).abs().max()) for k in full) if full.keys() == alone.keys() else float("inf")
    for (precision, _), heads in ways.items():  # warm-up
        step(heads, precision=precision)
    times: dict[tuple, list[float]] = {way: [] for way in ways}
    for _ in range(args.rounds):
        for (precision, name), heads in ways.items():
            times[(precision, name)].append(step(heads, precision=precision)[0])
    median = {way: statistics.median(values) for way, values in times.items()}
    print(f"heads-only step ({', '.join(args.heads)} trained; 2 clips x 2 frames at {size} px; "
          f"{torch.get_num_threads()} threads; {args.rounds} alternating rounds)")
    print(f"{'precision':<9} | {'spatial heads run':<20} | {'median s/step':>13} | {'min s/step':>10} | "
          f"{'x fp32 every head':>17}")
    baseline = median[("fp32", "every head (before)")]
    for (precision, name), values in times.items():
        print(f"{precision:<9} | {name:<20} | {median[(precision, name)]:>13.3f} | {min(values):>10.3f} | "
              f"{baseline / median[(precision, name)]:>17.2f}")
    for precision in ("fp32", "bf16"):
        ratio = median[(precision, "every head (before)")] / median[(precision, "trained heads only")]
        print(f"{precision}: trained heads only is {ratio:.2f}x the speed of every head")
    print(f"largest gradient difference of the trained heads (fp32, every head against trained heads only): "
          f"{worst:.3g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
