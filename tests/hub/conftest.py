"""Helpers of the Hub-folder tests: a tiny multi-task config and loading a folder where the package is blocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REMOTE_CHECK = Path(__file__).with_name("remote_check.py")


@pytest.fixture
def tiny_config():
    from soccermaster_hf import SoccerMasterConfig

    return SoccerMasterConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8, "num_frames": 2, "temporal_start_layer": 2},
        detection_config={"hidden_size": 32, "num_queries": 6, "decoder_ffn_dim": 64},
        pitch_config={"stage_channels": [32, 16, 16]}, event_config={"num_layers": 1})


@pytest.fixture
def load_without_package(tmp_path):
    """``load(folder) -> (result, stderr)``: `remote_check.py` on `folder` in a fresh process without soccermaster_hf,
    checked: every Auto class of its auto_map loads as remote code and runs, the processors are at the trained size,
    AutoProcessor gives the image processor, no UNEXPECTED-keys report, the detection pipeline runs."""

    def load(folder) -> tuple[dict, str]:
        env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="",
                   OMP_NUM_THREADS="1")
        run = subprocess.run([sys.executable, str(REMOTE_CHECK), str(folder)], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=420)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
        line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
        result = json.loads(line[len("RESULT "):])
        _assert_loads_everything(result, run.stderr, json.loads((Path(folder) / "config.json").read_text()))
        return result, run.stderr

    return load


def _assert_loads_everything(result: dict, stderr: str, config: dict) -> None:
    """Every Auto class of the folder's auto_map loaded as remote code and ran; processors at the trained size."""
    image_size = (config.get("vision_config") or config)["image_size"]
    assert not result["soccermaster_hf_imported"]
    assert result["image_processor"] == "SoccerMasterImageProcessor"
    assert result["video_processor"] == "SoccerMasterVideoProcessor"
    assert result["processor"] == "SoccerMasterImageProcessor"  # AutoProcessor without a tokenizer
    assert result["image_size"] == {"height": image_size, "width": image_size}
    assert set(result["models"]) == set(result["auto_map"]) - {"AutoConfig"}
    for auto_class, loaded in result["models"].items():
        assert loaded["module"].startswith("transformers_modules."), (auto_class, loaded)
        assert loaded["finite"], (auto_class, loaded)
    assert "UNEXPECTED" not in stderr, stderr[-3000:]
    assert "is not supported for" not in stderr, stderr[-3000:]  # the pipeline's log spam, also in remote-code mode
    if "AutoModelForObjectDetection" in result["auto_map"]:
        assert result["pipeline"]["model"] == "SoccerMasterForObjectDetection"
        assert result["pipeline"]["keys"] == ["box", "label", "score"]
