"""The main job, streamed: video in -> frames -> model -> post-processing -> shots, cameras, tracking, events ->
writers (see :mod:`soccermaster_hf.analysis.pipeline` and docs/analysis.md)."""

from .arguments import AnalyzeArguments
from .batch import analyze_many, batch_inputs
from .kloppy_export import to_kloppy
from .pipeline import AnalysisError, analyze, clip_commentary, demo_frames, load_analysis_model, score_threshold
from .render import draw_minimap, draw_overlay, write_video
from .zero_shot import rank_prompts

__all__ = ["AnalysisError", "AnalyzeArguments", "analyze", "analyze_many", "batch_inputs", "clip_commentary",
           "demo_frames", "draw_minimap", "draw_overlay", "load_analysis_model", "rank_prompts", "score_threshold",
           "to_kloppy", "write_video"]
