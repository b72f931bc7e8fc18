"""User-facing errors: one line that names the file and the problem (no project imports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class ModelLoadError(ValueError):
    """A model folder / Hub id that cannot be loaded (missing files, truncated weights, a malformed config...)."""


def one_line(error: BaseException, limit: int = 400) -> str:
    """The message of `error` on one line (whitespace collapsed, cut at `limit` characters)."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    elif isinstance(error, KeyError) and len(error.args) == 1:
        text = f"missing key {error.args[0]!r}"
    else:
        text = " ".join(str(error).split())
    if not text:
        text = type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_pretrained(model_class: Any, name_or_path: str | os.PathLike, **kwargs: Any) -> Any:
    """`model_class.from_pretrained(name_or_path)`; any failure becomes a :class:`ModelLoadError` naming the folder.

    A user's folder can fail in many ways (no config.json, a config.json of the wrong shape or with wrong-typed
    values, truncated or mismatching weights): each ends in one clear line instead of a traceback.
    """
    name = getattr(model_class, "__name__", "model")
    path = Path(name_or_path)
    text = str(name_or_path)
    looks_local = path.is_absolute() or text.startswith(".") or text.count("/") > 1 or os.sep != "/" and os.sep in text
    if path.is_file():
        raise ModelLoadError(f"{name_or_path}: is a file; expected a model folder (config.json + model.safetensors) "
                             "or a Hub id.")
    if path.is_dir() and not (path / "config.json").is_file():
        raise ModelLoadError(f"{name_or_path}: no config.json in this folder; expected a {name} folder written by "
                             "save_pretrained.")
    if not path.exists() and looks_local:
        raise ModelLoadError(f"{name_or_path}: no such model folder.")
    try:
        return model_class.from_pretrained(name_or_path, **kwargs)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - every failure to load a user's folder is reported, with its cause
        problem = one_line(error)
        if str(name_or_path) in problem:
            problem = problem.replace(f"{name_or_path}: ", "", 1)
        raise ModelLoadError(f"{name_or_path}: cannot load a {name} ({type(error).__name__}: {problem})") from error


__all__ = ["ModelLoadError", "load_pretrained", "one_line"]
