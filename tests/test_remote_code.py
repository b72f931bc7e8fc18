"""A saved folder loads with trust_remote_code=True in a fresh process where soccermaster_hf cannot be imported."""

import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import torch
from safetensors.torch import save_file

from soccermaster_hf import SoccerMasterImageProcessor, SoccerMasterVideoProcessor, SoccerMasterVisionModel

CHILD = textwrap.dedent(
    """
    import importlib.abc, sys

    class BlockSoccerMaster(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "soccermaster_hf" or name.startswith("soccermaster_hf."):
                raise ImportError("soccermaster_hf is deliberately unavailable in this process")
            return None

    sys.meta_path.insert(0, BlockSoccerMaster())
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
