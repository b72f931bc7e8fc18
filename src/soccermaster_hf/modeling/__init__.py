"""Model code that also ships as Hugging Face Hub remote code (flat folder, sibling-relative imports only)."""

from .configuration_soccermaster import (
    COMMENTARY_PLACEHOLDER_TOKENS,
    EVENT_KEYWORDS,
    ROLE_NAMES,
    SOCCERNET_V2_TO_KEYWORD,
    TEAM_NAMES,
    SoccerMasterConfig,
    SoccerMasterDetectionConfig,
    SoccerMasterEventConfig,
    SoccerMasterPitchConfig,
    SoccerMasterTrackingConfig,
    SoccerMasterVisionConfig,
)
from .configuration_soccermaster_reid import SoccerMasterReIdConfig
from .modeling_soccermaster import SoccerMasterPreTrainedModel, SoccerMasterVisionModel, SoccerMasterVisionModelOutput
from .modeling_soccermaster_commentary import (
    AllowedTokensLogitsProcessor,
    SoccerMasterCommentaryOutput,
    SoccerMasterForConditionalGeneration,
)
from .modeling_soccermaster_detection import (
    SoccerMasterDetectionHead,
    SoccerMasterDetectionHeadOutput,
    SoccerMasterForObjectDetection,
    SoccerMasterObjectDetectionOutput,
)
from .modeling_soccermaster_multitask import (
    SoccerMasterForGameStateReconstruction,
    SoccerMasterForPreTraining,
    SoccerMasterForPreTrainingOutput,
    SoccerMasterGameStateOutput,
)
from .modeling_soccermaster_pitch import SoccerMasterForPitchRegistration, SoccerMasterPitchRegistrationOutput
from .modeling_soccermaster_reid import (
    SoccerMasterForReIdentification,
    SoccerMasterReIdOutput,
    supervised_contrastive_loss,
)
from .modeling_soccermaster_tracking import (
    SoccerMasterForMultiObjectTracking,
    SoccerMasterIDDecoder,
    SoccerMasterMultiObjectTrackingOutput,
)
from .modeling_soccermaster_video import (
    SoccerMasterForVideoClassification,
    SoccerMasterModel,
    SoccerMasterOutput,
    SoccerMasterVideoClassifierOutput,
    retrieval_accuracy,
)

__all__ = [
    "AllowedTokensLogitsProcessor",
    "COMMENTARY_PLACEHOLDER_TOKENS",
    "EVENT_KEYWORDS",
    "ROLE_NAMES",
    "SOCCERNET_V2_TO_KEYWORD",
    "TEAM_NAMES",
    "SoccerMasterCommentaryOutput",
    "SoccerMasterConfig",
    "SoccerMasterDetectionConfig",
    "SoccerMasterDetectionHead",
    "SoccerMasterDetectionHeadOutput",
    "SoccerMasterForConditionalGeneration",
    "SoccerMasterForGameStateReconstruction",
    "SoccerMasterForMultiObjectTracking",
    "SoccerMasterIDDecoder",
    "SoccerMasterMultiObjectTrackingOutput",
    "SoccerMasterGameStateOutput",
    "SoccerMasterEventConfig",
    "SoccerMasterForObjectDetection",
    "SoccerMasterForPitchRegistration",
    "SoccerMasterForPreTraining",
    "SoccerMasterForPreTrainingOutput",
    "SoccerMasterForReIdentification",
    "SoccerMasterForVideoClassification",
    "SoccerMasterModel",
    "SoccerMasterObjectDetectionOutput",
    "SoccerMasterOutput",
    "SoccerMasterPitchConfig",
    "SoccerMasterPitchRegistrationOutput",
    "SoccerMasterPreTrainedModel",
    "SoccerMasterReIdConfig",
    "SoccerMasterReIdOutput",
    "SoccerMasterTrackingConfig",
    "SoccerMasterVideoClassifierOutput",
    "SoccerMasterVisionConfig",
    "SoccerMasterVisionModel",
    "SoccerMasterVisionModelOutput",
    "retrieval_accuracy",
    "supervised_contrastive_loss",
]
