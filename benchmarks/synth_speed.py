"""SoccerSynth speed: frames per second at 960x540 on one core (goal >= 25 fps) and the cost of parsing tracking data.

    python benchmarks/synth_speed.py [--frames 100] [--size 960x540]

Runs with one thread (`cv2.setNumThreads(1)`, `OMP_NUM_THREADS=1`) and reports render-only and render+write (JPEG and
all ground-truth files) rates, plus the first (uncached) and cached load time of each tracking source.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from soccermaster_hf.synth.camera_path import camera_path  # noqa: E402
from soccermaster_hf.synth.generate import SynthConfig, generate_clip  # noqa: E402
from soccermaster_hf.synth.render import ClipRenderer  # noqa: E402
from soccermaster_hf.synth.tracking import load_tracking  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--size", default="960x540")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    width, height = (int(v) for v in args.size.split("x"))

    print("tracking source       first load (s)   cached load (s)   frames @25fps   tracked people / frame")
    for source in ("skillcorner", "metrica", "procedural", "scripted"):  # scripted: simulated, not cached
        with tempfile.TemporaryDirectory() as cache:
            os.environ["SOCCERMASTER_CACHE"] = cache
            start = time.perf_counter()
            trajectories = load_tracking(source)
            first = time.perf_counter() - start
            start = time.perf_counter()
            load_tracking(source)
            cached = time.perf_counter() - start
        people = np.isfinite(trajectories.positions[..., 0]).sum(1).mean()
        print(f"{source:<20} {first:>15.2f} {cached:>17.2f} {len(trajectories.times):>15d} {people:>24.1f}")
    os.environ.pop("SOCCERMASTER_CACHE")

    trajectories = load_tracking("skillcorner")
    rng = np.random.default_rng(0)
    window = trajectories.window(60_000, args.frames)
    cameras, _ = camera_path(window.ball, window.positions, width, height, rng)
    renderer = ClipRenderer(width, height, rng)
    people_per_frame = []
    for t in range(args.frames):
        people_per_frame.append([(p, window.positions[t, p], str(window.roles[p]), int(window.teams[p]),
                                  int(window.jerseys[p]), 1.8)
                                 for p in range(window.positions.shape[1]) if np.isfinite(window.positions[t, p]).all()])
    start = time.perf_counter()
    for t in range(args.frames):
        renderer.render(cameras[t], people_per_frame[t], window.ball[t], t, cameras[t - 1] if t else None)
    render_fps = args.frames / (time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as out:
        config = SynthConfig(clips=1, frames=args.frames, seed=0, width=width, height=height)
        start = time.perf_counter()
        from pathlib import Path

        generate_clip(trajectories, 0, config, Path(out))
        full_fps = args.frames / (time.perf_counter() - start)
    print(f"\n{width}x{height}, 1 thread, {args.frames} frames of real SkillCorner tracking")
    print(f"render only:                         {render_fps:6.1f} frames/s   (goal >= 25)")
    print(f"render + JPEG + all ground truth:    {full_fps:6.1f} frames/s")


if __name__ == "__main__":
    main()
