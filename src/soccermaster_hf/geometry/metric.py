"""The SoccerNet camera-calibration metric (accuracy@t, completeness, final score), implemented from its rules.

Reference: SoccerNet ``sn-calibration`` ``src/evaluate_camera.py`` (``get_polylines``, ``distance_to_polyline``,
``evaluate_camera_prediction`` and its ``__main__``), ``src/evaluate_extremities.py`` (``scale_points``,
``mirror_labels``) and ``src/soccerpitch.py`` (``sample_field_points``); the challenge's EvalAI script
(``evalai_camera.py``) applies the same functions with ``sampling_factor = 0.9`` and threshold 5 px. No code is
copied; the rules, as that evaluator applies them, are:

1. Scoring happens at a fixed resolution, 960 x 540 by default. Annotated points, normalised to [0, 1], are scaled by
   ``(W - 1, H - 1)``; classes with no point are dropped.
2. The predicted camera JSON is used as-is, in pixels (its principal point and focal lengths are not rescaled).
3. Every pitch element (23 straight elements + 3 circles; not "Goal unknown"/"Line unknown") is sampled in 3-D
   (straight elements every 0.9 m, circles every 0.2 m of arc, :meth:`PitchModel.sample_soccernet`) and projected
   with distortion. Points at camera depth <= 1e-3 are skipped. A point is in the image if ``0 <= u < W`` and
   ``0 <= v < H``; when consecutive projected points enter or leave the image, the intersection of the line through
   them with the image border lines ``u = 0``, ``u = W - 1``, ``v = 0``, ``v = H - 1`` that lies in the image and is
   closest to the current point is inserted. An element with at least one such point is "projected".
4. Distance of an annotated point to a projected polyline = minimum over its segments of the distance to the segment
   (perpendicular distance when the foot of the perpendicular falls strictly inside, else the nearer endpoint); a
   one-point polyline uses the point distance.
5. Per image and threshold ``t``: a class both projected and annotated is a true positive if *every* annotated point is
   at distance ``< t``, otherwise a false positive; a projected class that is not annotated is a false positive; an
   annotated class that is not projected is a false negative. ``accuracy = TP / (TP + FP + FN)`` (0 if the sum is 0).
6. Each image is also scored with mirrored labels (central symmetry: left<->right, top<->bottom) and the higher
   accuracy is kept.
7. ``accuracy@t`` = mean over images that have a camera; ``completeness`` = images with a camera / annotated images;
   ``final@t = completeness * accuracy@t``. The challenge score is ``final@5``.

One deliberate difference: annotated class names are normalised before matching (``"Goal left post left"`` without
the trailing space counts as ``"Goal left post left "``), which the official script only does in its mirrored pass.
It changes nothing for SoccerNet-calibration files, which use the canonical spelling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soccermaster_hf.geometry.camera import Camera
from soccermaster_hf.geometry.pitch import PitchModel
from soccermaster_hf.modeling.pitch_definitions import MIRROR_CLASS, normalize_class_name

__all__ = [
    "DEFAULT_HEIGHT",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_WIDTH",
    "EvaluationResult",
    "FrameScore",
    "distance_to_polyline",
    "evaluate_cameras",
    "mirror_annotation",
    "project_pitch_polylines",
    "scale_annotation",
    "score_frame",
]

DEFAULT_WIDTH = 960
DEFAULT_HEIGHT = 540
DEFAULT_THRESHOLDS: tuple[float, ...] = (5.0, 10.0, 20.0)
_SAMPLE_CACHE: dict[tuple[float, float], dict[str, np.ndarray]] = {}


def _sampled_pitch(pitch: PitchModel | None) -> dict[str, np.ndarray]:
    pitch = pitch or PitchModel()
    key = (pitch.length, pitch.width)
    if key not in _SAMPLE_CACHE:
        _SAMPLE_CACHE[key] = pitch.sample_soccernet(dist=0.9, dist_circles=0.2)
    return _SAMPLE_CACHE[key]


def _border_point(
    current: tuple[float, float], previous: tuple[float, float] | None, width: int, height: int
) -> tuple[float, float] | None:
    """In-image intersection of the line (previous, current) with an image border line, closest to ``current``."""
    if previous is None:
        return None
    line = np.cross([current[0], current[1], 1.0], [previous[0], previous[1], 1.0])
    best: tuple[float, float] | None = None
    best_d = math.inf
    for side in ((1.0, 0.0, 0.0), (1.0, 0.0, -(width - 1.0)), (0.0, 1.0, 0.0), (0.0, 1.0, -(height - 1.0))):
        ix, iy, iw = np.cross(line, side)
        if iw == 0 or not math.isfinite(iw):
            continue
        ix, iy = ix / iw, iy / iw
        if 0 <= ix < width and 0 <= iy < height:
            d = math.hypot(ix - current[0], iy - current[1])
            if d < best_d:
                best, best_d = (float(ix), float(iy)), d
    return best


def project_pitch_polylines(
    camera: Camera, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, pitch: PitchModel | None = None
) -> dict[str, np.ndarray]:
    """Project and clip every pitch element as the SoccerNet evaluator does (rule 3 of the module docstring).

    Returns:
        ``{class name: (N, 2) pixel polyline}`` for the elements with at least one point in the image.
    """
    out: dict[str, np.ndarray] = {}
    for name, points in _sampled_pitch(pitch).items():
        uv, valid = camera.project(points)
        us, vs, ok = uv[:, 0].tolist(), uv[:, 1].tolist(), valid.tolist()
        polyline: list[tuple[float, float]] = []
        in_img = False
        previous: tuple[float, float] | None = None
        for i in range(len(us)):
            if not ok[i]:
                continue  # behind the camera: skipped, "previous" is not updated
            current = (us[i], vs[i])
            if 0 <= current[0] < width and 0 <= current[1] < height:
                if not in_img and i > 0:
                    border = _border_point(current, previous, width, height)
                    if border is not None:
                        polyline.append(border)
                polyline.append(current)
                in_img = True
            elif in_img:
                border = _border_point(current, previous, width, height)
                if border is not None:
                    polyline.append(border)
                in_img = False
            previous = current
        if polyline:
            out[name] = np.asarray(polyline, dtype=float)
    return out


def distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance of each of (N, 2) points to a (M, 2) polyline (rule 4 of the module docstring)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    polyline = np.asarray(polyline, dtype=float).reshape(-1, 2)
    if polyline.shape[0] == 0:
        return np.full(points.shape[0], np.inf)
    if polyline.shape[0] == 1:
        return np.linalg.norm(points - polyline[0], axis=1)
    a, b = polyline[:-1][None], polyline[1:][None]  # (1, S, 2)
    p = points[:, None]  # (N, 1, 2)
    ab = b - a
    len2 = np.sum(ab * ab, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.sum((p - a) * ab, axis=-1) / len2
    inside = (k > 0) & (k < 1)
    foot = a + np.where(inside, k, 0.0)[..., None] * ab
    perpendicular = np.linalg.norm(p - foot, axis=-1)
    endpoint = np.minimum(np.linalg.norm(p - a, axis=-1), np.linalg.norm(p - b, axis=-1))
    return np.min(np.where(inside, perpendicular, endpoint), axis=1)


def _points_array(points: Any) -> np.ndarray:
    if isinstance(points, np.ndarray):
        return points.astype(float).reshape(-1, 2)
    return np.array([[float(p["x"]), float(p["y"])] for p in points], dtype=float).reshape(-1, 2)


def scale_annotation(
    annotation: Mapping[str, Any], width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT
) -> dict[str, np.ndarray]:
    """Scale a normalised SoccerNet annotation (``{class: [{"x", "y"}, ...]}``) to pixels by ``(W - 1, H - 1)``.

    Class names are normalised (unknown names are kept verbatim: they can only be false negatives); classes without
    points are dropped.
    """
    out: dict[str, np.ndarray] = {}
    for name, points in annotation.items():
        arr = _points_array(points)
        if arr.shape[0] == 0:
            continue
        out[normalize_class_name(name) or name] = arr * np.array([width - 1.0, height - 1.0])
    return out


def mirror_annotation(annotation: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Relabel an annotation by the central symmetry of the pitch (unknown names are kept)."""
    return {MIRROR_CLASS.get(normalize_class_name(k) or k, k): v for k, v in annotation.items()}


