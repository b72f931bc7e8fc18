"""soccermaster_hf: the Hugging Face-native implementation of SoccerMaster (arXiv 2512.11016).

Importing the package registers the SoccerMaster classes with transformers' Auto classes.
"""

from .modeling import (
    EVENT_KEYWORDS,
    ROLE_NAMES,
    SOCCERNET_V2_TO_KEYWORD,
    TEAM_NAMES,
    SoccerMasterConfig,
    SoccerMasterDetectionConfig,
    SoccerMasterEventConfig,
    SoccerMasterForConditionalGeneration,
    SoccerMasterForGameStateReconstruction,
    SoccerMasterForMultiObjectTracking,
    SoccerMasterForObjectDetection,
    SoccerMasterForPitchRegistration,
    SoccerMasterForPreTraining,
    SoccerMasterForReIdentification,
    SoccerMasterForVideoClassification,
    SoccerMasterModel,
    SoccerMasterPitchConfig,
    SoccerMasterPreTrainedModel,
    SoccerMasterReIdConfig,
    SoccerMasterTrackingConfig,
    SoccerMasterVisionConfig,
    SoccerMasterVisionModel,
    SoccerMasterVisionModelOutput,
)
from .processing import (
    SoccerMasterImageProcessor,
    SoccerMasterProcessor,
    SoccerMasterReIdProcessor,
    SoccerMasterVideoProcessor,
    VideoDecodingError,
)
from .processing.processing_soccermaster_commentary import SoccerMasterCommentaryProcessor

__version__ = "0.1.0.dev0"

from .auto import register_auto_classes  # noqa: E402

register_auto_classes()

__all__ = [
    "EVENT_KEYWORDS",
    "ROLE_NAMES",
    "SOCCERNET_V2_TO_KEYWORD",
    "TEAM_NAMES",
    "SoccerMasterDetectionConfig",
    "SoccerMasterEventConfig",
    "SoccerMasterCommentaryProcessor",
    "SoccerMasterForConditionalGeneration",
    "SoccerMasterForGameStateReconstruction",
    "SoccerMasterForMultiObjectTracking",
    "SoccerMasterForObjectDetection",
    "SoccerMasterForPitchRegistration",
    "SoccerMasterForPreTraining",
    "SoccerMasterForReIdentification",
    "SoccerMasterForVideoClassification",
    "SoccerMasterModel",
    "SoccerMasterPitchConfig",
    "SoccerMasterTrackingConfig",
    "SoccerMasterConfig",
    "SoccerMasterImageProcessor",
    "SoccerMasterPreTrainedModel",
    "SoccerMasterProcessor",
    "SoccerMasterReIdConfig",
    "SoccerMasterReIdProcessor",
    "SoccerMasterVideoProcessor",
    "VideoDecodingError",
    "SoccerMasterVisionConfig",
    "SoccerMasterVisionModel",
    "SoccerMasterVisionModelOutput",
    "__version__",
]
