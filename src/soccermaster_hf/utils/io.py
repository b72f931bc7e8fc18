"""Safe writes: atomic files, staged folders, and the output-folder guard (no project imports).

Three rules hold for every file and folder the package writes:

* **Atomic per file.** A file is written to a temporary sibling (``.<name>.partial-XXXX.tmp``), flushed, ``fsync``-ed
  and ``os.replace``-d into place: a kill leaves either the old or the new file, never half of one.
* **Never delete what the package did not write.** Every folder the package writes holds a small marker,
  ``.soccermaster.json`` (the command, the package version and the files it wrote). Saving into an existing folder
  replaces the files of the new save one by one and removes only files that the previous save of the same folder
  listed in its marker; everything else in the folder is kept.
* **Refuse surprising outputs.** :func:`prepare_output_dir` refuses a non-empty folder that is not a previous output of
  the same command (unless ``overwrite=True``, the CLIs' ``--overwrite``, which still keeps foreign files) and an output
  that is, contains or lies inside one of the command's sources. Staging folders and temporary files left by a killed
  run (``.<name>.staging-XXXX``, ``.<name>.partial-XXXX.tmp``) are removed on the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MARKER = ".soccermaster.json"
STAGING_MARKER = ".soccermaster-staging"
STAGING_INFIX = ".staging-"
PARTIAL_INFIX = ".partial-"


class OutputFolderError(ValueError):
    """An output folder the package refuses to write into (the message names the folder and what to do)."""


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("soccermaster_hf")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installation
        return "unknown"


# ------------------------------------------------------------------------------------------------------------------
# atomic files


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_name(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}{PARTIAL_INFIX}", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())  # the permissions of a plain open(), not mkstemp's private 0600
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to `path` (same suffix, so writers that infer the format from it work); when the
    block ends without error the file is fsync-ed and moved onto `path` atomically, else it is removed.

    ``durable=False`` skips the fsyncs (still atomic: a reader sees the old file or the new one, never a part), for
    many small files that a resumed job rewrites anyway, e.g. the per-frame cameras of an uncommitted segment."""
    path = Path(path)
    if path.is_dir():  # else the move fails naming the temporary file, not the path the user gave
        raise IsADirectoryError(f"{path}: is a folder; expected a file path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_name(path)
    try:
        yield tmp
        if durable:
            _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _fsync_dir(path.parent)
    _record_in_marker(path)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None, durable: bool = True) -> Iterator[Any]:
    """``open(path, mode)`` that writes a temporary sibling and moves it into place when the block succeeds."""
    if "b" in mode:
        encoding = None
    with atomic_path(path, durable) as tmp, open(tmp, mode, encoding=encoding, newline=newline) as handle:
        yield handle
        handle.flush()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_file(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8", durable: bool = True) -> Path:
    with atomic_file(path, "w", encoding=encoding, durable=durable) as handle:
        handle.write(text)
    return Path(path)


def atomic_write_json(path: str | os.PathLike, data: Any, indent: int | None = 2, durable: bool = True) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=indent) + "\n", durable=durable)


