"""Settings of the analysis, one dataclass: `soccermaster analyze` generates its options from it (defaults and help
live here only; a test keeps them equal to the defaults of :func:`~soccermaster_hf.analysis.analyze`)."""

from __future__ import annotations

from dataclasses import dataclass, field


def _arg(default, help: str, **cli):
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class AnalyzeArguments:
    """Settings of `soccermaster analyze` (passed to :func:`soccermaster_hf.analysis.analyze`)."""

    input: str | None = _arg(None, "Video file, image, or folder of frames.", positional=True)
    demo: bool = _arg(False, "Render a SoccerSynth clip and analyse it.")
    model: str | None = _arg(None, "SoccerMasterForPreTraining folder or Hub id (default: the shipped checkpoint).")
    out: str = _arg("soccermaster-analysis", "Output folder.")
    threshold: float = _arg(0.5, "Detection score threshold.", minimum=0.0, maximum=1.0)
    max_frames: int = _arg(250, "Analyse at most this many frames.", minimum=1)
    batch_size: int = _arg(4, "Frames per model pass.", minimum=1)
    seed: int = _arg(0, "Seed of the --demo clip.", minimum=0)
    precision: str = _arg("auto", "Backbone precision (auto: bf16 on CPUs with native bfloat16 instructions).",
                          choices=["auto", "fp32", "bf16"])
    tracker: str = _arg("bytetrack", "Tracker: ByteTrack (the `trackers` library), the MOTIP ID decoder (needs "
                                     "--tracking-model) or the Hungarian IoU + cosine baseline.",
                        choices=["bytetrack", "motip", "hungarian"])
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
