"""Annotation faults for robustness studies of the calibration solver: relabelled classes, shifted lines, spurious points.

Real calibration annotations contain the mistakes of their annotators. On real SoccerNet frames the typical one is a
single class that contradicts a camera fitting all the others: a line given the label of its mirror image or of a
neighbouring, parallel line ("Big rect. left main" for "Small rect. left main"), a line clicked 20-80 px away from
where it is painted, or a stray point. :func:`inject_faults` reproduces these on a clean SoccerNet annotation (a
normalised ``{class: [{"x", "y"}, ...]}`` object), so that a solver can be scored against the *clean* annotation after
being fed the faulty one (``benchmarks/calibration_faults.py``; ``docs/geometry.md``, "Robustness to wrong
annotations").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from soccermaster_hf.modeling.pitch_definitions import MIRROR_CLASS, UNKNOWN_CLASSES, normalize_class_name

__all__ = ["FAULT_KINDS", "Fault", "inject_faults", "neighbour_class"]

#: The fault kinds :func:`inject_faults` knows.
FAULT_KINDS: tuple[str, ...] = ("relabel", "shift", "spurious")

# A neighbouring element an annotator can confuse a class with: the parallel line of the other box, the other post of
# the same goal, the box line next to a touch line, the penalty arc next to the centre circle.
_NEIGHBOUR: dict[str, str] = {}
for _side in ("left", "right"):
    for _part in ("bottom", "main", "top"):
        _NEIGHBOUR[f"Big rect. {_side} {_part}"] = f"Small rect. {_side} {_part}"
        _NEIGHBOUR[f"Small rect. {_side} {_part}"] = f"Big rect. {_side} {_part}"
    _NEIGHBOUR[f"Side line {_side}"] = f"Big rect. {_side} main"
    _NEIGHBOUR[f"Circle {_side}"] = "Circle central"
_NEIGHBOUR.update({
    "Side line top": "Big rect. left top",
    "Side line bottom": "Big rect. left bottom",
    "Middle line": "Big rect. left main",
    "Circle central": "Circle left",
    "Goal left crossbar": "Goal right crossbar",
    "Goal right crossbar": "Goal left crossbar",
    "Goal left post left ": "Goal left post right",
    "Goal left post right": "Goal left post left ",
    "Goal right post left": "Goal right post right",
    "Goal right post right": "Goal right post left",
})


def neighbour_class(name: str) -> str:
    """The neighbouring element annotators confuse ``name`` with (raises ``KeyError`` for an unknown class)."""
    canonical = normalize_class_name(name)
    if canonical is None or canonical not in _NEIGHBOUR:
        raise KeyError(f"no neighbour for class {name!r}")
    return _NEIGHBOUR[canonical]


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``kind`` (``FAULT_KINDS``), the clean ``cls`` it hit, and what was done (``detail``)."""

    kind: str
    cls: str
    detail: str


def _points(value: Any) -> list[dict[str, float]]:
    return [{"x": float(p["x"]), "y": float(p["y"])} for p in value]


def inject_faults(
    annotation: Mapping[str, Sequence[Mapping[str, float]]],
    rate: float,
    image_size: tuple[int, int],
    rng: np.random.Generator,
    kinds: Sequence[str] = FAULT_KINDS,
    at_least_one: bool = False,
    shift_px: tuple[float, float] = (20.0, 80.0),
) -> tuple[dict[str, list[dict[str, float]]], list[Fault]]:
    """A copy of ``annotation`` in which each class is faulty with probability ``rate``, and the faults made.

    Args:
        annotation: a clean SoccerNet calibration annotation (normalised coordinates); not modified.
        rate: probability (0..1) that a class receives a fault.
        image_size: ``(width, height)`` of the image, so that shifts are in pixels.
        rng: the random generator (the result is a function of its state).
        kinds: fault kinds to draw from, uniformly:

            * ``"relabel"`` — the class gets the label of its mirror image or (half of the time) of its neighbour
              (:func:`neighbour_class`); when that label is already annotated the points are merged into it;
            * ``"shift"`` — every point of the class moves by one random vector of ``shift_px`` pixels;
            * ``"spurious"`` — one extra point anywhere in the image is added to the class.
        at_least_one: when no class was drawn, fault one class chosen at random (frames with exactly one fault at
            ``rate=0``).
        shift_px: range of the shift length in pixels.

    Returns:
        ``(faulty annotation, faults)``; unknown classes ("Line unknown") are copied unchanged and never faulted.

    Raises:
        ValueError: for a rate outside [0, 1], an unknown kind or a bad image size.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {FAULT_KINDS}, got {list(kinds)}")
    width, height = image_size
    if width <= 1 or height <= 1:
        raise ValueError(f"image size must be at least 2 x 2, got {image_size}")
    out: dict[str, list[dict[str, float]]] = {}
    candidates = []
    for raw, value in annotation.items():
        name = normalize_class_name(raw) or raw
        out[name] = out.get(name, []) + _points(value)
        if name in MIRROR_CLASS and name not in UNKNOWN_CLASSES and value:
            candidates.append(name)
    hit = [c for c in candidates if rng.random() < rate]
    if at_least_one and not hit and candidates:
        hit = [candidates[int(rng.integers(len(candidates)))]]
    faults = []
    for name in hit:
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "relabel":
            target = MIRROR_CLASS[name] if rng.random() < 0.5 or name not in _NEIGHBOUR else _NEIGHBOUR[name]
            if target == name:  # self-mirror ("Middle line", "Circle central"): use the neighbour
                target = _NEIGHBOUR[name]
            points = out.pop(name)
            out[target] = out.get(target, []) + points
            faults.append(Fault(kind, name, f"labelled {target!r}"))
        elif kind == "shift":
            length = rng.uniform(*shift_px)
            angle = rng.uniform(0.0, 2.0 * np.pi)
            dx, dy = length * np.cos(angle) / (width - 1), length * np.sin(angle) / (height - 1)
            out[name] = [{"x": p["x"] + dx, "y": p["y"] + dy} for p in out[name]]
            faults.append(Fault(kind, name, f"shifted {length:.0f} px"))
        else:
            point = {"x": float(rng.uniform(0.0, 1.0)), "y": float(rng.uniform(0.0, 1.0))}
            out[name].insert(int(rng.integers(len(out[name]) + 1)), point)
            faults.append(Fault(kind, name, f"extra point at ({point['x']:.2f}, {point['y']:.2f})"))
    return out, faults
