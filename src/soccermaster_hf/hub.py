"""Complete Hugging Face Hub folders: what every model folder the package writes contains, and how it is published.

A SoccerMaster folder is a Hub repository that loads on a machine without ``soccermaster_hf``:

* ``config.json`` with an ``auto_map`` entry for ``AutoConfig`` and for every Auto model class that the saved weights
  serve (``AutoModel`` always; ``AutoModelForObjectDetection`` / ``AutoModelForKeypointDetection`` /
  ``AutoModelForVideoClassification`` / ``AutoModelForPreTraining`` when the folder holds their heads);
* the remote code: the flat ``modeling/*.py`` and ``processing/*.py`` files those classes import;
* ``preprocessor_config.json`` and ``video_preprocessor_config.json`` at the model's input size
  (``config.vision_config.image_size``) and clip length;
* a model card (``README.md``) built with :class:`huggingface_hub.ModelCard` from
  ``assets/model_card_template.md``.

:func:`save_hub_folder` writes such a folder and is what every writer calls (``soccermaster convert``,
``soccermaster train``, and, once :func:`soccermaster_hf.register_auto_classes` has run, ``save_pretrained`` and
``push_to_hub`` of every SoccerMaster model). :func:`complete_hub_folder` adds the non-weight files to an existing
folder (the shipped default checkpoint is regenerated that way); :func:`push_hub_folder` uploads a folder as one commit.
This module is library-only: it is never copied as remote code.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import CommitOperationAdd, EvalResult, HfApi, ModelCard, ModelCardData

PAPER_ID = "2512.11016"
AUTHORS_REPO = "xleprime/SoccerMaster"
LICENSE = "apache-2.0"
CARD_TEMPLATE = Path(__file__).parent / "assets" / "model_card_template.md"
REPO_PLACEHOLDER = "path/to/this/folder"
# the transformers Auto classes a SoccerMaster folder can serve, in the order the card lists them
MODEL_AUTO_CLASSES = ("AutoModel", "AutoModelForObjectDetection", "AutoModelForKeypointDetection",
                      "AutoModelForVideoClassification", "AutoModelForPreTraining", "AutoModelForImageTextToText")
PIPELINE_TAGS = {"AutoModelForObjectDetection": "object-detection",
                 "AutoModelForKeypointDetection": "keypoint-detection",
                 "AutoModelForVideoClassification": "video-classification",
                 "AutoModelForImageTextToText": "video-text-to-text",
                 "AutoModel": "image-feature-extraction"}
# the task a folder is published for when it serves several (a pre-training folder): the first that applies
PIPELINE_PRIORITY = ("AutoModelForImageTextToText", "AutoModelForObjectDetection", "AutoModelForKeypointDetection",
                     "AutoModelForVideoClassification", "AutoModel")
HUB_FILES = ("config.json", "preprocessor_config.json", "video_preprocessor_config.json", "README.md")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------------
# what a folder serves


def _vision_config(config):
    return getattr(config, "vision_config", None) or config


def _expected_keys(model_class, config) -> set[str] | None:
    """The state-dict keys of `model_class` built from `config`; `None` when the config cannot build it (e.g. the
    commentary model without a language model)."""
    try:
        with torch.device("meta"):
            model = model_class(config)
    except ValueError:
        return None
    return set(model.state_dict())


def auto_model_classes(model: torch.nn.Module) -> dict[str, type]:
    """``{auto class name: model class}`` for every Auto model class that the weights of `model` serve.

    Read from the in-process registration (:mod:`soccermaster_hf.auto`), so it follows whatever classes are registered.
    ``AutoModel`` (the base model) always applies; a task class applies when every weight it has is one of `model`'s
    (a pre-training folder serves every task, a detection folder detection only). `model`'s own class applies always.
    """
    import transformers

    from .auto import register_auto_classes

    register_auto_classes()
    config = model.config
    own = set(model.state_dict())
    classes: dict[str, type] = {}
    for name in MODEL_AUTO_CLASSES:
        try:
            candidate = getattr(transformers, name)._model_mapping[type(config)]
        except KeyError:
            continue
        expected = None if name == "AutoModel" or candidate is type(model) else _expected_keys(candidate, config)
        if name == "AutoModel" or candidate is type(model) or (expected is not None and expected <= own):
            classes[name] = candidate
    return classes


def _module_stem(cls: type) -> str:
    return cls.__module__.rsplit(".", 1)[-1]


def auto_map_for(model: torch.nn.Module) -> dict[str, str]:
    """The ``auto_map`` of `model`'s folder: ``AutoConfig`` plus :func:`auto_model_classes`, as ``module.Class``."""
    auto_map = {"AutoConfig": f"{_module_stem(type(model.config))}.{type(model.config).__name__}"}
    for name, cls in auto_model_classes(model).items():
        auto_map[name] = f"{_module_stem(cls)}.{cls.__name__}"
    return auto_map


