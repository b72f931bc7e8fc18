"""Calibration from annotated lines with injected annotation faults, on WorldCup 2014 and SoccerSynth frames.

Not a test. The solver is fed annotations with faults injected by :func:`soccermaster_hf.geometry.faults.inject_faults`
(a class relabelled as its mirror image or neighbour, a class shifted 20-80 px, a spurious point) and its cameras are
scored with the SoccerNet metric (960 x 540, :func:`soccermaster_hf.geometry.evaluate_cameras`) against the *clean*
annotations: completeness, acc@5 and final@5 per fault kind and rate, for the solver without and with the
hypothesise-and-verify search over classes (``SolverConfig.robust_search``), side by side in one run.

    OMP_NUM_THREADS=1 python benchmarks/calibration_faults.py                 # WC14 (needs ../shared) + SoccerSynth
    OMP_NUM_THREADS=1 python benchmarks/calibration_faults.py --synth-frames 200 --seeds 0 1
    OMP_NUM_THREADS=1 python benchmarks/calibration_faults.py --quick         # fewer settings

Rows: ``clean``; ``one <kind>`` (every frame gets exactly one fault of that kind); ``<rate> mixed`` (each class is
faulty with that probability, kind drawn uniformly). WC14 frames come from ``shared/data/real/calibration``
(``$SOCCERMASTER_SHARED`` or ``../shared``; skipped when absent). SoccerSynth frames are broadcast cameras drawn by the
generator's own camera model (:func:`soccermaster_hf.synth.camera_path.camera_path`) with annotations made by the
generator's own rule (:func:`soccermaster_hf.synth.generate.visible_lines`); no rendering is needed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from soccermaster_hf.geometry import (  # noqa: E402
    CameraCalibrator,
    PitchModel,
    PitchObservations,
    SolverConfig,
    evaluate_cameras,
)
from soccermaster_hf.geometry.faults import FAULT_KINDS, inject_faults  # noqa: E402
from soccermaster_hf.synth.camera_path import camera_path  # noqa: E402
from soccermaster_hf.synth.generate import visible_lines  # noqa: E402
from soccermaster_hf.utils.shared import shared_path  # noqa: E402

W, H = 960, 540


def wc14_annotations() -> dict[str, dict] | None:
    root = shared_path("data", "real", "calibration", "wc14_test_gt_lines")
    if root is None or not root.is_dir():
        return None
    return {p.stem: json.loads(p.read_text()) for p in sorted(root.glob("*.json"), key=lambda p: int(p.stem))}


def synth_annotations(frames: int, seed: int) -> dict[str, dict]:
    """Main-camera frames with the SoccerSynth camera model; annotations as the generator writes them."""
    rng = np.random.default_rng(seed)
    pitch = PitchModel()
    out: dict[str, dict] = {}
    while len(out) < frames:
        ball = np.array([[rng.uniform(-50, 50), rng.uniform(-30, 30), 0.0]])
        players = ball[None, :, :2] + rng.normal(0.0, 8.0, size=(1, 12, 2))
        (camera,), _ = camera_path(ball, players, W, H, rng, cut_probability=0.0)
        lines = visible_lines(camera, W, H, pitch)
        if sum(min(len(v), 2) for v in lines.values()) < 8:  # as on SoccerNet: frames with too little are not kept
            continue
        out[f"synth{len(out):04d}"] = {
            name: [{"x": float(u) / (W - 1), "y": float(v) / (H - 1)} for u, v in pts] for name, pts in lines.items()
        }
    return out


def settings(quick: bool) -> list[tuple[str, dict]]:
    rows = [("clean", {"rate": 0.0, "kinds": FAULT_KINDS, "at_least_one": False})]
    rows += [(f"one {k}", {"rate": 0.0, "kinds": (k,), "at_least_one": True}) for k in FAULT_KINDS]
    rates = (0.1, 0.2) if quick else (0.1, 0.2, 0.3)
    rows += [(f"{r:.0%} of classes, mixed", {"rate": r, "kinds": FAULT_KINDS, "at_least_one": False}) for r in rates]
    return rows


def solve(annotations: dict[str, dict], config: SolverConfig) -> tuple[dict, float, int]:
    calibrator = CameraCalibrator(config)
    cameras, dropped = {}, 0
    start = time.perf_counter()
    for name, annotation in annotations.items():
        result = calibrator.calibrate(PitchObservations.from_soccernet(annotation, W, H, source=name))
        cameras[name] = result.camera
        dropped += bool(result.outlier_classes)
    return cameras, 1000 * (time.perf_counter() - start) / max(len(annotations), 1), dropped


def table(label: str, clean: dict[str, dict], seeds: list[int], quick: bool) -> None:
    configs = {
        "plain": SolverConfig(robust_search=False),
        "robust (default)": SolverConfig(),
    }
    print(f"\n### {label}: {len(clean)} frames, seeds {seeds}; cameras scored against the clean annotations\n")
    print("| annotations | faults/frame | solver | compl. | acc@5 | final@5 | frames with drops | ms/frame |")
    print("|---|---|---|---|---|---|---|---|")
    for row_label, kwargs in settings(quick):
        for solver_label, config in configs.items():
            compl, acc, final, ms, drops, n_faults = [], [], [], [], [], []
            for seed in seeds:
                rng = np.random.default_rng(1000 + seed)
                faulty, counts = {}, []
                for name, annotation in clean.items():
                    faulty[name], faults = inject_faults(annotation, image_size=(W, H), rng=rng, **kwargs)
                    counts.append(len(faults))
                cameras, ms_frame, dropped = solve(faulty, config)
                summary = evaluate_cameras(cameras, clean, thresholds=(5.0,), width=W, height=H).summary()
                compl.append(summary["completeness"])
                acc.append(summary["acc@5"])
                final.append(summary["final@5"])
                ms.append(ms_frame)
                drops.append(dropped / len(clean))
                n_faults.append(float(np.mean(counts)))
            print(
                f"| {row_label} | {np.mean(n_faults):.2f} | {solver_label} | {100 * np.mean(compl):.1f} "
                f"| {100 * np.mean(acc):.1f} | **{100 * np.mean(final):.1f}** | {100 * np.mean(drops):.0f} % "
                f"| {np.mean(ms):.0f} |",
                flush=True,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synth-frames", type=int, default=150, help="SoccerSynth frames (default 150; 0: none)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="fault seeds to average over")
    parser.add_argument("--quick", action="store_true", help="fewer fault rates")
    parser.add_argument("--no-wc14", action="store_true", help="skip the WorldCup-2014 frames")
    args = parser.parse_args(argv)
    if args.synth_frames < 0 or any(s < 0 for s in args.seeds):
        print("error: --synth-frames and --seeds must be >= 0", file=sys.stderr)
        return 1
    print(f"solver settings: {dataclasses.asdict(SolverConfig())}")
    wc14 = None if args.no_wc14 else wc14_annotations()
    if wc14 is None and not args.no_wc14:
        print("WorldCup 2014 annotations not found (set SOCCERMASTER_SHARED); skipping them")
    if wc14:
        table("WorldCup 2014 (real annotations)", wc14, args.seeds, args.quick)
    if args.synth_frames:
        table("SoccerSynth main camera", synth_annotations(args.synth_frames, seed=7), args.seeds, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
