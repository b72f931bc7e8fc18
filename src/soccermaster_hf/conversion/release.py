"""The authors' release by Hub id: download the checkpoint files with ``huggingface_hub``, convert, write Hub folders.

``convert_from_hub("xleprime/SoccerMaster", "out")`` downloads only the files the converter reads (``backbone.pt`` and
the head files of the tasks asked for, in any of the supported formats) with :func:`huggingface_hub.snapshot_download`
— so the Hub cache, ``HF_HUB_OFFLINE``, ``HF_TOKEN`` and ``revision`` work as everywhere in the Hugging Face stack —
and converts them with :func:`~soccermaster_hf.conversion.official.convert_official_release`. The cards of the written
folders name the repo and the exact revision as their ``base_model``. :func:`resolve_release_source` lets the CLI
accept a local folder or file, or a Hub id, as the same argument.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..hub import AUTHORS_REPO, hub_id_or_none
from .official import (
    BACKBONE_FILE_STEM,
    RELEASE_FILES,
    SUPPORTED_SUFFIXES,
    TASK_FOLDERS,
    CheckpointConversionError,
    convert_official_release,
)


def release_file_patterns(tasks: Iterable[str] | None = None) -> list[str]:
    """The file names (``allow_patterns``) the converter reads for `tasks` (default: every task folder)."""
    selected = list(tasks) if tasks else list(TASK_FOLDERS)
    unknown = [task for task in selected if task not in TASK_FOLDERS]
    if unknown:
        raise CheckpointConversionError(f"unknown task(s) {unknown}; choose from {sorted(TASK_FOLDERS)}.")
    roles = {role for task in selected for role in TASK_FOLDERS[task][1]}
    stems = [stem for role, stem in RELEASE_FILES.items() if role in roles]
    return [f"{stem}{suffix}" for stem in stems for suffix in SUPPORTED_SUFFIXES]


def download_release(repo_id: str = AUTHORS_REPO, *, tasks: Iterable[str] | None = None, revision: str | None = None,
                     cache_dir: str | os.PathLike | None = None, token: str | bool | None = None,
                     local_files_only: bool = False) -> tuple[Path, str | None]:
    """Download (or find in the Hub cache) the release files of `tasks`; returns ``(snapshot folder, commit sha)``."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        folder = Path(snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, token=token,
                                        allow_patterns=release_file_patterns(tasks),
                                        local_files_only=local_files_only))
    except (RepositoryNotFoundError, LocalEntryNotFoundError, HfHubHTTPError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointConversionError(f"{repo_id}: cannot download the release ({first_line}).") from error
    if not any((folder / f"{BACKBONE_FILE_STEM}{suffix}").is_file() for suffix in SUPPORTED_SUFFIXES):
        raise CheckpointConversionError(
            f"{repo_id}{f'@{revision}' if revision else ''}: no {BACKBONE_FILE_STEM}{{{','.join(SUPPORTED_SUFFIXES)}}} "
            "in this repo; is it the authors' SoccerMaster release?")
    sha = folder.name if folder.parent.name == "snapshots" else revision
    return folder, sha


def convert_from_hub(repo_id: str = AUTHORS_REPO, output_dir: str | os.PathLike = "soccermaster-converted", *,
                     revision: str | None = None, tasks: list[str] | None = None,
                     cache_dir: str | os.PathLike | None = None, token: str | bool | None = None,
                     local_files_only: bool = False, **convert_kwargs: Any) -> dict[str, Path]:
    """Download the authors' release `repo_id` (at `revision`) and convert it to one Hub folder per task.

    `convert_kwargs` go to :func:`~soccermaster_hf.conversion.official.convert_official_release` (``dtype``,
    ``num_attention_heads``, ``text_encoder``, ``overwrite``, ...). Returns ``{task: folder}``.
    """
    snapshot, sha = download_release(repo_id, tasks=tasks, revision=revision, cache_dir=cache_dir, token=token,
                                     local_files_only=local_files_only)
    return convert_official_release(snapshot, output_dir, tasks=tasks, base_model=repo_id, revision=sha,
                                    **convert_kwargs)


def resolve_release_source(source: str) -> tuple[str, str]:
    """``("local", path)`` for an existing file or folder, ``("hub", repo_id)`` for a Hub id; else an error."""
    if Path(source).exists():
        return "local", source
    repo_id = hub_id_or_none(source)
    if repo_id is None:
        raise CheckpointConversionError(f"{source}: no such file or folder, and not a Hub repo id (owner/name).")
    return "hub", repo_id


__all__ = ["convert_from_hub", "download_release", "release_file_patterns", "resolve_release_source"]
