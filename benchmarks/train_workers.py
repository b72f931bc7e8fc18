"""`soccermaster train --dataloader-num-workers N`: seconds per training step with the clips decoded in the training
process (N = 0) or ahead in N worker processes, side by side in one run.

    python benchmarks/train_workers.py [--workers 0 1 2] [--threads 2 1] [--steps 10 40] [--rounds 2]
        [--preset tiny] [--size 960x540]

A SoccerSynth folder (procedural tracking, `--clips` clips of `--frames` frames at `--size`, 1-fps event clips) is
generated first; every run trains `--preset` from scratch with a spatial batch of 2 clips of 4 frames and a semantic
batch of 2 clips of 8 frames, augmentations on, frames downscaled to 480 px. Each setting runs for the two step counts
of `--steps`; the seconds per step are the difference of the two wall times divided by the difference of the steps,
so start-up (imports, model creation, worker start) cancels. Settings are interleaved, `--rounds` times, and the
median is printed with its ratio to N = 0 at the same thread count.

`--threads` is the model's torch threads (`OMP_NUM_THREADS`): with as many threads as cores the model step already
uses every core and worker processes only compete with it (the development machine: 2 cores); with fewer, the spare
cores stand for what a GPU run has (the step runs on the device, the CPU cores are free to decode).
Every run's final weights are compared with the N = 0 run of the same thread count: they must be identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _train(data: Path, out: Path, steps: int, workers: int, threads: int, args) -> float:
    command = [sys.executable, "-m", "soccermaster_hf.cli.main", "train", str(data), "--output", str(out),
               "--preset", args.preset, "--max-steps", str(steps), "--checkpoint-every", "100000", "--clip-length", "4",
               "--batch-size", "2", "--semantic", str(data), "--semantic-frames", "8", "--semantic-batch-size", "2",
               "--no-progress", "--dataloader-num-workers", str(workers)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1")
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--steps", type=int, nargs=2, default=[10, 40])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--size", default="960x540")
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=32)
    args = parser.parse_args()
    if any(w < 0 for w in args.workers) or any(t < 1 for t in args.threads) or not 0 < args.steps[0] < args.steps[1]:
        raise SystemExit("error: --workers >= 0, --threads >= 1 and 0 < first --steps < second --steps.")
    width, height = (int(v) for v in args.size.split("x"))

    from safetensors.torch import load_file

    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    work = Path(tempfile.mkdtemp(prefix="train-workers-"))
    data = work / "synth"
    generate_dataset(data, SynthConfig(clips=args.clips, frames=args.frames, seed=0, width=width, height=height,
                                       tracking="procedural", semantic_clips=4, semantic_frames=30), progress=False)
    print(f"SoccerSynth: {args.clips} clips x {args.frames} frames at {width}x{height} + 4 event clips ({work}); "
          f"{os.cpu_count()} CPUs; preset {args.preset}, steps {args.steps[0]} and {args.steps[1]}")
    settings = [(threads, workers) for threads in args.threads for workers in args.workers]
    per_step: dict[tuple[int, int], list[float]] = {setting: [] for setting in settings}
    same: dict[tuple[int, int], bool] = {}
    for round_index in range(args.rounds):
        for threads, workers in settings:
            times = []
            for steps in args.steps:
                out = work / f"run-{threads}-{workers}-{steps}-{round_index}"
                times.append(_train(data, out, steps, workers, threads, args))
            per_step[(threads, workers)].append((times[1] - times[0]) / (args.steps[1] - args.steps[0]))
            final = load_file(work / f"run-{threads}-{workers}-{args.steps[1]}-{round_index}" / "final" /
                              "model.safetensors")
            reference = load_file(work / f"run-{threads}-{args.workers[0]}-{args.steps[1]}-{round_index}" / "final" /
                                  "model.safetensors")
            same[(threads, workers)] = same.get((threads, workers), True) and all(
                (final[name] == reference[name]).all().item() for name in reference)
    print(f"\n{'model threads':>13} {'workers':>8} {'s/step (each round)':>28} {'median':>8} {'ratio':>7}  weights")
    for threads, workers in settings:
        values = per_step[(threads, workers)]
        base = statistics.median(per_step[(threads, args.workers[0])])
        print(f"{threads:>13} {workers:>8} {'  '.join(f'{v:.3f}' for v in values):>28} "
              f"{statistics.median(values):8.3f} {statistics.median(values) / base:7.2f}  "
              f"{'identical' if same[(threads, workers)] else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