def remote_code_files(classes: Iterable[type]) -> list[Path]:
    """The source files of `classes` and every sibling file they import (recursively), as transformers resolves them."""
    import sys

    from transformers.dynamic_module_utils import get_relative_import_files

    files: dict[str, Path] = {}
    for cls in classes:
        source = Path(sys.modules[cls.__module__].__file__)
        files[source.name] = source
        for needed in get_relative_import_files(str(source)):
            files[Path(needed).name] = Path(needed)
    return [files[name] for name in sorted(files)]


def default_processors(config) -> list:
    """The image and video processors of a model: its trained input size and clip length, the authors' normalisation."""
    from .processing import SoccerMasterImageProcessor, SoccerMasterVideoProcessor

    vision = _vision_config(config)
    size = {"height": int(vision.image_size), "width": int(vision.image_size)}
    return [SoccerMasterImageProcessor(size=size),
            SoccerMasterVideoProcessor(size=size, num_frames=int(vision.num_frames))]


# ---------------------------------------------------------------------------------------------------------------------
# the model card


def hub_id_or_none(name: str | os.PathLike | None) -> str | None:
    """`name` when it reads as a Hub repo id (``owner/name``) and is not a local path, else `None`."""
    if name is None:
        return None
    name = str(name)
    return name if _HUB_ID.match(name) and not Path(name).exists() else None


def _loading_code(auto_map: Mapping[str, str], repo_id: str) -> str:
    lines = []
    task_classes = [name for name in PIPELINE_PRIORITY if name in auto_map and name != "AutoModel"]
    model_class = task_classes[0] if task_classes else "AutoModel"
    imports = sorted({model_class, "AutoImageProcessor", "AutoVideoProcessor"})
    if "AutoModelForObjectDetection" in auto_map:
        imports.append("pipeline")
    lines.append(f"from transformers import {', '.join(imports)}")
    lines.append("")
    lines.append(f'model = {model_class}.from_pretrained("{repo_id}", trust_remote_code=True)')
    lines.append(f'image_processor = AutoImageProcessor.from_pretrained("{repo_id}", trust_remote_code=True)')
    lines.append(f'video_processor = AutoVideoProcessor.from_pretrained("{repo_id}", trust_remote_code=True)')
    if "AutoModelForObjectDetection" in auto_map:
        lines.append(f'detector = pipeline("object-detection", model="{repo_id}", trust_remote_code=True)')
        lines.append('detections = detector("frame.jpg", threshold=0.3)  # [{"score", "label", "box"}, ...]')
    return "\n".join(lines)