@dataclass
class FrameScore:
    """Metric of one image.

    Attributes:
        accuracy: ``{t: accuracy}`` (mirror rule applied per threshold).
        counts: ``{t: (TP, FP, FN)}`` of the kept (normal or mirrored) labelling.
        mirrored: ``{t: whether the mirrored labelling was kept}``.
        max_errors: ``{class: largest distance (px) of its annotated points}`` for the normal labelling, ``inf`` for
            annotated classes that are not projected.
        false_positive_classes: projected classes that are not annotated (normal labelling).
    """

    accuracy: dict[float, float]
    counts: dict[float, tuple[int, int, int]]
    mirrored: dict[float, bool]
    max_errors: dict[str, float] = field(default_factory=dict)
    false_positive_classes: list[str] = field(default_factory=list)


def _class_errors(projected: Mapping[str, np.ndarray], gt: Mapping[str, np.ndarray]) -> dict[str, float]:
    return {
        name: float(np.max(distance_to_polyline(points, projected[name]))) if name in projected else math.inf
        for name, points in gt.items()
    }


def _counts(projected: Mapping[str, np.ndarray], errors: Mapping[str, float], threshold: float) -> tuple[int, int, int]:
    tp = sum(1 for name, e in errors.items() if name in projected and e < threshold)
    fp_common = sum(1 for name, e in errors.items() if name in projected and not e < threshold)
    fp_extra = sum(1 for name in projected if name not in errors)
    fn = sum(1 for name in errors if name not in projected)
    return tp, fp_common + fp_extra, fn


