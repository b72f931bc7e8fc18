"""Many videos in one command, across processes and machines: ``soccermaster analyze DIR_OR_LIST --out DIR``.

The inputs (:func:`batch_inputs`): the lines of a ``.txt`` list (paths relative to the list's folder; blank lines and
``#`` comments ignored), or the videos and clip folders (folders holding images or an ``img1/``) inside a folder that
holds no image itself. Each input gets its own output folder ``DIR/<name>/`` and runs with ``resume``, so a batch is
idempotent: a finished input is skipped, a killed one continues from its last committed segment.

Across processes: under ``torchrun`` / ``accelerate launch`` (or any launcher that sets ``RANK`` and ``WORLD_SIZE``)
process ``r`` of ``n`` takes the inputs ``r, r + n, r + 2n, ...`` of the sorted list, so no input is analysed twice and
no process needs to talk to another; each process writes ``DIR/batch-rank<r>.json`` with what it did. On a cluster,
one launcher per node with ``--nnodes`` / ``--node-rank`` gives global ranks the same way.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..data.images import IMAGE_SUFFIXES, is_regular_file
from ..utils.io import atomic_write_json, write_marker

VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts", ".mpg", ".mpeg"}


def is_batch_input(path: str | os.PathLike) -> bool:
    """A ``.txt`` list, or a folder with no image of its own but with videos or clip folders."""
    path = Path(path)
    if path.suffix.lower() == ".txt" and is_regular_file(path):
        return True
    if not path.is_dir() or (path / "img1").is_dir():
        return False
    entries = list(path.iterdir())
    if any(e.suffix.lower() in IMAGE_SUFFIXES and is_regular_file(e) for e in entries):
        return False
    return any(_is_clip(e) for e in entries)


def _is_clip(path: Path) -> bool:
    if path.is_dir():
        return (path / "img1").is_dir() or any(e.suffix.lower() in IMAGE_SUFFIXES for e in path.iterdir())
    return path.suffix.lower() in VIDEO_SUFFIXES and is_regular_file(path)


def batch_inputs(path: str | os.PathLike) -> list[Path]:
    """The inputs of a batch (see the module docstring), sorted; raises ``ValueError`` naming the list / folder when
    it holds none."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: cannot read the list ({error}).") from error
        inputs = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            item = Path(line) if Path(line).is_absolute() else path.parent / line
            inputs.append(item)
        if not inputs:
            raise ValueError(f"{path}: the list names no input.")
        return inputs
    inputs = sorted(e for e in path.iterdir() if _is_clip(e))
    if not inputs:
        raise ValueError(f"{path}: no videos or clip folders in this folder.")
    return [(i / "img1") if (i / "img1").is_dir() else i for i in inputs]


def output_names(inputs: list[Path]) -> list[str]:
    """A distinct, file-system-safe output folder name per input (its stem; clip folders use the folder's name)."""
    names, seen = [], {}
    for item in inputs:
        base = item.parent.name if item.name == "img1" else (item.stem if item.suffix else item.name)
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "input"
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(base if count == 0 else f"{base}-{count + 1}")
    return names


def process_rank() -> tuple[int, int]:
    """``(rank, world_size)`` from the launcher's environment (``RANK`` / ``WORLD_SIZE``; 0 / 1 without one)."""
    try:
        rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError as error:
        raise ValueError(f"RANK / WORLD_SIZE must be integers ({error}).") from None
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"RANK={rank} must be in [0, WORLD_SIZE={world}).")
    return rank, world


def analyze_many(source: str | os.PathLike, output_dir: str | os.PathLike, model_name: str | None = None,
                 rank: int | None = None, world_size: int | None = None, report_errors=print, **settings) -> dict:
    """Analyse this process's share of a batch (see the module docstring); returns ``{"done", "skipped",
    "failed"}`` lists of input paths (also written to ``batch-rank<r>.json``). An input that fails is reported as
    one line through `report_errors` and counted; the others still run."""
    from .pipeline import analyze

    if rank is None or world_size is None:
        rank, world_size = process_rank()
    inputs = batch_inputs(source)
    names = output_names(inputs)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    outcome = {"rank": rank, "world_size": world_size, "inputs": len(inputs), "done": [], "skipped": [],
               "failed": []}
    for position in range(rank, len(inputs), world_size):
        item, out = inputs[position], output_dir / names[position]
        previous = out / ".analysis" / "run.json"
        try:
            finished = json.loads(previous.read_text(encoding="utf-8")).get("complete") if previous.is_file() else False
        except (OSError, ValueError):
            finished = False
        try:
            analyze(str(item), model_name, out, resume=True, **settings)
            write_marker(out, "analyze")
        except (OSError, ValueError, RuntimeError) as error:
            message = str(error)  # most errors already start with the input's path: not twice
            report_errors(f"error: {message}" if message.startswith(str(item)) else f"error: {item}: {message}")
            outcome["failed"].append(str(item))
            continue
        outcome["skipped" if finished else "done"].append(str(item))
    atomic_write_json(output_dir / f"batch-rank{rank}.json", outcome)
    return outcome


__all__ = ["VIDEO_SUFFIXES", "analyze_many", "batch_inputs", "is_batch_input", "output_names", "process_rank"]
