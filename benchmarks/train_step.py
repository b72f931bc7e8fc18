"""Time the multi-task training step of the working tree against a git revision, side by side.

Workload (issue 16): the `small` configuration — ViT width 384, MLP 1536, 6 heads, 8 spatial + 4 spatio-temporal
layers, 224 px, patch 16 — a spatial batch of 2 clips x 8 frames (20 athletes per frame, keypoints and lines) and a
semantic batch of 2 clips x 8 frames (events, alignment against precomputed caption embeddings), the released
detection head widened to 256 with 100 queries, the released keypoint / line / event heads, all five losses, float32,
2 threads, the authors' parameter groups with AdamW and per-module clipping. One *step* = spatial forward + losses +
backward, semantic forward + losses + backward, clipping, optimiser step: what `soccermaster train` does.

The baseline revision (default: 819fb67, the last commit before this work) is checked out into a temporary worktree;
two worker processes (one per tree, same seed, same weights, same inputs) run steps in turn (interleaved), so machine
noise hits both alike. Prints median / min per step and the ratio, with a per-phase breakdown, the peak RSS, and a
check that both trees compute the same losses and gradients.

    python benchmarks/train_step.py [--revision 819fb67] [--rounds 6] [--checkpointing] [--precision bf16]

`--precision bf16` runs the working tree's step under bfloat16 autocast (what `soccermaster train --mixed-precision
bf16` does; the baseline stays float32): the ratio is then the speed-up a user gets from that flag, and the first-step
loss / gradient differences are its accuracy cost at one step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r'''
import json, os, resource, sys, time
import torch
torch.set_num_threads(2)
from soccermaster_hf import SoccerMasterConfig, SoccerMasterForPreTraining
try:
    from soccermaster_hf.training.optim import build_optimizer, clip_gradients_per_module
except ImportError:  # the baseline
    from soccermaster_hf.modeling import clip_gradients_per_module, optimizer_parameter_groups
    def build_optimizer(model, lr, weight_decay):
        return torch.optim.AdamW(optimizer_parameter_groups(model, base_lr=lr, weight_decay=weight_decay))

import contextlib
checkpointing = sys.argv[1] == "1"
weights = sys.argv[2]
autocast = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if sys.argv[3] == "bf16"
            else contextlib.nullcontext)
torch.manual_seed(0)
config = SoccerMasterConfig(
    vision_config=dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=12, num_attention_heads=6,
                       image_size=224, patch_size=16, num_frames=8, temporal_start_layer=8),
    detection_config=dict(hidden_size=256, num_queries=100),
    pitch_config=dict(),
    event_config=dict(),
)
model = SoccerMasterForPreTraining(config).train()
from safetensors.torch import load_file, save_file
if os.path.exists(weights):  # identical weights in both trees
    model.load_state_dict(load_file(weights), strict=True)
else:
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
if checkpointing:
    model.gradient_checkpointing_enable()
optimizer = build_optimizer(model, 5e-5, 1e-4)
generator = torch.Generator().manual_seed(1)
spatial = torch.randn(2, 8, 3, 224, 224, generator=generator)
semantic = torch.randn(2, 8, 3, 224, 224, generator=generator)
frames = []
for _ in range(16):
    centres = torch.rand(20, 2, generator=generator) * 0.8 + 0.1
    sizes = torch.rand(20, 2, generator=generator) * 0.05 + torch.tensor([0.02, 0.06])
    keypoints = torch.rand(57, 2, generator=generator)
    lines = torch.rand(23, 2, 2, generator=generator)
    frames.append({"class_labels": torch.zeros(20, dtype=torch.long), "boxes": torch.cat([centres, sizes], 1),
                   "roles": torch.randint(0, 5, (20,), generator=generator).tolist(),
                   "jerseys": torch.randint(-1, 100, (20,), generator=generator).tolist(),
                   "teams": torch.randint(0, 3, (20,), generator=generator).tolist(),
                   "keypoints": keypoints, "keypoint_visibility": torch.rand(57, generator=generator) > 0.5,
                   "lines": lines, "line_visibility": torch.rand(23, generator=generator) > 0.5})
detection_labels = [{k: f[k] for k in ("class_labels", "boxes", "roles", "jerseys", "teams")} for f in frames]
pitch_labels = [{k: f[k] for k in ("keypoints", "keypoint_visibility", "lines", "line_visibility")} for f in frames]
event_labels = torch.tensor([3, 7])
text_embeds = torch.randn(2, 384, generator=generator)
keywords = ["goal", "corner"]

phases = {}
def timed(name, module):
    def pre(*_):
        phases.setdefault("_start", {})[name] = time.perf_counter()
    def post(*_):
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - phases["_start"][name]
    module.register_forward_pre_hook(pre)
    module.register_forward_hook(post)
for name in ("vision_model", "detection_head", "keypoint_head", "line_head", "event_head"):
    timed(name + " fwd", getattr(model, name))

def step(record):
    phases.clear()
    t0 = time.perf_counter()
    with autocast():
        out = model(spatial_pixel_values=spatial, detection_labels=detection_labels, pitch_labels=pitch_labels)
    t1 = time.perf_counter()
    out.loss.backward()
    t2 = time.perf_counter()
    with autocast():
        sem = model(semantic_pixel_values=semantic, event_labels=event_labels, text_embeds=text_embeds,
                    keywords=keywords)
    t3 = time.perf_counter()
    sem.loss.backward()
    t4 = time.perf_counter()
    clip_gradients_per_module(model.head_modules(), 0.1)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    t5 = time.perf_counter()
    if record is not None:
        forward_modules = sum(v for k, v in phases.items() if k != "_start" and not k.startswith("vision_model"))
        record.update({"step": t5 - t0, "spatial fwd + losses": t1 - t0, "spatial bwd": t2 - t1,
                       "semantic fwd + losses": t3 - t2, "semantic bwd": t4 - t3, "clip + optimizer": t5 - t4})
        record.update({k: v for k, v in phases.items() if k != "_start"})
        record["losses (outside modules)"] = (t1 - t0) + (t3 - t2) - sum(v for k, v in phases.items() if k != "_start")
    return out, sem

# correctness probe: losses and gradients of the first step, before any optimiser update
with autocast():
    out = model(spatial_pixel_values=spatial, detection_labels=detection_labels, pitch_labels=pitch_labels)
out.loss.backward()
with autocast():
    sem = model(semantic_pixel_values=semantic, event_labels=event_labels, text_embeds=text_embeds, keywords=keywords)
sem.loss.backward()
probe = {"loss_spatial": out.loss.item(), "loss_semantic": sem.loss.item(),
         "grads": {n: float(p.grad.double().norm()) for n, p in model.named_parameters() if p.grad is not None}}
optimizer.zero_grad(set_to_none=True)
print(json.dumps({"probe": probe}), flush=True)
step(None)  # warm-up
for line in sys.stdin:
    record = {}
    step(record)
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(record), flush=True)
'''


def start_worker(src: Path, checkpointing: bool, weights: Path, precision: str = "fp32") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE",
           "MKL_NUM_THREADS": "2", "TQDM_DISABLE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    return subprocess.Popen([sys.executable, "-c", WORKER, "1" if checkpointing else "0", str(weights), precision],
                            env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tempfile.gettempdir())


def read(worker: subprocess.Popen) -> dict:
    line = worker.stdout.readline()
    if not line:
        raise SystemExit(f"error: a worker exited (code {worker.wait()})")
    return json.loads(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--revision", default="819fb67", help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved timed steps per tree")
    parser.add_argument("--checkpointing", action="store_true", help="per-layer activation checkpointing in both")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="the working tree's precision (bf16: autocast; the baseline stays fp32)")
    args = parser.parse_args()
    if args.rounds < 1:
        raise SystemExit("error: --rounds: must be >= 1")
    with tempfile.TemporaryDirectory(prefix="train-step-") as scratch:
        baseline = Path(scratch) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.revision],
                       check=True, capture_output=True)
        try:
            weights = Path(scratch) / "weights.safetensors"
            ours = start_worker(ROOT / "src", args.checkpointing, weights, args.precision)
            probes = {"working tree": read(ours)["probe"]}  # it saved the weights the baseline then loads
            workers = {"baseline": start_worker(baseline / "src", args.checkpointing, weights), "working tree": ours}
            probes["baseline"] = read(workers["baseline"])["probe"]
            runs: dict[str, list[dict]] = {name: [] for name in workers}
            for _ in range(args.rounds):
                for name, worker in workers.items():
                    worker.stdin.write("step\n")
                    worker.stdin.flush()
                    runs[name].append(read(worker))
            for worker in workers.values():
                worker.stdin.close()
                worker.wait()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                           capture_output=True)

    base, ours = probes["baseline"], probes["working tree"]
    loss_diff = max(abs(base["loss_spatial"] - ours["loss_spatial"]), abs(base["loss_semantic"] - ours["loss_semantic"]))
    shared = sorted(set(base["grads"]) & set(ours["grads"]))
    # gradients that are zero in exact arithmetic (a conv bias before BatchNorm, attention key biases) come out as
    # rounding noise (norms ~1e-9): their relative differences mean nothing, so norms below 1e-6 of the largest are
    # counted apart
    floor = 1e-6 * max(abs(base["grads"][n]) for n in shared)
    vanishing = [n for n in shared if abs(base["grads"][n]) < floor]
    kept = [n for n in shared if abs(base["grads"][n]) >= floor]
    relative = [abs(base["grads"][n] - ours["grads"][n]) / abs(base["grads"][n]) for n in kept]
    grad_diff = max(relative)
    print(f"revision {args.revision} (fp32) vs working tree ({args.precision}), {args.rounds} interleaved steps each"
          f"{', activation checkpointing' if args.checkpointing else ''}")
    print(f"first-step losses: spatial {base['loss_spatial']:.6f} vs {ours['loss_spatial']:.6f}, semantic "
          f"{base['loss_semantic']:.6f} vs {ours['loss_semantic']:.6f} (max |diff| = {loss_diff:.2e}); gradient norms of "
          f"{len(kept)} tensors: relative diff max {grad_diff:.2e}, median {statistics.median(relative):.2e} "
          f"({len(vanishing)} more have norms below {floor:.1e}, 1e-6 of the largest: rounding noise)")
    worst = sorted(zip(relative, kept), reverse=True)[:3]
    print("largest gradient-norm differences: " + ", ".join(f"{name} {value:.1e}" for value, name in worst))
    keys = [k for k in runs["baseline"][0] if k != "peak_rss_mb"]
    print(f"\n| phase | {args.revision} median s | working tree median s | ratio |")
    print("| --- | --- | --- | --- |")
    for key in keys:
        a = statistics.median(r.get(key, 0.0) for r in runs["baseline"])
        b = statistics.median(r.get(key, 0.0) for r in runs["working tree"])
        print(f"| {key} | {a:.3f} | {b:.3f} | {b / a if a else float('nan'):.2f} |")
    a_min = min(r["step"] for r in runs["baseline"])
    b_min = min(r["step"] for r in runs["working tree"])
    print(f"\nstep min: {a_min:.3f} s vs {b_min:.3f} s (ratio {b_min / a_min:.2f})")
    print(f"peak RSS: {max(r['peak_rss_mb'] for r in runs['baseline']):.0f} MB vs "
          f"{max(r['peak_rss_mb'] for r in runs['working tree']):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
