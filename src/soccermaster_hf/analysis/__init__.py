"""The main job: video in -> frames -> model -> post-processing -> geometry -> tracking -> writers."""

from .arguments import AnalyzeArguments
from .pipeline import analyze, demo_frames, load_analysis_model
from .render import draw_minimap, draw_overlay, write_video

__all__ = ["AnalyzeArguments", "analyze", "demo_frames", "draw_minimap", "draw_overlay", "load_analysis_model", "write_video"]
