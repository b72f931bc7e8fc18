"""Register the SoccerMaster classes with transformers' Auto classes.

Two mechanisms, both applied by :func:`register_auto_classes` (called once by ``import soccermaster_hf``):

* in-process registration (``AutoConfig.register`` ...), so ``AutoModel.from_pretrained(folder)`` works whenever the
  package is installed;
* ``register_for_auto_class``, so ``save_pretrained`` writes ``auto_map`` and copies the (flat, self-contained) model
  and processor files next to the weights: such a folder, or a Hub repo made from it, then loads with
  ``trust_remote_code=True`` on a machine where ``soccermaster_hf`` is not installed.
"""

from __future__ import annotations

from transformers import AutoConfig, AutoModel

_REGISTERED = False


def register_auto_classes() -> None:
    """Idempotently register configs, models and processors (see module docstring)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from .modeling import SoccerMasterConfig, SoccerMasterVisionConfig, SoccerMasterVisionModel

    AutoConfig.register(SoccerMasterVisionConfig.model_type, SoccerMasterVisionConfig, exist_ok=True)
    AutoConfig.register(SoccerMasterConfig.model_type, SoccerMasterConfig, exist_ok=True)
    AutoModel.register(SoccerMasterVisionConfig, SoccerMasterVisionModel, exist_ok=True)
    SoccerMasterVisionConfig.register_for_auto_class()
    SoccerMasterConfig.register_for_auto_class()
    SoccerMasterVisionModel.register_for_auto_class("AutoModel")

    try:
        from .processing import register_processors
    except ImportError:  # pragma: no cover - processing is part of the package; keep model loading usable regardless
        return
    register_processors()
    _REGISTERED = True
