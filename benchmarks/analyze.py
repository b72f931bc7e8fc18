"""Speed, memory and camera quality of `soccermaster analyze` on this machine (goal: >= 10 frames/s end to end on 2
CPU cores with the default checkpoint at its size; peak memory independent of the video's length).

Part 1 renders a held-out SoccerSynth clip (960x540, 25 fps, split "test") and analyses it once per setting, each in
its own process (so each peak RSS is its own): frames/s of the model and end to end, milliseconds per frame of each
stage, peak RSS, and the cameras `analyze` writes scored against the clip's ground-truth calibration annotations
with the SoccerNet metric (completeness, accuracy@5, final@5 = their product). Part 2 (`--memory`) analyses a 2- and
a 20-minute video (2 fps, 64x36, a tiny untrained model: the streaming machinery alone) and prints their peak RSS.

    python benchmarks/analyze.py [--model DIR] [--frames 100] [--calibrate-every 1 5 10] [--precision fp32]
                                 [--shot-window 4] [--reid-model default none] [--memory]

`--shot-window 1 4` compares per-keyframe cameras (1) with keyframes refined jointly with the previous ones of their
shot (`geometry.temporal.refine_shot`, the default 4).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from soccermaster_hf.analysis import analyze
options = json.loads(sys.argv[1])
tick = time.perf_counter()
summary = analyze(options.pop("input"), options.pop("model"), options.pop("out"), progress=False, **options)
summary["wall_seconds"] = time.perf_counter() - tick
summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps({k: v for k, v in summary.items() if k not in ("events", "shots")}))
"""


def run_child(options: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(options)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"error: analyze failed: {done.stderr.strip().splitlines()[-1:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def camera_quality(clip: Path, out: Path) -> dict[str, float]:
    from soccermaster_hf.geometry.camera import Camera
    from soccermaster_hf.geometry.metric import evaluate_cameras

    # SoccerNet calibration annotations (normalised line points), as the held-out evaluation scores them
    annotations = {file.stem: json.loads(file.read_text()) for file in sorted((clip / "calibration").glob("*.json"))}
    cameras = {file.stem: Camera.load(file) for file in (out / "cameras").glob("*.json")}
    result = evaluate_cameras(cameras, annotations, thresholds=(5.0,))
    return {"completeness": result.completeness, "acc@5": result.accuracy[5.0], "final@5": result.final[5.0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default: the shipped checkpoint")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--calibrate-every", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16", "auto"])
    parser.add_argument("--shot-window", type=int, nargs="+", default=[4])
    parser.add_argument("--reid-model", nargs="+", default=["default"],
                        help="re-identification networks to compare ('default': the shipped one; 'none': off)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every setting this many times, interleaved (frames/s vary between runs here)")
    parser.add_argument("--memory", action="store_true", help="also the 2- vs 20-minute memory check")
    args = parser.parse_args()
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmp = Path(tmp)
        config = dict(clips=1, frames=args.frames, seed=99, split="test", time_range=(2000, 2800))
        try:
            clip = generate_dataset(tmp / "clip", SynthConfig(**config), progress=False)[0]
        except (ImportError, ValueError):
            clip = generate_dataset(tmp / "clip", SynthConfig(**config, tracking="procedural"), progress=False)[0]
        settings = [(p, e, w, r) for p in args.precision for e in args.calibrate_every for w in args.shot_window
                    for r in args.reid_model]
        runs: dict[tuple, list] = {setting: [] for setting in settings}
        for run in range(max(1, args.repeat)):  # interleaved: each setting once per round
            for number, (precision, every, window, reid) in enumerate(settings):
                out = tmp / f"out-{number}-{run}"
                summary = run_child({"input": str(clip / "img1"), "model": args.model, "out": str(out),
                                     "precision": precision, "calibrate_every": every, "shot_window": window,
                                     "reid_model": reid})
                label = f"{every}/{window}" + ("" if len(args.reid_model) == 1 else f" {Path(reid).name}")
                runs[precision, every, window, reid].append((precision, label, summary, camera_quality(clip, out)))
        rows = [row for setting in settings for row in runs[setting]]
        print(f"clip: {rows[0][2]['input']} (held-out SoccerSynth, seed 99); model: {rows[0][2]['model']}")
        stages = sorted({name for _, _, summary, _ in rows for name in summary["stage_seconds"]})
        header = (f"{'precision':>9} {'setting':>16} {'model fps':>9} {'end-to-end fps':>14} {'peak MB':>8} "
                  f"{'calibrated':>10} {'complete':>8} {'acc@5':>6} {'final@5':>7}")
        print(header)
        for _precision, every, summary, quality in rows:
            print(f"{summary['backbone_precision']:>9} {every:>16} {summary['model_frames_per_second']:9.1f} "
                  f"{summary['frames'] / summary['wall_seconds']:14.1f} {summary['peak_rss_mb']:8.0f} "
                  f"{summary['frames_calibrated']:>5}/{summary['frames']:<4} {quality['completeness']:8.2f} "
                  f"{quality['acc@5']:6.2f} {quality['final@5']:7.2f}")
        print("milliseconds per frame by stage:")
        print(f"{'precision':>9} {'setting':>16} " + " ".join(f"{name:>11}" for name in stages))
        for _precision, every, summary, _ in rows:
            per_frame = {k: 1000 * v / summary["frames"] for k, v in summary["stage_seconds"].items()}
            print(f"{summary['backbone_precision']:>9} {every:>16} "
                  + " ".join(f"{per_frame.get(name, 0.0):11.1f}" for name in stages))
        print("end-to-end fps: frames / wall time of analyze() (model loading and the output files included)")
        if args.memory:
            memory_rows(tmp)


def memory_rows(tmp: Path) -> None:
    import numpy as np
    import torch

    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForGameStateReconstruction
    from soccermaster_hf.analysis.render import VideoWriter

    torch.manual_seed(0)
    SoccerMasterForGameStateReconstruction(SoccerMasterConfig.from_preset("tiny", num_frames=4)).save_pretrained(
        tmp / "tiny")
    print(f"{'video':>10} {'frames':>7} {'peak MB':>8} {'wall s':>7}")
    peaks = {}
    for minutes in (2, 20):
        path = tmp / f"video-{minutes}.mp4"
        writer = VideoWriter(path, 2)
        rng = np.random.default_rng(0)
        for _ in range(minutes * 120):
            writer.write(rng.integers(0, 255, (36, 64, 3), dtype=np.uint8))
        writer.close()
        summary = run_child({"input": str(path), "model": str(tmp / "tiny"), "out": str(tmp / f"mem-{minutes}"),
                             "tracker": "hungarian"})
        peaks[minutes] = summary["peak_rss_mb"]
        print(f"{minutes:>7} min {summary['frames']:>7} {summary['peak_rss_mb']:8.0f} {summary['wall_seconds']:7.0f}")
    print(f"peak RSS ratio 20 min / 2 min: {peaks[20] / peaks[2]:.3f} (bar: within 10 %)")


if __name__ == "__main__":
    main()
