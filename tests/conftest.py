"""Shared fixtures: offline Hub, seeds, tiny configs, the ``shared/`` folder (skips cleanly when absent)."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

from soccermaster_hf.utils.shared import find_shared_dir  # noqa: E402

TINY_VISION_KWARGS = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "image_size": 32,
    "patch_size": 8,
    "num_frames": 3,
    "temporal_start_layer": 2,
}


@pytest.fixture(autouse=True)
def _seed_and_threads():
    torch.manual_seed(0)
    yield


@pytest.fixture
def tiny_vision_kwargs() -> dict:
    return dict(TINY_VISION_KWARGS)


@pytest.fixture
def tiny_vision_config(tiny_vision_kwargs):
    from soccermaster_hf import SoccerMasterVisionConfig

    return SoccerMasterVisionConfig(**tiny_vision_kwargs)


@pytest.fixture
def randomized_vision_model(tiny_vision_config):
    """A tiny backbone whose every parameter is non-default (non-zero gates and temporal embedding)."""
    from soccermaster_hf import SoccerMasterVisionModel

    model = SoccerMasterVisionModel(tiny_vision_config).eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    return model


@pytest.fixture(scope="session")
def damage_middle():
    """A function that overwrites 64 bytes in the middle of a file with zeros (a damaged Parquet shard, say) and
    returns the file's path."""

    def damage(path):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + b"\0" * 64 + data[len(data) // 2 + 64:])
        return path

    return damage


@pytest.fixture(scope="session")
def shared_dir():
    root = find_shared_dir()
    if root is None:
        pytest.skip("../shared is not available (set SOCCERMASTER_SHARED)")
    return root


@pytest.fixture(scope="session")
def parity_dir(shared_dir):
    path = shared_dir / "fixtures" / "official_parity"
    if not (path / "io.safetensors").is_file():
        pytest.skip("official parity fixtures not found in shared/")
    return path
