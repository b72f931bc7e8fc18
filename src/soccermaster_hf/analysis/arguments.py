"""Settings of the analysis, one dataclass: `soccermaster analyze` generates its options from it (defaults and help
live here only; a test keeps them equal to the defaults of :func:`~soccermaster_hf.analysis.analyze`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..tracking.linking import LinkingConfig


def _arg(default, help: str, **cli):
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class AnalyzeArguments:
    """Settings of `soccermaster analyze` (passed to :func:`soccermaster_hf.analysis.analyze`)."""

    input: str | None = _arg(None, "Video file, image, or folder of frames.", positional=True)
    demo: bool = _arg(False, "Render a SoccerSynth clip and analyse it.")
    model: str | None = _arg(None, "SoccerMasterForPreTraining folder or Hub id (default: the shipped checkpoint).")
    out: str = _arg("soccermaster-analysis", "Output folder.")
    threshold: float | None = _arg(None, "Detection score threshold (default: the checkpoint's own, its config's "
                                         "`detection_config.score_threshold`).", minimum=0.0, maximum=1.0)
    max_frames: int | None = _arg(None, "Analyse at most this many frames (default: all of --start..--end).",
                                  minimum=1)
    start: float = _arg(0.0, "Start at this time of the input (seconds).", minimum=0.0)
    end: float | None = _arg(None, "Stop at this time of the input (seconds; default: its end).", minimum=0.0)
    resume: bool = _arg(False, "Continue a killed run in --out (same input and settings) from its last committed "
                               "segment.")
    segment_seconds: float = _arg(60.0, "Commit the outputs every this many seconds of video (what --resume keeps).",
                                  minimum=0.0, exclusive_minimum=True)
    spotting_stride: float = _arg(5.0, "Seconds between the 30-s event-spotting windows.", minimum=0.0,
                                  exclusive_minimum=True)
    calibrate_every: int = _arg(10, "Solve the camera on every this many frames of a shot (and its last frame); the "
                                   "frames between interpolate between two plausible cameras (1: every frame).",
                                minimum=1)
    shot_window: int = _arg(4, "Refine each keyframe's camera jointly with the previous keyframes of its shot, at "
                               "most this many in all (one camera centre, smooth pan/tilt/zoom; 1: off).", minimum=1)
    half: int = _arg(1, "Match half the video shows (SoccerNet-v2 gameTime of the spotted events).", choices=[1, 2])
    batch_size: int = _arg(8, "Frames per model pass (8: ~8 %% faster end to end than 4 on 2 CPU cores).", minimum=1)
    seed: int = _arg(0, "Seed of the --demo clip.", minimum=0)
    precision: str = _arg("auto", "Backbone precision (auto: bf16 on CPUs with native bfloat16 instructions).",
                          choices=["auto", "fp32", "bf16"])
    tracker: str = _arg("bytetrack", "Tracker: ByteTrack (the `trackers` library), the MOTIP ID decoder (needs "
                                     "--tracking-model) or the Hungarian IoU + cosine baseline.",
                        choices=["bytetrack", "motip", "hungarian"])
    link_tracklets: bool = _arg(True, "Join the tracker's tracklets across the gaps it cannot bridge (missed or "
                                      "sliding detections, players out of view) by pitch position, kit colour, role "
                                      "and team, before the tracklet vote (--no-link-tracklets: the tracker's ids as "
                                      "they are).")
    min_tracklet_seconds: float = _arg(LinkingConfig.min_tracklet_seconds,
                                       "With linking: drop athlete tracklets shorter than this (seconds) before "
                                       "linking, except at the clip's ends (the detector's flickers; 0 keeps all).",
                                       minimum=0.0)
    kit_split_boxes: int = _arg(LinkingConfig.kit_split_boxes,
                                "With linking: cut a player tracklet where most of its next this many boxes wear the "
                                "other team's kit (a track handed to a crossing opponent) before linking (0: never).",
                                minimum=0)
    reid_model: str | None = _arg("default", "With linking: the re-identification network whose embeddings of each "
                                             "athlete's pixels cut tracklets where they change and join the linking "
                                             "cost ('default': the one shipped with the package, trained on "
                                             "SoccerSynth; a `soccermaster train-reid` folder; 'none': off).")
    prompts: list[str] | None = _arg(None, "Zero-shot event prompts scored on every spotting window by the model's "
                                           "video-text alignment (events.json 'zero_shot'); needs a model with a text "
                                           "tower and its tokenizer (`soccermaster train --text-encoder`), which "
                                           "scores the 23 event keywords by default.", metavar="TEXT")
    tracking_model: str | None = _arg(None, "SoccerMasterForMultiObjectTracking folder for --tracker motip (from "
                                            "`soccermaster train-tracking` on this --model's detector).")
    commentary_model: str | None = _arg(None, "Commentary adapter folder (`soccermaster train-commentary` output): "
                                              "adds a generated line of commentary for the clip (its frames at 1 fps, "
                                              "at most 30).")
    split: str = _arg("test", "SoccerNet split of the GSR image ids when the input has no Labels-GameState.json.",
                      choices=["train", "valid", "test", "challenge"])
    overwrite: bool = _arg(False, "Write into a non-empty --out folder that is not a previous `soccermaster analyze` "
                                  "output (files it does not write are kept).")



__all__ = ["AnalyzeArguments"]