def score_frame(
    camera: Camera | Mapping[str, Any],
    annotation: Mapping[str, Any],
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    pitch: PitchModel | None = None,
    normalized: bool = True,
) -> FrameScore:
    """Score one camera against one annotation at the given pixel thresholds.

    Args:
        camera: a :class:`Camera` or a SoccerNet camera dictionary.
        annotation: ``{class: points}``; normalised [0, 1] coordinates (``normalized=True``, SoccerNet files) or
            pixels at ``width x height`` (``normalized=False``). Points are dicts with ``x``/``y`` or (N, 2) arrays.
    """
    cam = camera if isinstance(camera, Camera) else Camera.from_dict(dict(camera))
    if normalized:
        gt = scale_annotation(annotation, width, height)
    else:
        gt = {normalize_class_name(k) or k: _points_array(v) for k, v in annotation.items() if len(v)}
    projected = project_pitch_polylines(cam, width, height, pitch)
    gt_m = mirror_annotation(gt)
    errors = _class_errors(projected, gt)
    errors_m = _class_errors(projected, gt_m)
    accuracy: dict[float, float] = {}
    counts: dict[float, tuple[int, int, int]] = {}
    mirrored: dict[float, bool] = {}
    for t in thresholds:
        c1, c2 = _counts(projected, errors, t), _counts(projected, errors_m, t)
        a1 = c1[0] / sum(c1) if sum(c1) else 0.0
        a2 = c2[0] / sum(c2) if sum(c2) else 0.0
        use_first = a1 > a2  # the evaluator keeps the mirrored score on ties
        accuracy[float(t)] = a1 if use_first else a2
        counts[float(t)] = c1 if use_first else c2
        mirrored[float(t)] = not use_first
    return FrameScore(
        accuracy=accuracy,
        counts=counts,
        mirrored=mirrored,
        max_errors=errors,
        false_positive_classes=sorted(name for name in projected if name not in gt),
    )


@dataclass
class EvaluationResult:
    """Dataset-level metric: ``completeness``, ``accuracy[t]``, ``final[t]`` (fractions in [0, 1])."""

    n_images: int
    n_with_camera: int
    completeness: float
    accuracy: dict[float, float]
    final: dict[float, float]
    per_frame: dict[str, FrameScore | None]

    def summary(self) -> dict[str, float]:
        out = {"completeness": self.completeness}
        for t, v in self.accuracy.items():
            out[f"acc@{t:g}"] = v
        for t, v in self.final.items():
            out[f"final@{t:g}"] = v
        return out


def evaluate_cameras(
    cameras: Mapping[str, Camera | Mapping[str, Any] | None],
    annotations: Mapping[str, Mapping[str, Any]],
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    pitch: PitchModel | None = None,
) -> EvaluationResult:
    """Score a set of cameras against annotations keyed by the same frame names (rule 7 of the module docstring).

    Frames of ``annotations`` without a camera (missing key or ``None``) lower the completeness.
    """
    thresholds = tuple(float(t) for t in thresholds)
    per_frame: dict[str, FrameScore | None] = {}
    for name, annotation in annotations.items():
        camera = cameras.get(name)
        per_frame[name] = None if camera is None else score_frame(camera, annotation, thresholds, width, height, pitch)
    scored = [s for s in per_frame.values() if s is not None]
    n = len(per_frame)
    completeness = len(scored) / n if n else 0.0
    accuracy = {t: float(np.mean([s.accuracy[t] for s in scored])) if scored else 0.0 for t in thresholds}
    final = {t: completeness * accuracy[t] for t in thresholds}
    return EvaluationResult(n, len(scored), completeness, accuracy, final, per_frame)
