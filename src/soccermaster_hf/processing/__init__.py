"""Processors that also ship as Hugging Face Hub remote code (flat folder, sibling-relative imports only)."""

from .image_processing_soccermaster import SoccerMasterImageProcessor, compute_resize_transform
from .image_processing_soccermaster_reid import SoccerMasterReIdProcessor
from .processing_soccermaster import SoccerMasterProcessor
from .video_processing_soccermaster import (
    SoccerMasterVideoProcessor,
    VideoDecodingError,
    probe_video,
    read_video_frames,
    sample_frame_indices,
)


def register_processors() -> None:
    """Register the processors with transformers' Auto classes (called by ``soccermaster_hf.register_auto_classes``)."""
    from transformers import AutoImageProcessor, AutoProcessor, AutoVideoProcessor

    from ..modeling import SoccerMasterConfig, SoccerMasterVisionConfig

    for config_class in (SoccerMasterVisionConfig, SoccerMasterConfig):
        AutoImageProcessor.register(config_class, fast_image_processor_class=SoccerMasterImageProcessor, exist_ok=True)
        AutoVideoProcessor.register(config_class, SoccerMasterVideoProcessor, exist_ok=True)
    # AutoProcessor finds SoccerMasterProcessor by the `processor_class` a saved one writes, not by the config type: a
    # folder without a tokenizer then gets its image processor (transformers' fallback) instead of a failed tokenizer load
    AutoProcessor.register("SoccerMasterProcessor", SoccerMasterProcessor, exist_ok=True)
    SoccerMasterImageProcessor.register_for_auto_class("AutoImageProcessor")
    SoccerMasterVideoProcessor.register_for_auto_class("AutoVideoProcessor")
    SoccerMasterProcessor.register_for_auto_class("AutoProcessor")


__all__ = [
    "SoccerMasterImageProcessor",
    "SoccerMasterProcessor",
    "SoccerMasterReIdProcessor",
    "SoccerMasterVideoProcessor",
    "VideoDecodingError",
    "compute_resize_transform",
    "probe_video",
    "read_video_frames",
    "register_processors",
    "sample_frame_indices",
]
