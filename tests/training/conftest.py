"""Fixtures shared by the training tests."""

import pytest

from soccermaster_hf.synth.generate import SynthConfig, generate_dataset


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """Two small procedural SoccerSynth clips (8 frames, 192x108)."""
    out = tmp_path_factory.mktemp("train-data") / "synth"
    generate_dataset(out, SynthConfig(clips=2, frames=8, seed=5, tracking="procedural", width=192, height=108),
                     progress=False)
    return out
