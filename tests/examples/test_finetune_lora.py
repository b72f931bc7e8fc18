"""examples/finetune_lora.py on a tiny model: only adapters train, the adapter reloads, metrics before/after."""

import importlib.util
from pathlib import Path

import pytest
import torch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_lora.py"


@pytest.mark.slow
@pytest.mark.parametrize("train_heads", [False, True])
def test_lora_example_runs(tmp_path, monkeypatch, train_heads):
    monkeypatch.setenv("SOCCERMASTER_CACHE", str(tmp_path / "cache"))
    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForPreTraining

    torch.manual_seed(0)
    config = SoccerMasterConfig.from_preset("tiny", num_frames=2)
    SoccerMasterForPreTraining(config).save_pretrained(tmp_path / "base")
    spec = importlib.util.spec_from_file_location("finetune_lora", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(["--model", str(tmp_path / "base"), "--out", str(tmp_path / "run"), "--steps", "3",
                          "--clips", "2", "--frames", "2", "--rank", "4"] + (["--train-heads"] if train_heads else []))
    assert report["adapter_reload_matches"]
    assert 0 < report["trainable_parameters"] < 0.2 * report["total_parameters"]
    if train_heads:  # the detection classifier and box MLP of every decoder layer train too (PEFT modules_to_save)
        assert report["modules_to_save"] == ["detection_head.class_embed.0", "detection_head.bbox_embed.0"]
    else:
        assert report["modules_to_save"] == []
    assert (tmp_path / "run" / "adapter" / "adapter_model.safetensors").is_file()
    assert "detection AP@50" in report["before"] and "detection AP@50" in report["after"]