# ------------------------------------------------------------------------------------------------------------------
# markers


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of a folder the package wrote, or `None` (no marker, or one that is not ours)."""
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("command"), str):
        return None
    files = data.get("files")
    data["files"] = [f for f in files if isinstance(f, str)] if isinstance(files, list) else []
    return data


def _marker_data(command: str, files: Iterable[str]) -> dict:
    return {"command": command, "package": "soccermaster_hf", "version": package_version(),
            "files": sorted(set(files) - {MARKER, STAGING_MARKER})}


def write_marker(folder: str | os.PathLike, command: str, files: Iterable[str] = ()) -> None:
    """Write (or update) the marker of `folder`; the files of a previous marker of the same command are kept."""
    folder = Path(folder)
    previous = read_marker(folder)
    known = set(previous["files"]) if previous else set()
    data = _marker_data(command, known | set(files))
    if previous is not None and {k: previous.get(k) for k in data} == data:
        return
    tmp = _temporary_name(folder / MARKER)
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MARKER)


def _record_in_marker(path: Path) -> None:
    """Add `path` to the marker of its folder when that folder is one the package writes."""
    marker = read_marker(path.parent)
    if marker is not None and path.name not in marker["files"] and path.name != MARKER:
        write_marker(path.parent, marker["command"], [path.name])


def is_package_output(folder: str | os.PathLike, command: str | None = None) -> bool:
    marker = read_marker(folder)
    return marker is not None and (command is None or marker["command"] == command)


# ------------------------------------------------------------------------------------------------------------------
# staging folders


def _is_staging(entry: Path) -> bool:
    return entry.name.startswith(".") and STAGING_INFIX in entry.name and entry.is_dir()


def _is_partial(entry: Path) -> bool:
    return entry.name.startswith(".") and PARTIAL_INFIX in entry.name and ".tmp" in entry.name and entry.is_file()


def clean_stale_staging(parent: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Remove the staging folders (of `name`, or of any target when `None`) and temporary files a killed run left in
    `parent`. Only folders that carry the staging marker (or are empty) and files that follow the temporary-name
    pattern are removed; returns what was removed."""
    parent = Path(parent)
    if not parent.is_dir():
        return []
    removed = []
    prefix = f".{name}{STAGING_INFIX}" if name is not None else None
    for entry in parent.iterdir():
        if _is_staging(entry) and (prefix is None or entry.name.startswith(prefix)):
            if (entry / STAGING_MARKER).is_file():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            elif not any(entry.iterdir()):
                entry.rmdir()
                removed.append(entry)
        elif name is None and _is_partial(entry):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed


