"""How checkpoints trained on SoccerSynth behave on real broadcast frames: detections whose feet stand on the pitch
and detections off it (stands, track, boards), per frame and model, with the overlays written to PNG.

    python benchmarks/real_frames.py [--model A --model B ...] [--frames DIR] [--out real-frames]

`--model` defaults to the default checkpoint shipped in the package; give it more than once to compare (e.g. a
previous checkpoint folder and the new one). `--frames` defaults to `$SOCCERMASTER_SHARED/data/real/broadcast_frames`
(else `../shared/...`). A detection is *on the pitch* when at least `--grass` of the pixels in a strip under its
box's bottom edge (where the feet meet the ground) are grass, i.e. the frame's dominant green (see `grass_mask`; a
green board beside the pitch is another hue): a steward on the athletics track, a photographer behind the boards or a
spectator in the stands is not. The rule is a proxy for a hand count (it says nothing about whether an on-pitch box
holds a player): open the overlays. Each overlay draws on-pitch boxes green, off-pitch boxes red and the grass mask's
outline yellow.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from soccermaster_hf.analysis import load_analysis_model, score_threshold
from soccermaster_hf.data.images import ImageLoadError, image_files, load_image
from soccermaster_hf.processing.image_processing_soccermaster import SoccerMasterImageProcessor
from soccermaster_hf.utils.shared import find_shared_dir


def grass_mask(frame: np.ndarray) -> np.ndarray:
    """`(H, W)` bool: the pitch's grass in an RGB frame. Pixels within 12 hue steps of the frame's dominant green
    (OpenCV hue 25-95, saturation >= 60, value >= 40), white lines and small players closed over, only regions of
    at least 5 % of the frame, with what they enclose (a green advertising board or a steward's vest is another hue
    or too small)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    greenish = (hue >= 25) & (hue <= 95) & (saturation >= 60) & (value >= 40)
    if not greenish.any():
        return np.zeros(hue.shape, bool)
    dominant = int(np.bincount(hue[greenish], minlength=180).argmax())
    mask = (greenish & (np.abs(hue.astype(int) - dominant) <= 12)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.isin(labels, [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= 0.05 * mask.size])
    # what the pitch encloses (players, lines, drawn labels) is pitch too
    contours, _ = cv2.findContours(keep.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled > 0


def on_pitch(box: np.ndarray, grass: np.ndarray, minimum: float) -> bool:
    """Whether the strip under `box`'s bottom edge (half the box wide, a tenth of its height + 3 px deep) is grass."""
    height, width = grass.shape
    x0, y0, x1, y1 = box
    centre, half = (x0 + x1) / 2.0, max(2.0, (x1 - x0) / 4.0)
    depth = max(3.0, (y1 - y0) / 10.0 + 3.0)
    left, right = int(np.clip(centre - half, 0, width - 1)), int(np.clip(centre + half, 1, width))
    top, bottom = int(np.clip(y1 - depth / 2, 0, height - 1)), int(np.clip(y1 + depth, 1, height))
    strip = grass[top:bottom, left:max(right, left + 1)]
    return bool(strip.size) and float(strip.mean()) >= minimum


def detect(model, processor, frame: np.ndarray, threshold: float) -> dict:
    inputs = processor([frame], return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        outputs = model(inputs)
    return processor.post_process_game_state(outputs, target_sizes=[frame.shape[:2]], threshold=threshold,
                                             keypoint_threshold=model.config.pitch_config.keypoint_threshold
                                             )[0].detections


def overlay(frame: np.ndarray, boxes: np.ndarray, inside: list[bool], grass: np.ndarray, title: str) -> np.ndarray:
    image = np.ascontiguousarray(frame[..., ::-1]).copy()
    contours, _ = cv2.findContours(grass.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(image, [c for c in contours if cv2.contourArea(c) > 0.01 * grass.size], -1, (0, 255, 255), 1)
    for box, ok in zip(boxes, inside):
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(image, (x0, y0), (x1, y1), (0, 200, 0) if ok else (0, 0, 255), 2)
    cv2.rectangle(image, (0, 0), (image.shape[1], 30), (0, 0, 0), -1)
    cv2.putText(image, title, (8, 21), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return image


def default_frames() -> Path | None:
    shared = find_shared_dir()
    return None if shared is None else shared / "data" / "real" / "broadcast_frames"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=None,
                        help="Checkpoint folder or Hub id (repeat to compare; default: the shipped checkpoint).")
    parser.add_argument("--frames", type=Path, default=None, help="Folder of real frames (default: the shared one).")
    parser.add_argument("--out", type=Path, default=Path("real-frames"), help="Folder for the overlay PNGs.")
    parser.add_argument("--threshold", type=float, default=None,
                        help="Detection score threshold (default: each checkpoint's own, as analyze uses it).")
    parser.add_argument("--grass", type=float, default=0.4, help="Grass share under the feet that means on-pitch.")
    args = parser.parse_args(argv)
    folder = args.frames or default_frames()
    if folder is None:
        print("error: ../shared: not found (set SOCCERMASTER_SHARED or pass --frames)", file=sys.stderr)
        return 1
    if not folder.is_dir():
        problem = "is a file; expected a folder of frames" if folder.exists() else "no such folder of frames"
        print(f"error: {folder}: {problem}", file=sys.stderr)
        return 1
    if (args.threshold is not None and not 0.0 <= args.threshold <= 1.0) or not 0.0 < args.grass <= 1.0:
        print("error: --threshold must be in [0, 1] and --grass in (0, 1]", file=sys.stderr)
        return 1
    files = image_files(folder)
    frames = {}
    for file in files:
        try:
            frames[file.name] = load_image(file)[..., :3]
        except (OSError, ImageLoadError, ValueError) as error:
            print(f"skipped {file}: {error}", file=sys.stderr)
    if not frames:
        print(f"error: {folder}: no readable frames", file=sys.stderr)
        return 1
    if args.out.exists() and not args.out.is_dir():
        print(f"error: {args.out}: is a file; expected a folder for the overlays", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    grass = {name: grass_mask(frame) for name, frame in frames.items()}  # the same for every model
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    print(f"{'model':<28} {'frame':<36} {'detections':>10} {'on pitch':>9} {'off pitch':>10}")
    for index, name in enumerate(args.model or [None]):
        try:
            model, _ = load_analysis_model(name)
        except (OSError, ValueError) as error:  # ModelLoadError is a ValueError
            print(f"error: {error}", file=sys.stderr)
            return 1
        model.eval()
        processor = SoccerMasterImageProcessor.from_model_config(model.config)
        label = Path(name).name if name else "default checkpoint"
        threshold = score_threshold(model.config, args.threshold)
        print(f"{label}: detection score threshold {threshold:g}")
        for frame_name, frame in frames.items():
            detection = detect(model, processor, frame, threshold)
            boxes = detection["boxes"].numpy().reshape(-1, 4)
            inside = [on_pitch(box, grass[frame_name], args.grass) for box in boxes]
            print(f"{label[:28]:<28} {frame_name[:36]:<36} {len(boxes):>10} {sum(inside):>9} "
                  f"{len(inside) - sum(inside):>10}")
            title = f"{label}: {sum(inside)} on the pitch (green), {len(inside) - sum(inside)} off it (red)"
            cv2.imwrite(str(args.out / f"{Path(frame_name).stem}_{index}.png"),
                        overlay(frame, boxes, inside, grass[frame_name], title))
    print(f"overlays: {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
