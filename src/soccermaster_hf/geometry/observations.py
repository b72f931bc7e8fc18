"""2-D pitch observations (annotated or predicted) in image pixels, and the SoccerNet annotation reader.

A SoccerNet calibration annotation is a JSON object ``{"<class name>": [{"x": .., "y": ..}, ...], ...}`` with
coordinates normalised to [0, 1] by the image width and height (SoccerNet-GSR ``lines`` entries use the same layout).
Following the SoccerNet evaluator (``scale_points`` in ``sn-calibration/src/evaluate_extremities.py``) they are scaled
to pixels by ``(W - 1, H - 1)``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from soccermaster_hf.modeling.pitch_definitions import (
    KEYPOINT_INDEX,
    KEYPOINTS,
    MIRROR_CLASS,
    NUM_KEYPOINTS,
    UNKNOWN_CLASSES,
    normalize_class_name,
)

__all__ = ["AnnotationError", "PitchObservations", "load_soccernet_annotation"]

#: Normalised coordinates may overshoot [0, 1] slightly in real files (1.0000078...); beyond this margin a point is
#: treated as out of the image and dropped.
OUT_OF_IMAGE_MARGIN = 0.05


class AnnotationError(ValueError):
    """An annotation file or object is malformed; the message names the source and the problem."""


def load_soccernet_annotation(path: str | Path) -> dict[str, Any]:
    """Read a SoccerNet calibration annotation JSON file, raising :class:`AnnotationError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AnnotationError(f"{path}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError as error:
        raise AnnotationError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as error:
        raise AnnotationError(f"{path}: not valid JSON ({error})") from None
    except RecursionError:
        raise AnnotationError(f"{path}: JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise AnnotationError(f"{path}: expected a JSON object of class name -> points, got {type(obj).__name__}")
    return obj


@dataclass
class PitchObservations:
    """Observations of pitch elements in one image, in pixels.

    Attributes:
        image_size: ``(width, height)`` in pixels.
        lines: ``{canonical class name: (N, 2) pixel points}`` for straight elements and circles.
        keypoints: ``{keypoint index (0..56): (u, v, confidence)}``.
        skipped: counts of input items that were dropped, by reason (``unknown_class`` for "Goal unknown"/"Line
            unknown", ``unrecognized_class``, ``unrecognized_keypoint``, ``non_finite_point``, ``out_of_image_point``,
            ``empty_class``).
        source: where the observations came from (used in messages).
    """

    image_size: tuple[int, int]
    lines: dict[str, np.ndarray] = field(default_factory=dict)
    keypoints: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    source: str = "<observations>"

    @property
    def num_points(self) -> int:
        return int(sum(len(v) for v in self.lines.values())) + len(self.keypoints)

    @property
    def classes(self) -> list[str]:
        return sorted(self.lines)

    @classmethod
    def from_soccernet(
        cls,
        annotation: Mapping[str, Any],
        width: int,
        height: int,
        source: str = "<annotation>",
        strict: bool = False,
    ) -> PitchObservations:
        """Build observations from a normalised SoccerNet annotation object.

        Args:
            strict: raise :class:`AnnotationError` on a class name that is not a SoccerNet calibration class instead
                of counting it in ``skipped["unrecognized_class"]``.

        Raises:
            AnnotationError: for structurally malformed content (not an object, points that are not ``{"x", "y"}``
                records of numbers), naming ``source``.
        """
        if width <= 1 or height <= 1:
            raise AnnotationError(f"{source}: image size must be at least 2 x 2 pixels, got {width} x {height}")
        if not isinstance(annotation, Mapping):
            raise AnnotationError(
                f"{source}: expected an object of class name -> points, got {type(annotation).__name__}"
            )
        skipped: Counter[str] = Counter()
        lines: dict[str, np.ndarray] = {}
        scale = np.array([width - 1.0, height - 1.0])
        for raw_name, points in annotation.items():
            name = normalize_class_name(raw_name)
            if name is None:
                if strict:
                    raise AnnotationError(f"{source}: unknown class name {raw_name!r}")
                skipped["unrecognized_class"] += 1
                continue
            if name in UNKNOWN_CLASSES:
                skipped["unknown_class"] += 1
                continue
            if not isinstance(points, list):
                raise AnnotationError(f"{source}: class {raw_name!r} must map to a list of points")
            xy = []
            for point in points:
                if not isinstance(point, Mapping) or "x" not in point or "y" not in point:
                    raise AnnotationError(
                        f"{source}: class {raw_name!r} has a point that is not an {{x, y}} record: {point!r}"
                    )
                try:
                    x, y = float(point["x"]), float(point["y"])
                except (TypeError, ValueError, OverflowError):
                    raise AnnotationError(f"{source}: class {raw_name!r} has a point that is not a (float-sized) "
                                          f"number: {repr(point)[:120]}") from None
                if not (math.isfinite(x) and math.isfinite(y)):
                    skipped["non_finite_point"] += 1
                    continue
                if not (
                    -OUT_OF_IMAGE_MARGIN <= x <= 1 + OUT_OF_IMAGE_MARGIN
                    and -OUT_OF_IMAGE_MARGIN <= y <= 1 + OUT_OF_IMAGE_MARGIN
                ):
                    skipped["out_of_image_point"] += 1
                    continue
                xy.append((x, y))
            if not xy:
                skipped["empty_class"] += 1
                continue
            arr = np.asarray(xy, dtype=float) * scale
            lines[name] = np.concatenate([lines[name], arr]) if name in lines else arr
        return cls((int(width), int(height)), lines, {}, dict(skipped), source)

    @classmethod
    def from_file(cls, path: str | Path, width: int, height: int, strict: bool = False) -> PitchObservations:
        """:meth:`from_soccernet` on a JSON file."""
        return cls.from_soccernet(load_soccernet_annotation(path), width, height, source=str(path), strict=strict)

    @classmethod
    def from_pixels(
        cls,
        image_size: tuple[int, int],
        lines: Mapping[str, Any] | None = None,
        keypoints: Mapping[int | str, tuple[float, float] | tuple[float, float, float]] | np.ndarray | None = None,
        min_confidence: float = 0.0,
        source: str = "<prediction>",
    ) -> PitchObservations:
        """Observations from pixel-space predictions (e.g. the pitch-registration heads).

        Args:
            lines: ``{class name: (N, 2) pixel points}`` (any accepted spelling; unknown names are counted skips).
            keypoints: ``{index or name: (u, v[, confidence])}`` (names as in
                :data:`~soccermaster_hf.modeling.pitch_definitions.KEYPOINT_NAMES`) or a (57, 3) array of
                ``(u, v, confidence)`` rows (NaN or confidence ``<= min_confidence`` rows are ignored).
        """
        width, height = image_size
        skipped: Counter[str] = Counter()
        out_lines: dict[str, np.ndarray] = {}
        margin = OUT_OF_IMAGE_MARGIN * max(width, height)
        for raw_name, points in (lines or {}).items():
            name = normalize_class_name(raw_name)
            if name is None or name in UNKNOWN_CLASSES:
                skipped["unrecognized_class" if name is None else "unknown_class"] += 1
                continue
            arr = np.asarray(points, dtype=float).reshape(-1, 2)
            finite = np.all(np.isfinite(arr), axis=1)
            skipped["non_finite_point"] += int((~finite).sum())
            arr = arr[finite]
            inside = (arr[:, 0] >= -margin) & (arr[:, 0] <= width - 1 + margin)
            inside &= (arr[:, 1] >= -margin) & (arr[:, 1] <= height - 1 + margin)
            skipped["out_of_image_point"] += int((~inside).sum())
            arr = arr[inside]
            if len(arr):
                out_lines[name] = arr
            else:
                skipped["empty_class"] += 1
        out_kp: dict[int, tuple[float, float, float]] = {}
        if keypoints is not None:
            items = (
                enumerate(np.asarray(keypoints, dtype=float).reshape(-1, 3))
                if isinstance(keypoints, np.ndarray)
                else keypoints.items()
            )
            for key, value in items:
                index = KEYPOINT_INDEX.get(key, -1) if isinstance(key, str) else int(key)
                if not 0 <= index < NUM_KEYPOINTS:
                    skipped["unrecognized_keypoint"] += 1
                    continue
                u, v = float(value[0]), float(value[1])
                conf = float(value[2]) if len(value) > 2 else 1.0
                if not (math.isfinite(u) and math.isfinite(v) and math.isfinite(conf)):
                    skipped["non_finite_point"] += 1
                    continue
                if conf <= min_confidence:
                    continue
                if not (-margin <= u <= width - 1 + margin and -margin <= v <= height - 1 + margin):
                    skipped["out_of_image_point"] += 1
                    continue
                out_kp[index] = (u, v, conf)
        skipped_dict = {k: v for k, v in skipped.items() if v}
        return cls((int(width), int(height)), out_lines, out_kp, skipped_dict, source)

    def mirrored(self) -> PitchObservations:
        """The same observations with labels mapped by the central symmetry of the pitch."""
        kp_mirror = _keypoint_mirror_table()
        return PitchObservations(
            self.image_size,
            {MIRROR_CLASS[k]: v.copy() for k, v in self.lines.items()},
            {kp_mirror[i]: v for i, v in self.keypoints.items()},
            dict(self.skipped),
            self.source,
        )

    def without(self, names: Iterable[str]) -> PitchObservations:
        """The same observations without the given classes and keypoints (keypoints named ``"keypoint <index>"``,
        as in :attr:`CalibrationResult.outlier_classes`)."""
        names = set(names)
        keypoints = {i: v for i, v in self.keypoints.items() if f"keypoint {i}" not in names}
        lines = {k: v for k, v in self.lines.items() if k not in names}
        return PitchObservations(self.image_size, lines, keypoints, dict(self.skipped), self.source)


_KP_MIRROR: dict[int, int] | None = None


def _keypoint_mirror_table() -> dict[int, int]:
    """Index of the keypoint at ``(-x, -y, z)`` for each keypoint (the published table's ``9.0`` is matched by
    nearest neighbour)."""
    global _KP_MIRROR
    if _KP_MIRROR is None:
        coords = np.array([[k.x, k.y, k.z] for k in KEYPOINTS])
        table = {}
        for k in KEYPOINTS:
            target = np.array([-k.x, -k.y, k.z])
            table[k.index] = int(np.argmin(np.linalg.norm(coords - target, axis=1)))
        _KP_MIRROR = table
    return _KP_MIRROR
