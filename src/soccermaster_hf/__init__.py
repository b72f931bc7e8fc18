"""soccermaster_hf: the Hugging Face-native implementation of SoccerMaster (arXiv 2512.11016).

Importing the package registers the SoccerMaster classes with transformers' Auto classes.
"""

from .modeling import (
    SoccerMasterConfig,
    SoccerMasterPreTrainedModel,
    SoccerMasterVisionConfig,
    SoccerMasterVisionModel,
    SoccerMasterVisionModelOutput,
)
from .processing import (
    SoccerMasterImageProcessor,
    SoccerMasterProcessor,
    SoccerMasterVideoProcessor,
    VideoDecodingError,
)

__version__ = "0.1.0.dev0"

from .auto import register_auto_classes  # noqa: E402

register_auto_classes()

__all__ = [
    "SoccerMasterConfig",
    "SoccerMasterImageProcessor",
    "SoccerMasterPreTrainedModel",
    "SoccerMasterProcessor",
    "SoccerMasterVideoProcessor",
    "VideoDecodingError",
    "SoccerMasterVisionConfig",
    "SoccerMasterVisionModel",
    "SoccerMasterVisionModelOutput",
    "__version__",
]
