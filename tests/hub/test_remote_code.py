"""A saved folder loads with trust_remote_code=True in a fresh process where soccermaster_hf cannot be imported."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from soccermaster_hf import SoccerMasterImageProcessor, SoccerMasterVideoProcessor, SoccerMasterVisionModel

# Prepended to every child script: makes `import soccermaster_hf` fail in the child process.
BLOCKER = f"import runpy, sys\nrunpy.run_path({str(Path(__file__).with_name('block_soccermaster.py'))!r})\n"

CHILD = BLOCKER + textwrap.dedent(
    """
    try:
        import soccermaster_hf  # noqa: F401
        raise SystemExit("the import blocker does not work")
    except ImportError:
        pass

    import numpy as np, torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoImageProcessor, AutoModel, AutoVideoProcessor

    folder = sys.argv[1]
    config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
    model = AutoModel.from_pretrained(folder, trust_remote_code=True).eval()
    image_processor = AutoImageProcessor.from_pretrained(folder, trust_remote_code=True)
    video_processor = AutoVideoProcessor.from_pretrained(folder, trust_remote_code=True)
    assert "soccermaster_hf" not in sys.modules
    assert type(model).__name__ == "SoccerMasterVisionModel", type(model)
    assert type(image_processor).__name__ == "SoccerMasterImageProcessor"
    assert type(video_processor).__name__ == "SoccerMasterVideoProcessor"
    expected = load_file(folder + "/expected.safetensors")
    clip = np.load(folder + "/clip.npy")
    pixels = video_processor(clip, sampling="all")["pixel_values"]
    with torch.no_grad():
        out = model(pixels)
    assert torch.allclose(out.pooler_output, expected["pooler_output"], atol=1e-6), "F_sem differs"
    image = image_processor(clip[0], return_tensors="pt")["pixel_values"]
    assert image.shape[-1] == config.image_size
    print("REMOTE-CODE-OK", type(model).__module__)
    """
)


def test_remote_code_round_trip(tmp_path, tiny_vision_config):
    model = SoccerMasterVisionModel(tiny_vision_config).eval()
    with torch.no_grad():
        model.encoder.layers[2].temporal_alpha.fill_(0.3)
        model.temporal_embedding.normal_()
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    SoccerMasterImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    SoccerMasterVideoProcessor(size={"height": 32, "width": 32}, num_frames=3).save_pretrained(folder)

    config = json.loads((folder / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "modeling_soccermaster.SoccerMasterVisionModel"
    assert config["auto_map"]["AutoConfig"] == "configuration_soccermaster.SoccerMasterVisionConfig"
    for name in ("modeling_soccermaster.py", "configuration_soccermaster.py", "image_processing_soccermaster.py",
                 "video_processing_soccermaster.py"):
        assert (folder / name).is_file(), name
        source = (folder / name).read_text()
        # docstring examples may mention the package; code must not import it
        assert not re.search(r"^\s*(from|import)\s+soccermaster_hf", source, re.MULTILINE), name
        assert not re.search(r"^\s*from\s+\.\.", source, re.MULTILINE), name

    clip = np.random.default_rng(0).integers(0, 256, (3, 40, 40, 3), dtype=np.uint8)
    np.save(folder / "clip.npy", clip)
    pixels = SoccerMasterVideoProcessor(size={"height": 32, "width": 32}, num_frames=3)(clip, sampling="all")
    with torch.no_grad():
        expected = model(pixels["pixel_values"]).pooler_output
    save_file({"pooler_output": expected.contiguous()}, folder / "expected.safetensors")

    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="")
    result = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "REMOTE-CODE-OK" in result.stdout
    assert "transformers_modules" in result.stdout


HEADS_CHILD = BLOCKER + textwrap.dedent(
    """
    import sys
    import torch
    from transformers import AutoModelForObjectDetection, AutoModelForPreTraining

    root = sys.argv[1]
    detector = AutoModelForObjectDetection.from_pretrained(root + "/detection", trust_remote_code=True).eval()
    pretraining = AutoModelForPreTraining.from_pretrained(root + "/pretraining", trust_remote_code=True).eval()
    assert "soccermaster_hf" not in sys.modules
    with torch.no_grad():
        boxes = detector(torch.zeros(1, 3, 32, 32)).pred_boxes
        out = pretraining(spatial_pixel_values=torch.zeros(1, 2, 3, 32, 32))
    assert boxes.shape == (1, 6, 4) and out.pitch.keypoint_heatmaps.shape[1] == 58
    print("HEADS-REMOTE-OK", type(pretraining).__name__)
    """
)


def test_head_models_load_as_remote_code(tmp_path):
    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForObjectDetection, SoccerMasterForPreTraining

    config = SoccerMasterConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 8, "num_frames": 2, "temporal_start_layer": 2},
        detection_config={"hidden_size": 32, "num_queries": 6, "decoder_ffn_dim": 64},
        pitch_config={"stage_channels": [32, 16, 16]}, event_config={"num_layers": 1})
    SoccerMasterForObjectDetection(config).save_pretrained(tmp_path / "detection")
    SoccerMasterForPreTraining(config).save_pretrained(tmp_path / "pretraining")
    for name in ("modeling_soccermaster_video.py", "modeling_soccermaster_detection.py", "loss_soccermaster.py",
                 "modeling_soccermaster_pitch.py", "pitch_definitions.py", "modeling_soccermaster.py"):
        assert (tmp_path / "pretraining" / name).is_file(), name
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="")
    result = subprocess.run([sys.executable, "-c", HEADS_CHILD, str(tmp_path)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HEADS-REMOTE-OK SoccerMasterForPreTraining" in result.stdout
