"""Malformed-input suite: helpers, tiny fixtures and the per-outcome counts printed at the end of the run.

Every case ends in one of three outcomes, recorded with :func:`record`:

* ``ok``: the input is valid but unusual (16-bit, EXIF, mixed sizes...) and gives the right result;
* ``error``: a clear error: exit code 1 and one line ``error: <file>: <problem>`` (or an argparse usage error, exit
  code 2), or a ``ValueError`` naming the file from the Python API;
* ``skip``: the bad record is skipped (or repaired) and counted, and the count is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reliability_helpers import OUTCOMES, write_video


def pytest_terminal_summary(terminalreporter):
    if OUTCOMES:
        total = sum(OUTCOMES.values())
        terminalreporter.write_line(
            f"reliability outcomes ({total} cases passed): OK {OUTCOMES['ok']} / clear error {OUTCOMES['error']} / "
            f"counted skip {OUTCOMES['skip']}")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny untrained SoccerMasterForPreTraining folder (written by the package: it carries the marker)."""
    import torch

    from soccermaster_hf.modeling import SoccerMasterForPreTraining
    from soccermaster_hf.training.pretrain import TrainingArguments, _config_for
    from soccermaster_hf.utils.io import save_pretrained_atomic

    torch.manual_seed(0)
    config = _config_for(TrainingArguments(train_dirs=["unused"], output_dir="unused", clip_length=2))
    folder = tmp_path_factory.mktemp("tiny-model") / "model"
    save_pretrained_atomic(SoccerMasterForPreTraining(config), folder)
    return folder


@pytest.fixture(scope="session")
def gsr_clips(tmp_path_factory) -> Path:
    """Two tiny SoccerNet-GSR clips (SoccerSynth, procedural tracking) of 4 frames at 128x72."""
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    out = tmp_path_factory.mktemp("gsr") / "synth"
    generate_dataset(out, SynthConfig(clips=2, frames=4, seed=3, tracking="procedural", width=128, height=72),
                     progress=False)
    return out


@pytest.fixture(scope="session")
def semantic_set(tmp_path_factory) -> Path:
    """A UniSoccer-style classification JSON with three readable clips (root/events/classification.json)."""
    root = tmp_path_factory.mktemp("semantic") / "set"
    records = []
    for i, keyword in enumerate(["goal", "corner", "free kick"]):
        write_video(root / "semantic" / f"clip{i}.mp4")
        records.append({"video": f"semantic/clip{i}.mp4", "caption": keyword, "comments_text_anonymized": "text"})
    (root / "events").mkdir(parents=True)
    (root / "events" / "classification.json").write_text(json.dumps(records))
    return root
