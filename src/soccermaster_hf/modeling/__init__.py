"""Model code that also ships as Hugging Face Hub remote code (flat folder, sibling-relative imports only)."""

from .configuration_soccermaster import SoccerMasterConfig, SoccerMasterVisionConfig
from .modeling_soccermaster import SoccerMasterPreTrainedModel, SoccerMasterVisionModel, SoccerMasterVisionModelOutput

__all__ = [
    "SoccerMasterConfig",
    "SoccerMasterPreTrainedModel",
    "SoccerMasterVisionConfig",
    "SoccerMasterVisionModel",
    "SoccerMasterVisionModelOutput",
]