def metrics_table(eval_results: Iterable[EvalResult] | None, extra_rows: Mapping[str, Any] | None = None) -> str:
    """A markdown table of the measured metrics (and any extra `name: value` rows, e.g. the last training losses)."""
    rows = [(f"{r.metric_name or r.metric_type} ({r.dataset_name})", r.metric_value) for r in eval_results or ()]
    rows += list((extra_rows or {}).items())
    if not rows:
        return ""
    lines = ["| metric | value |", "| --- | --- |"]
    for name, value in rows:
        lines.append(f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |")
    return "\n".join(lines)


def build_model_card(
    model: torch.nn.Module,
    *,
    card_data: ModelCardData | None = None,
    title: str | None = None,
    summary: str | None = None,
    details: str | None = None,
    details_title: str = "How it was made",
    extra_metrics: Mapping[str, Any] | None = None,
    metrics_title: str = "Results",
    limitations: str | None = None,
    repo_id: str | None = None,
    auto_map: Mapping[str, str] | None = None,
) -> ModelCard:
    """The model card of `model`'s folder.

    `card_data` fields left unset are filled in: ``library_name`` (transformers), ``license`` (Apache-2.0, the
    authors' weights' licence), ``pipeline_tag`` (the main task the folder serves), ``tags`` (soccer, the paper's
    arXiv id), ``base_model`` (the Hub id the model was loaded from, when it was one). Measured metrics go in
    ``card_data.eval_results`` (they also fill the card's results table); `extra_metrics` adds rows that are not
    evaluations (e.g. the last training losses).
    """
    auto_map = dict(auto_map or auto_map_for(model))
    data = card_data if card_data is not None else ModelCardData()
    data.library_name = data.library_name or "transformers"
    data.license = data.license or LICENSE
    if data.pipeline_tag is None:
        data.pipeline_tag = next(PIPELINE_TAGS[name] for name in PIPELINE_PRIORITY if name in auto_map)
    tags = list(data.tags or [])
    for tag in ("soccer", "sports", "video", "soccermaster", f"arxiv:{PAPER_ID}"):
        if tag not in tags:
            tags.append(tag)
    data.tags = tags
    if data.base_model is None:
        data.base_model = hub_id_or_none(getattr(model.config, "_name_or_path", None))
    if data.eval_results and not data.model_name:
        data.model_name = title or type(model).__name__
    vision = _vision_config(model.config)
    return ModelCard.from_template(
        data,
        template_path=str(CARD_TEMPLATE),
        title=title or f"SoccerMaster: {type(model).__name__}",
        summary=summary or f"`{type(model).__name__}` ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M "
                           f"parameters, hidden size {vision.hidden_size}, {vision.num_hidden_layers} layers).",
        paper_id=PAPER_ID,
        authors_repo=AUTHORS_REPO,
        image_size=int(vision.image_size),
        num_frames=int(vision.num_frames),
        loading_code=_loading_code(auto_map, repo_id or REPO_PLACEHOLDER),
        repo_id=repo_id or REPO_PLACEHOLDER,
        auto_map=auto_map,
        details=details,
        details_title=details_title,
        metrics_table=metrics_table(data.eval_results, extra_metrics),
        metrics_title=metrics_title,
        limitations=limitations,
    )


def meta_model_from_folder(folder: str | os.PathLike) -> torch.nn.Module:
    """The model class of a saved folder (``architectures[0]``) built from its config on the meta device (no weights
    read): enough to build its card and ``auto_map``."""
    from transformers import AutoConfig

    from . import modeling

    config = AutoConfig.from_pretrained(folder)
    architecture = (getattr(config, "architectures", None) or [None])[0]
    model_class = getattr(modeling, architecture or "", None)
    if model_class is None:
        raise ValueError(f"{folder}: config.json names no SoccerMaster class (architectures: {architecture!r}).")
    with torch.device("meta"):
        return model_class(config)


# ---------------------------------------------------------------------------------------------------------------------
# writing folders


def _write_json(path: Path, data: Any) -> None:
    from .utils.io import atomic_write_json

    atomic_write_json(path, data)


def _place_code(source: Path, target: Path, link: bool) -> None:
    if target.is_symlink() or target.exists():
        if link and target.is_symlink() and target.resolve() == source.resolve():
            return
        target.unlink()
    if link:
        target.symlink_to(os.path.relpath(source, target.parent))
    else:
        shutil.copyfile(source, target)


def complete_hub_folder(
    folder: str | os.PathLike,
    model: torch.nn.Module,
    *,
    processors: Iterable | None = None,
    card: ModelCard | None = None,
    keep_existing_card: bool = False,
    link_code: bool = False,
    **card_kwargs: Any,
) -> Path:
    """Add to a folder holding `model`'s weights everything else a Hub repo needs (see the module docstring).

    Rewrites ``auto_map`` in ``config.json`` (other fields are left as they are), saves `processors` (default:
    :func:`default_processors`), places the remote-code files of every class in the ``auto_map``s (copies; relative
    symbolic links to the package's files with `link_code`, as the shipped default checkpoint does so that its code is
    never stale) and writes the model card (`card`, or :func:`build_model_card` with `card_kwargs`; with
    `keep_existing_card` an existing ``README.md`` is kept). The weights are not touched.
    """
    from .utils.io import atomic_write_text

    folder = Path(folder)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    auto_map = auto_map_for(model)
    config["auto_map"] = auto_map
    _write_json(config_path, config)
    processors = default_processors(model.config) if processors is None else list(processors)
    for linked in [p for p in folder.glob("*.py") if p.is_symlink()]:
        linked.unlink()  # transformers' own copy (below) would write through a link
    for processor in processors:
        processor.save_pretrained(folder)  # writes its config with its auto_map
    # the model's own class too: a class no Auto mapping has (e.g. SoccerMasterForMultiObjectTracking) still loads as
    # remote code with `transformers.dynamic_module_utils.get_class_from_dynamic_module("<file>.<Class>", folder)`
    classes = [type(model.config), type(model), *auto_model_classes(model).values(), *(type(p) for p in processors)]
    for source in remote_code_files(classes):
        _place_code(source, folder / source.name, link_code)
    if not (keep_existing_card and (folder / "README.md").is_file()):
        card = card or build_model_card(model, auto_map=auto_map, **card_kwargs)
        atomic_write_text(folder / "README.md", str(card))
    return folder


def save_hub_folder(
    model: torch.nn.Module,
    folder: str | os.PathLike,
    *,
    processors: Iterable | None = None,
    card: ModelCard | None = None,
    keep_existing_card: bool = False,
    save_kwargs: Mapping[str, Any] | None = None,
    **card_kwargs: Any,
) -> Path:
    """``save_pretrained`` + :func:`complete_hub_folder`: a folder that loads from the Hub with remote code.

    `card_kwargs` go to :func:`build_model_card` (``card_data``, ``title``, ``details``, ``extra_metrics``, ...).
    Writes into `folder` directly; for an atomic, guarded write use it on a :func:`soccermaster_hf.utils.io.staged_folder`.
    """
    from .auto import transformers_save_pretrained

    folder = Path(folder)
    transformers_save_pretrained(model, folder, **dict(save_kwargs or {}))
    return complete_hub_folder(folder, model, processors=processors, card=card,
                               keep_existing_card=keep_existing_card, **card_kwargs)


def write_hub_folder(model: torch.nn.Module, output_dir: str | os.PathLike, command: str, *,
                     overwrite: bool = False, sources: Iterable[str | os.PathLike | None] = (),
                     extra_json: Mapping[str, Any] | None = None, **hub_kwargs: Any) -> Path:
    """:func:`save_hub_folder` into a staging folder, committed into `output_dir` file by file (the guarded, atomic
    write of :mod:`soccermaster_hf.utils.io`: a foreign non-empty folder or a source is refused unless `overwrite`).

    `extra_json` (``{file name: data}``) adds JSON files to the same commit (e.g. ``conversion.json``).
    """
    from .utils.io import prepare_output_dir, staged_folder

    target = Path(output_dir)
    prepare_output_dir(target, command, overwrite=overwrite, sources=sources, create=False)
    with staged_folder(target, command) as staging:
        save_hub_folder(model, staging, **hub_kwargs)
        for name, data in (extra_json or {}).items():
            (staging / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return target


DEFAULT_CHECKPOINT = Path(__file__).parent / "assets" / "default_checkpoint"
DEFAULT_CHECKPOINT_CARD = Path(__file__).parent / "assets" / "default_checkpoint_card.json"


def default_checkpoint_card_kwargs() -> dict[str, Any]:
    """:func:`build_model_card` arguments of the shipped default checkpoint (from ``assets/default_checkpoint_card.json``:
    its training run and its measured held-out metrics)."""
    inputs = json.loads(DEFAULT_CHECKPOINT_CARD.read_text())
    evaluation = inputs["evaluation"]
    results = [EvalResult(task_type=m["task_type"], dataset_type=evaluation["dataset_type"],
                          dataset_name=evaluation["dataset_name"], metric_type=m["metric_type"],
                          metric_value=m["metric_value"]) for m in evaluation["metrics"]]
    details = (f"{inputs['details']}\n\nTraining arguments: `{json.dumps(inputs['training_arguments'])}`\n\n"
               f"Last logged training losses:\n\n{metrics_table(None, inputs['last_training_losses'])}")
    return {"card_data": ModelCardData(eval_results=results, model_name=inputs["title"]), "title": inputs["title"],
            "summary": inputs["summary"], "details": details, "details_title": "Training",
            "limitations": inputs["limitations"]}


def refresh_default_checkpoint(folder: str | os.PathLike = DEFAULT_CHECKPOINT) -> Path:
    """Make the shipped default checkpoint a complete Hub folder again, in place, without touching its weights.

    Run after editing the modeling or processing code, the config classes or the card inputs:
    ``python -c "from soccermaster_hf.hub import refresh_default_checkpoint; refresh_default_checkpoint()"``.
    The remote code is linked (relative symbolic links to the package's files), so it is never stale; a wheel and an
    upload (:func:`push_hub_folder`) carry the files themselves.
    """
    folder = Path(folder)
    complete_hub_folder(folder, meta_model_from_folder(folder), link_code=True, **default_checkpoint_card_kwargs())
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink():
            path.chmod(0o644)
    return folder


# ---------------------------------------------------------------------------------------------------------------------
# publishing


def hub_folder_files(folder: str | os.PathLike, repo_id: str) -> list[tuple[str, bytes | Path]]:
    """``(path in the repo, content)`` of every file of `folder` as it is published to `repo_id`: the card's loading
    snippet names the repo (the local-folder placeholder is replaced); the package's bookkeeping (``.soccermaster*``)
    and hidden files stay local."""
    folder = Path(folder)
    files: list[tuple[str, bytes | Path]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        if relative == "README.md":
            files.append((relative, path.read_text(encoding="utf-8").replace(REPO_PLACEHOLDER, repo_id).encode()))
        else:
            files.append((relative, path.resolve()))
    return files


def push_hub_folder(
    folder: str | os.PathLike,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload SoccerMaster model (soccermaster_hf)",
    create_pr: bool = False,
    api: HfApi | None = None,
) -> str:
    """Upload the files of `folder` (:func:`hub_folder_files`) to the Hub model repo `repo_id` (created if needed) in
    one commit; returns the commit URL."""
    api = api or HfApi(token=token)
    repo_id = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model").repo_id
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=content if isinstance(content, bytes)
                                     else str(content)) for name, content in hub_folder_files(folder, repo_id)]
    info = api.create_commit(repo_id=repo_id, operations=operations, commit_message=commit_message,
                             revision=revision, create_pr=create_pr, repo_type="model")
    return str(getattr(info, "commit_url", None) or getattr(info, "pr_url", None) or f"https://huggingface.co/{repo_id}")


def mirror_hub_folder(folder: str | os.PathLike, target: str | os.PathLike, repo_id: str,
                      command: str = "push-to-hub") -> Path:
    """Write what :func:`push_hub_folder` would upload into the local folder `target` (a mirror, offline runs):
    guarded and atomic like every output folder (:func:`soccermaster_hf.utils.io.staged_folder`)."""
    from .utils.io import prepare_output_dir, staged_folder

    target = Path(target)
    prepare_output_dir(target, command, create=False)
    with staged_folder(target, command) as staging:
        for name, content in hub_folder_files(folder, repo_id):
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            else:
                shutil.copyfile(content, staging / name)
    return target


def push_model_to_hub(model: torch.nn.Module, repo_id: str, *, max_shard_size: str | int = "50GB",
                      tags: Iterable[str] | None = None, **push_kwargs: Any) -> str:
    """What ``push_to_hub`` of a SoccerMaster model does with the package installed: a complete Hub folder (with this
    module's model card, not transformers' blank template) saved to a temporary folder and pushed as one commit."""
    with tempfile.TemporaryDirectory() as tmp:
        save_hub_folder(model, tmp, repo_id=repo_id, card_data=ModelCardData(tags=list(tags or [])),
                        save_kwargs={"max_shard_size": max_shard_size})
        return push_hub_folder(tmp, repo_id, **push_kwargs)


__all__ = [
    "AUTHORS_REPO",
    "PAPER_ID",
    "auto_map_for",
    "auto_model_classes",
    "build_model_card",
    "complete_hub_folder",
    "default_checkpoint_card_kwargs",
    "default_processors",
    "hub_id_or_none",
    "hub_folder_files",
    "meta_model_from_folder",
    "metrics_table",
    "mirror_hub_folder",
    "push_hub_folder",
    "push_model_to_hub",
    "refresh_default_checkpoint",
    "remote_code_files",
    "save_hub_folder",
    "write_hub_folder",
]