def make_staging_dir(target: str | os.PathLike) -> Path:
    """A fresh staging folder next to `target` (``.<name>.staging-XXXX``), marked as the package's."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}{STAGING_INFIX}", dir=target.parent))
    staging.chmod(0o777 & ~_umask())  # a plain mkdir's permissions, not mkdtemp's private 0700
    (staging / STAGING_MARKER).write_text("staging folder of soccermaster_hf; removed on the next run\n")
    return staging


def _staged_files(staging: Path) -> list[str]:
    return sorted(str(p.relative_to(staging)) for p in staging.rglob("*")
                  if p.is_file() and p.name not in (STAGING_MARKER, MARKER))


def commit_staging(staging: str | os.PathLike, target: str | os.PathLike, command: str) -> Path:
    """Move the files of `staging` into `target` and mark it as written by `command`.

    A new `target` is one atomic rename of the whole folder. An existing `target` gets each file replaced atomically;
    files that its previous marker listed and the new save does not write are removed; nothing else is touched.
    """
    staging, target = Path(staging), Path(target)
    files = _staged_files(staging)
    for name in files:
        _fsync_file(staging / name)
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{target}: exists and is not a folder.")
    if not target.exists():
        (staging / MARKER).write_text(json.dumps(_marker_data(command, files), indent=2) + "\n", encoding="utf-8")
        os.replace(staging, target)
        with contextlib.suppress(OSError):
            (target / STAGING_MARKER).unlink()
        _fsync_dir(target.parent)
        return target
    previous = read_marker(target)
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target / name)
    if previous is not None:
        for name in set(previous["files"]) - set(files):
            stale = target / name
            if stale.is_file() and not stale.is_symlink():
                stale.unlink()
    tmp = _temporary_name(target / MARKER)
    tmp.write_text(json.dumps(_marker_data(command, files), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target / MARKER)
    shutil.rmtree(staging, ignore_errors=True)
    _fsync_dir(target)
    return target


@contextlib.contextmanager
def staged_folder(target: str | os.PathLike, command: str) -> Iterator[Path]:
    """Yield a staging folder for `target`; on success its files are committed (:func:`commit_staging`), on error
    the staging folder is removed and `target` is left as it was."""
    target = Path(target)
    clean_stale_staging(target.parent, target.name)
    staging = make_staging_dir(target)
    try:
        yield staging
        commit_staging(staging, target, command)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_output(folder: str | os.PathLike) -> bool:
    """Remove a folder the package wrote: only the files its marker lists (and the marker); the folder itself goes
    when nothing else is left in it. Returns whether the folder is gone. A folder without a marker is left alone."""
    folder = Path(folder)
    marker = read_marker(folder)
    if marker is None:
        return False
    for name in marker["files"]:
        path = folder / name
        if path.is_file() and not path.is_symlink() and folder.resolve() in path.resolve().parents:
            path.unlink()
    (folder / MARKER).unlink(missing_ok=True)
    (folder / STAGING_MARKER).unlink(missing_ok=True)
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            sub.rmdir()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


# ------------------------------------------------------------------------------------------------------------------
# the output-folder guard


def _overlaps(output: Path, source: Path) -> bool:
    return output == source or source in output.parents or output in source.parents


def check_sources(output_dir: str | os.PathLike, sources: Iterable[str | os.PathLike | None] = ()) -> None:
    """Refuse an output folder that is, contains or lies inside one of the (existing, local) `sources`."""
    output = Path(output_dir).resolve()
    for source in sources:
        if source is None or not Path(source).exists():
            continue  # Hub ids and missing paths cannot collide with a local folder
        resolved = Path(source).resolve()
        if _overlaps(output, resolved):
            relation = "is" if output == resolved else ("lies inside" if resolved in output.parents else "contains")
            raise OutputFolderError(
                f"{output_dir}: the output folder {relation} the source {source}; choose an output folder outside "
                f"the source (the source is never written to).")


def prepare_output_dir(output_dir: str | os.PathLike, command: str | None, *, overwrite: bool = False,
                       sources: Iterable[str | os.PathLike | None] = (), create: bool = True) -> Path:
    """Check and create the output folder of `command`; returns it.

    Refused (:class:`OutputFolderError`): a path that exists and is not a folder; an output that is, contains or lies
    inside a source; a non-empty folder that is not a previous output of the same command (`command=None`: of any
    command of the package), unless `overwrite` (files the command does not write are kept even then). Staging folders
    and temporary files a killed run left behind are removed first. With `create`, the folder is made (if needed) and
    gets the package's marker (`command=None` keeps the command of an existing marker, else "save_pretrained").
    """
    folder = Path(output_dir)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder}: exists and is not a folder; choose a folder for the output.")
    check_sources(folder, sources)
    clean_stale_staging(folder.parent, folder.name)
    if folder.is_dir():
        clean_stale_staging(folder)
        marker = read_marker(folder)
        entries = sorted(e.name for e in folder.iterdir() if e.name not in (MARKER, STAGING_MARKER))
        if entries and not overwrite and (marker is None or command not in (None, marker["command"])):
            origin = (f"was written by `soccermaster {marker['command']}`" if marker is not None
                      else f"is not an output of `soccermaster {command}`" if command is not None
                      else "is not a folder soccermaster_hf wrote")
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise OutputFolderError(
                f"{folder}: the folder is not empty ({len(entries)} {'entry' if len(entries) == 1 else 'entries'}: {shown}) and {origin}; choose a new or "
                f"empty folder, or pass --overwrite to write into it (files the command does not write are kept).")
    if create:
        folder.mkdir(parents=True, exist_ok=True)
        write_marker(folder, _folder_command(folder, command))
    return folder


def _folder_command(folder: Path, command: str | None) -> str:
    if command is not None:
        return command
    marker = read_marker(folder)
    return marker["command"] if marker is not None else "save_pretrained"


def save_pretrained_atomic(model: Any, output_dir: str | os.PathLike, *, command: str | None = None,
                           overwrite: bool = False, sources: Iterable[str | os.PathLike | None] = (),
                           extra: Iterable[Any] = (), **save_kwargs: Any) -> Path:
    """``model.save_pretrained`` into a staging folder, then each file moved into `output_dir` atomically. `extra`:
    more objects saved into the same folder in the same step (e.g. the tokenizer of the model's text tower).

    `output_dir` is checked with :func:`prepare_output_dir` first (so a non-empty folder that the package did not write,
    or with `command`, that this command did not write, is refused unless `overwrite`), and files that a previous save listed but this one does not write (e.g. old shards) are removed;
    nothing else in the folder is ever deleted. Also works for processors (anything with ``save_pretrained``).
    """
    target = Path(output_dir)
    prepare_output_dir(target, command, overwrite=overwrite, sources=sources, create=False)
    with staged_folder(target, _folder_command(target, command)) as staging:
        model.save_pretrained(staging, **save_kwargs)
        for item in extra:
            item.save_pretrained(staging)
    return target


__all__ = [
    "MARKER",
    "OutputFolderError",
    "atomic_file",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_sources",
    "clean_stale_staging",
    "commit_staging",
    "is_package_output",
    "make_staging_dir",
    "package_version",
    "prepare_output_dir",
    "read_marker",
    "remove_output",
    "save_pretrained_atomic",
    "staged_folder",
    "write_marker",
]
