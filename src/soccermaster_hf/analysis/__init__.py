"""The main job: video in -> frames -> model -> post-processing -> geometry -> tracking -> writers."""

from .arguments import AnalyzeArguments
from .pipeline import analyze, clip_commentary, demo_frames, load_analysis_model
from .render import draw_minimap, draw_overlay, write_video
from .zero_shot import rank_prompts

__all__ = ["AnalyzeArguments", "analyze", "clip_commentary", "demo_frames", "draw_minimap", "draw_overlay", "load_analysis_model", "rank_prompts", "write_video"]
