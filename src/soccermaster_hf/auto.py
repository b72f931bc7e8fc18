"""Register the SoccerMaster classes with transformers' Auto classes.

Two mechanisms, both applied by :func:`register_auto_classes` (called once by ``import soccermaster_hf``):

* in-process registration (``AutoConfig.register`` ...), so ``AutoModel.from_pretrained(folder)`` works whenever the
  package is installed;
* ``register_for_auto_class``, so ``save_pretrained`` writes ``auto_map`` and copies the (flat, self-contained) model
  and processor files next to the weights: such a folder, or a Hub repo made from it, then loads with
  ``trust_remote_code=True`` on a machine where ``soccermaster_hf`` is not installed.
"""

from __future__ import annotations

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForKeypointDetection,
    AutoModelForObjectDetection,
    AutoModelForPreTraining,
    AutoModelForVideoClassification,
)

_REGISTERED = False


def register_auto_classes() -> None:
    """Idempotently register configs, models and processors (see module docstring)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from .modeling import (
        SoccerMasterConfig,
        SoccerMasterDetectionConfig,
        SoccerMasterEventConfig,
        SoccerMasterForObjectDetection,
        SoccerMasterForPitchRegistration,
        SoccerMasterForPreTraining,
        SoccerMasterForVideoClassification,
        SoccerMasterModel,
        SoccerMasterPitchConfig,
        SoccerMasterVisionConfig,
        SoccerMasterVisionModel,
    )

    for config_class in (SoccerMasterVisionConfig, SoccerMasterConfig, SoccerMasterDetectionConfig,
                         SoccerMasterPitchConfig, SoccerMasterEventConfig):
        AutoConfig.register(config_class.model_type, config_class, exist_ok=True)
        config_class.register_for_auto_class()
    AutoModel.register(SoccerMasterVisionConfig, SoccerMasterVisionModel, exist_ok=True)
    AutoModel.register(SoccerMasterConfig, SoccerMasterModel, exist_ok=True)
    AutoModelForObjectDetection.register(SoccerMasterConfig, SoccerMasterForObjectDetection, exist_ok=True)
    AutoModelForVideoClassification.register(SoccerMasterConfig, SoccerMasterForVideoClassification, exist_ok=True)
    AutoModelForPreTraining.register(SoccerMasterConfig, SoccerMasterForPreTraining, exist_ok=True)
    AutoModelForKeypointDetection.register(SoccerMasterConfig, SoccerMasterForPitchRegistration, exist_ok=True)
    SoccerMasterVisionModel.register_for_auto_class("AutoModel")
    SoccerMasterModel.register_for_auto_class("AutoModel")
    SoccerMasterForObjectDetection.register_for_auto_class("AutoModelForObjectDetection")
    SoccerMasterForVideoClassification.register_for_auto_class("AutoModelForVideoClassification")
    SoccerMasterForPreTraining.register_for_auto_class("AutoModelForPreTraining")
    SoccerMasterForPitchRegistration.register_for_auto_class("AutoModelForKeypointDetection")

    try:
        from .processing import register_processors
    except ImportError:  # pragma: no cover - processing is part of the package; keep model loading usable regardless
        return
    register_processors()
    _REGISTERED = True
