"""Locate the project's ``shared/`` folder (docs, parity fixtures, real data).

``shared/`` exists on developer machines and in CI, never on a user's machine: code and tests that use it must call
:func:`find_shared_dir` and skip cleanly when it returns ``None``.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SOCCERMASTER_SHARED"


def find_shared_dir() -> Path | None:
    """Return the ``shared`` directory: ``$SOCCERMASTER_SHARED`` if set, else ``../shared`` next to the repo root.

    Returns ``None`` when neither exists.
    """
    env = os.environ.get(ENV_VAR)
    candidates = [Path(env)] if env else []
    repo_root = Path(__file__).resolve().parents[3]
    candidates += [repo_root.parent / "shared", Path.cwd().parent / "shared", Path.cwd() / "shared"]
    for candidate in candidates:
        if (candidate / "docs").is_dir() or (candidate / "fixtures").is_dir() or (candidate / "data").is_dir():
            return candidate.resolve()
    return None


def shared_path(*parts: str) -> Path | None:
    """Return ``shared/<parts...>`` if it exists, else ``None``."""
    root = find_shared_dir()
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.exists() else None
