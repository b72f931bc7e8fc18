"""``soccermaster calibrate``: cameras from SoccerNet-format pitch annotations.

Reads every ``*.json`` annotation in ``--annotations`` (``{"<class>": [{"x": .., "y": ..}, ...]}``, coordinates
normalised to [0, 1]), calibrates a camera per frame and writes ``camera_<name>.json`` (SoccerNet camera format) to
``--output``. Frames that cannot be calibrated get no camera file (as the SoccerNet evaluation expects: they lower the
completeness); they are listed, with their reason, in ``--output/calibration_failures.json``. Annotated classes the
solver dropped because they contradict the camera of all the others (a mislabelled or misplaced line, a stray point)
are listed per frame in ``--output/calibration_outliers.json``: a to-do list for whoever checks the annotations.
``--no-robust`` turns that hypothesise-and-verify search off (such frames then fail). With ``--evaluate``, the written
cameras are scored with the SoccerNet metric against the same annotations.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .arguments import bounded, non_negative_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--annotations", required=True, type=Path, help="folder of SoccerNet annotation JSON files")
    parser.add_argument("--output", required=True, type=Path, help="folder to write camera_<name>.json files to")
    parser.add_argument("--width", type=bounded(int, 2), default=960, help="image width in pixels (default 960)")
    parser.add_argument("--height", type=bounded(int, 2), default=540, help="image height in pixels (default 540)")
    parser.add_argument(
        "--no-distortion", action="store_true", help="do not estimate radial lens distortion (pinhole cameras only)"
    )
    parser.add_argument(
        "--absent-margin",
        type=non_negative_float,
        default=0.0,
        metavar="PX",
        help="push pitch elements that are not annotated out of the image when they enter it by at most PX pixels",
    )
    parser.add_argument(
        "--no-robust", action="store_true",
        help="do not search for (and drop) annotated classes that contradict the others; such frames fail instead",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail a frame on an unknown class name instead of skipping it"
    )
    parser.add_argument(
        "--evaluate", action="store_true", help="score the cameras with the SoccerNet metric afterwards"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a non-empty --output folder that is not a previous `soccermaster calibrate` "
                             "output (files it does not write are kept)")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..geometry import (
        AnnotationError,
        CameraCalibrator,
        PitchObservations,
        SolverConfig,
        evaluate_cameras,
        load_soccernet_annotation,
    )
    from ..utils.io import atomic_write_json, prepare_output_dir

    annotations_dir: Path = args.annotations
    if not annotations_dir.is_dir():
        print(f"error: --annotations {annotations_dir} is not a folder", file=sys.stderr)
        return 2
    if args.width < 2 or args.height < 2:
        print(f"error: invalid image size {args.width} x {args.height}", file=sys.stderr)
        return 2
    files = sorted(p for p in annotations_dir.glob("*.json") if not p.name.startswith("camera_"))
    if not files:
        print(f"error: no *.json annotation in {annotations_dir}", file=sys.stderr)
        return 2
    prepare_output_dir(args.output, "calibrate", overwrite=args.overwrite, sources=[annotations_dir])
    calibrator = CameraCalibrator(
        SolverConfig(estimate_distortion=not args.no_distortion, absent_class_margin_px=args.absent_margin,
                     robust_search=not args.no_robust)
    )
    failures: dict[str, str] = {}
    outliers: dict[str, list[str]] = {}
    cameras = {}
    annotations = {}
    skipped_total: dict[str, int] = {}
    start = time.perf_counter()
    for path in tqdm(files, desc="calibrate", unit="frame", disable=args.quiet):
        name = path.stem
        try:
            annotation = load_soccernet_annotation(path)
            obs = PitchObservations.from_soccernet(
                annotation, args.width, args.height, source=str(path), strict=args.strict
            )
        except AnnotationError as error:
            failures[name] = f"bad_annotation: {error}"
            continue
        annotations[name] = annotation
        for reason, count in obs.skipped.items():
            skipped_total[reason] = skipped_total.get(reason, 0) + count
        result = calibrator.calibrate(obs)
        if result.camera is None:
            failures[name] = str(result.failure)
            continue
        cameras[name] = result.camera
        if result.outlier_classes:
            outliers[name] = result.outlier_classes
        atomic_write_json(args.output / f"camera_{name}.json", result.camera.to_dict())
    elapsed = time.perf_counter() - start
    atomic_write_json(args.output / "calibration_failures.json", failures)
    atomic_write_json(args.output / "calibration_outliers.json", outliers)
    print(
        f"calibrated {len(cameras)}/{len(files)} frames in {elapsed:.1f} s ({1000 * elapsed / len(files):.1f} ms/frame); "
        f"cameras written to {args.output}"
    )
    if outliers:
        print(f"dropped annotations that contradict the other classes on {len(outliers)} frames "
              f"(listed in {args.output / 'calibration_outliers.json'})")
    if skipped_total:
        print(f"skipped input items: {skipped_total}")
    for name, reason in list(failures.items())[:10]:
        print(f"  no camera for {name}: {reason}")
    if args.evaluate and annotations:
        result = evaluate_cameras(cameras, annotations, width=args.width, height=args.height)
        summary = ", ".join(f"{k} {100 * v:.1f}" for k, v in result.summary().items())
        print(f"SoccerNet metric at {args.width}x{args.height}: {summary}")
    if not cameras:
        print(f"error: {annotations_dir}: no frame could be calibrated (reasons in "
              f"{args.output / 'calibration_failures.json'})", file=sys.stderr)
        return 1
    return 0
