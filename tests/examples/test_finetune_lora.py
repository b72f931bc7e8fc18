"""examples/finetune_lora.py on a tiny model: `soccermaster train`'s LoRA mode, the adapter reloads onto the base and
reproduces the merged model, metrics of both leagues before and after."""

import importlib.util
from pathlib import Path

import pytest
import torch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_lora.py"


@pytest.mark.slow
@pytest.mark.parametrize("train_heads", [[], ["detection"]])
def test_lora_example_runs(tmp_path, monkeypatch, train_heads):
    monkeypatch.setenv("SOCCERMASTER_CACHE", str(tmp_path / "cache"))
    from safetensors.torch import load_file

    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForPreTraining

    torch.manual_seed(0)
    config = SoccerMasterConfig.from_preset("tiny", num_frames=2)
    SoccerMasterForPreTraining(config).save_pretrained(tmp_path / "base")
    spec = importlib.util.spec_from_file_location("finetune_lora", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(["--model", str(tmp_path / "base"), "--out", str(tmp_path / "run"), "--steps", "3",
                          "--clips", "2", "--frames", "2", "--eval-clips", "1", "--rank", "4", "--no-augment",
                          "--replay-clips", "1", "--train-heads", *train_heads])
    assert report["adapter_reload_matches"]
    assert 0 < report["trainable_parameters"] < 0.3 * report["total_parameters"]
    adapter = load_file(tmp_path / "run" / "run" / "final" / "adapter_model.safetensors")
    # the detection classifier and box MLP of every decoder layer train too (PEFT modules_to_save)
    assert any("class_embed" in k for k in adapter) == bool(train_heads)
    for league in ("new", "original"):
        assert "detection AP@50" in report["before"][league] and "detection AP@50" in report["after"][league]
    assert report["league"] == "nordic-turf"
    assert len(report["train_dirs"]) == 2  # the new league and the original league's rehearsal clips
    for bad in (["--steps", "0"], ["--clips", "11", "--frames", "20"], ["--league", "nowhere"],
                ["--replay-frames", "1"], ["--replay-clips", "-1"]):
        with pytest.raises(SystemExit):
            module.main(["--model", str(tmp_path / "base"), *bad])
