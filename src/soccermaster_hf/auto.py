"""Register the SoccerMaster classes with transformers' Auto classes.

What :func:`register_auto_classes` (called once by ``import soccermaster_hf``) sets up:

* in-process registration (``AutoConfig.register`` ...), so ``AutoModel.from_pretrained(folder)`` works whenever the
  package is installed;
* ``register_for_auto_class``, so transformers knows which files are remote code;
* ``save_pretrained`` and ``push_to_hub`` of every SoccerMaster model write a *complete* Hub folder
  (:func:`soccermaster_hf.hub.save_hub_folder`: ``auto_map`` for every Auto class the weights serve, all remote-code
  files, the image and video processor configs, a model card). Such a folder, or a Hub repo made from it, loads with
  ``trust_remote_code=True`` on a machine where ``soccermaster_hf`` is not installed. The modeling files ship as remote
  code and cannot import the processors or the card builder, so this library-only layer adds them;
  :func:`transformers_save_pretrained` is the plain transformers save;
* a filter on transformers' pipeline logger that drops its "The model 'SoccerMaster...' is not supported for
  object-detection. Supported models are [...]" error: ``Pipeline.check_model_type`` compares the class name with the
  built-in ``*_MAPPING_NAMES`` dicts only, so no registration can satisfy it.
"""

from __future__ import annotations

import inspect
import os

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForImageTextToText,
    AutoModelForKeypointDetection,
    AutoModelForObjectDetection,
    AutoModelForPreTraining,
    AutoModelForVideoClassification,
)

_REGISTERED = False


def transformers_save_pretrained(model, save_directory, **kwargs) -> None:
    """transformers' own ``save_pretrained`` (weights, config, the model's files), without the Hub-folder additions."""
    from transformers import PreTrainedModel

    PreTrainedModel.save_pretrained(model, save_directory, **kwargs)


def _save_pretrained(self, save_directory, *args, **kwargs):
    """``PreTrainedModel.save_pretrained``, then the rest of a Hub folder (:func:`soccermaster_hf.hub.save_hub_folder`;
    an existing model card is kept). With ``push_to_hub=True`` the folder is uploaded as it is, card included."""
    from transformers import PreTrainedModel

    from .hub import complete_hub_folder, push_hub_folder

    bound = inspect.signature(PreTrainedModel.save_pretrained).bind(self, save_directory, *args, **kwargs)
    arguments = dict(bound.arguments)
    arguments.pop("self")
    extra = arguments.pop("kwargs", {})
    push = arguments.pop("push_to_hub", False)
    push_kwargs = {key: extra.pop(key) for key in ("repo_id", "commit_message", "private", "create_pr")
                   if key in extra}
    transformers_save_pretrained(self, **arguments, **extra)
    if not arguments.get("is_main_process", True):
        return
    complete_hub_folder(save_directory, self, keep_existing_card=True)
    if push:
        repo_id = push_kwargs.pop("repo_id", str(save_directory).rstrip(os.path.sep).split(os.path.sep)[-1])
        push_hub_folder(save_directory, repo_id, token=arguments.get("token") or None, **push_kwargs)


def _push_to_hub(self, repo_id: str, *, commit_message: str | None = None, private: bool | None = None,
                 token: str | bool | None = None, revision: str | None = None, create_pr: bool = False,
                 max_shard_size: int | str | None = "50GB", tags: list[str] | None = None, **_ignored) -> str:
    """Push a complete Hub folder with the package's model card (not transformers' blank template) in one commit."""
    from .hub import push_model_to_hub

    push_kwargs = {"token": token if isinstance(token, str) else None, "private": private, "revision": revision,
                   "create_pr": create_pr}
    if commit_message:
        push_kwargs["commit_message"] = commit_message
    return push_model_to_hub(self, repo_id, max_shard_size=max_shard_size or "50GB", tags=tags, **push_kwargs)


def register_auto_classes() -> None:
    """Idempotently register configs, models and processors (see module docstring)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from .modeling import (
        SoccerMasterConfig,
        SoccerMasterDetectionConfig,
        SoccerMasterEventConfig,
        SoccerMasterForConditionalGeneration,
        SoccerMasterForObjectDetection,
        SoccerMasterForPitchRegistration,
        SoccerMasterForPreTraining,
        SoccerMasterForReIdentification,
        SoccerMasterForVideoClassification,
        SoccerMasterModel,
        SoccerMasterPitchConfig,
        SoccerMasterReIdConfig,
        SoccerMasterTrackingConfig,
        SoccerMasterVisionConfig,
        SoccerMasterVisionModel,
    )

    for config_class in (SoccerMasterVisionConfig, SoccerMasterConfig, SoccerMasterDetectionConfig,
                         SoccerMasterPitchConfig, SoccerMasterEventConfig, SoccerMasterTrackingConfig,
                         SoccerMasterReIdConfig):
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        config_class.register_for_auto_class()
    AutoModel.register(SoccerMasterVisionConfig, SoccerMasterVisionModel, exist_ok=True)
    AutoModel.register(SoccerMasterConfig, SoccerMasterModel, exist_ok=True)
    AutoModel.register(SoccerMasterReIdConfig, SoccerMasterForReIdentification, exist_ok=True)
    AutoModelForObjectDetection.register(SoccerMasterConfig, SoccerMasterForObjectDetection, exist_ok=True)
    AutoModelForVideoClassification.register(SoccerMasterConfig, SoccerMasterForVideoClassification, exist_ok=True)
    AutoModelForPreTraining.register(SoccerMasterConfig, SoccerMasterForPreTraining, exist_ok=True)
    AutoModelForKeypointDetection.register(SoccerMasterConfig, SoccerMasterForPitchRegistration, exist_ok=True)
    AutoModelForImageTextToText.register(SoccerMasterConfig, SoccerMasterForConditionalGeneration, exist_ok=True)
    SoccerMasterVisionModel.register_for_auto_class("AutoModel")
    SoccerMasterModel.register_for_auto_class("AutoModel")
    SoccerMasterForReIdentification.register_for_auto_class("AutoModel")
    SoccerMasterForObjectDetection.register_for_auto_class("AutoModelForObjectDetection")
    SoccerMasterForVideoClassification.register_for_auto_class("AutoModelForVideoClassification")
    SoccerMasterForPreTraining.register_for_auto_class("AutoModelForPreTraining")
    SoccerMasterForPitchRegistration.register_for_auto_class("AutoModelForKeypointDetection")
    SoccerMasterForConditionalGeneration.register_for_auto_class("AutoModelForImageTextToText")
    from .modeling import SoccerMasterPreTrainedModel

    SoccerMasterPreTrainedModel.save_pretrained = _save_pretrained
    SoccerMasterPreTrainedModel.push_to_hub = _push_to_hub

    try:
        from .processing import register_processors
    except ImportError:  # pragma: no cover - processing is part of the package; keep model loading usable regardless
        return
    register_processors()
    from transformers import AutoProcessor

    from .processing.processing_soccermaster_commentary import SoccerMasterCommentaryProcessor

    AutoProcessor.register("SoccerMasterCommentaryProcessor", SoccerMasterCommentaryProcessor, exist_ok=True)
    SoccerMasterCommentaryProcessor.register_for_auto_class("AutoProcessor")
    _REGISTERED = True
