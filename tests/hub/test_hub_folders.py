"""Every folder the package writes is a complete Hub repo that loads where soccermaster_hf is not installed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

import soccermaster_hf
from soccermaster_hf import SoccerMasterForObjectDetection, SoccerMasterForPreTraining, SoccerMasterVisionModel
from soccermaster_hf.hub import DEFAULT_CHECKPOINT, PAPER_ID, auto_map_for, meta_model_from_folder

REMOTE_FILES = ("configuration_soccermaster.py", "modeling_soccermaster.py", "modeling_soccermaster_detection.py",
                "loss_soccermaster.py", "modeling_soccermaster_pitch.py", "pitch_definitions.py",
                "modeling_soccermaster_video.py", "image_processing_soccermaster.py", "video_processing_soccermaster.py")
ALL_AUTO = {"AutoConfig", "AutoModel", "AutoModelForObjectDetection", "AutoModelForKeypointDetection",
            "AutoModelForVideoClassification", "AutoModelForPreTraining"}


def assert_complete(folder, pipeline_tag: str = "object-detection") -> ModelCard:
    """The files of a complete Hub folder, and a model card that parses with the expected metadata."""
    config = json.loads((folder / "config.json").read_text())
    image_size = (config.get("vision_config") or config)["image_size"]
    for name in ("preprocessor_config.json", "video_preprocessor_config.json"):
        processor = json.loads((folder / name).read_text())
        assert processor["size"] == {"height": image_size, "width": image_size}, name
        assert "auto_map" in processor, name
    for target in config["auto_map"].values():
        assert (folder / f"{target.split('.')[0]}.py").is_file(), target
    card = ModelCard.load(folder / "README.md")
    assert card.data.library_name == "transformers" and card.data.license == "apache-2.0"
    assert card.data.pipeline_tag == pipeline_tag
    assert f"arxiv:{PAPER_ID}" in card.data.tags and f"arxiv.org/abs/{PAPER_ID}" in card.text
    assert "trust_remote_code=True" in card.text
    assert "model card of a 🤗 transformers model" not in card.text  # not transformers' blank template
    return card


def test_save_pretrained_writes_a_complete_folder_that_loads_without_the_package(tmp_path, tiny_config,
                                                                                 load_without_package):
    folder = tmp_path / "pretraining"
    SoccerMasterForPreTraining(tiny_config).save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    assert set(config["auto_map"]) == ALL_AUTO
    for name in REMOTE_FILES:
        assert (folder / name).is_file(), name
    assert_complete(folder)
    result, _ = load_without_package(folder)
    assert result["models"]["AutoModel"]["class"] == "SoccerMasterModel"
    assert result["models"]["AutoModelForPreTraining"]["class"] == "SoccerMasterForPreTraining"


def test_auto_map_lists_the_classes_the_weights_serve_and_nothing_stale(tmp_path, tiny_config):
    SoccerMasterForPreTraining(tiny_config).save_pretrained(tmp_path / "pretraining")
    SoccerMasterForObjectDetection(tiny_config).save_pretrained(tmp_path / "detection")  # the same config object
    detection = json.loads((tmp_path / "detection" / "config.json").read_text())["auto_map"]
    assert set(detection) == {"AutoConfig", "AutoModel", "AutoModelForObjectDetection"}
    SoccerMasterVisionModel(tiny_config.vision_config).save_pretrained(tmp_path / "backbone")
    backbone = json.loads((tmp_path / "backbone" / "config.json").read_text())["auto_map"]
    assert backbone == {"AutoConfig": "configuration_soccermaster.SoccerMasterVisionConfig",
                        "AutoModel": "modeling_soccermaster.SoccerMasterVisionModel"}
    assert ModelCard.load(tmp_path / "backbone" / "README.md").data.pipeline_tag == "image-feature-extraction"


def test_converted_release_loads_without_the_package(parity_dir, tmp_path, load_without_package):
    from soccermaster_hf.conversion.official import convert_official_release

    written = convert_official_release(parity_dir, tmp_path / "converted", num_attention_heads=4, progress=False)
    for task, folder in written.items():
        tag = {"backbone": "image-feature-extraction", "video-text-alignment": "image-feature-extraction",
               "pitch-registration": "keypoint-detection", "video-classification": "video-classification"}
        card = assert_complete(folder, tag.get(task, "object-detection"))
        assert "Conversion" in card.text and "backbone.safetensors" in card.text
    assert "team_embed" in ModelCard.load(written["object-detection"] / "README.md").text  # fresh parameters named
    result, _ = load_without_package(written["pretraining"])
    assert set(result["auto_map"]) == ALL_AUTO
    load_without_package(written["backbone"])


def test_shipped_default_checkpoint_is_complete_and_loads_without_the_package(load_without_package):
    card = assert_complete(DEFAULT_CHECKPOINT)
    results = {result.metric_type: result.metric_value for result in card.data.eval_results}
    assert results["AP@50"] == pytest.approx(0.845) and results["role accuracy"] == pytest.approx(0.989)
    assert (DEFAULT_CHECKPOINT / "model.safetensors").stat().st_size < 30 * 1024 * 1024
    total = sum(path.stat().st_size for path in DEFAULT_CHECKPOINT.iterdir())  # links resolved: what ships
    assert total < 30 * 1024 * 1024
    # up to date with the package: the auto_map of today's classes, code linked to the package's own files
    config = json.loads((DEFAULT_CHECKPOINT / "config.json").read_text())
    assert config["auto_map"] == auto_map_for(meta_model_from_folder(DEFAULT_CHECKPOINT))
    package = DEFAULT_CHECKPOINT.parent.parent
    for path in DEFAULT_CHECKPOINT.glob("*.py"):
        assert path.is_symlink() and package in path.resolve().parents, path
    result, _ = load_without_package(DEFAULT_CHECKPOINT)
    assert set(result["auto_map"]) == ALL_AUTO and result["image_shape"] == [1, 3, 384, 384]


def test_training_outputs_are_complete_folders(tmp_path, load_without_package):
    from soccermaster_hf.cli.main import main
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    data = tmp_path / "synth"
    generate_dataset(data, SynthConfig(clips=1, frames=4, seed=5, tracking="procedural", width=192, height=108),
                     progress=False)
    code = main(["train", str(data), "--output", str(tmp_path / "run"), "--max-steps", "2", "--checkpoint-every", "1",
                 "--clip-length", "2", "--max-frame-size", "192", "--no-augment", "--no-progress"])
    assert code == 0
    card = assert_complete(tmp_path / "run" / "final")
    assert "2 steps" in card.text and "| loss |" in card.text
    checkpoint = sorted((tmp_path / "run").glob("checkpoint-*"))[-1]
    assert_complete(checkpoint)
    load_without_package(tmp_path / "run" / "final")


def test_in_process_loading_is_quiet_and_auto_processor_falls_back(tmp_path, tiny_config, caplog):
    import numpy as np
    from PIL import Image
    from transformers import AutoModel, AutoProcessor, pipeline

    folder = tmp_path / "pretraining"
    SoccerMasterForPreTraining(tiny_config).save_pretrained(folder)
    assert type(AutoProcessor.from_pretrained(folder)).__name__ == "SoccerMasterImageProcessor"
    with caplog.at_level(logging.WARNING):
        model = AutoModel.from_pretrained(folder)
        detector = pipeline("object-detection", model=str(folder))
        detector(Image.fromarray(np.zeros((40, 60, 3), np.uint8)), threshold=0.0)
    assert type(model).__name__ == "SoccerMasterModel"
    assert "UNEXPECTED" not in caplog.text and "is not supported for" not in caplog.text


def test_push_to_hub_uploads_the_package_card_in_one_commit(tmp_path, tiny_config, monkeypatch):
    commits = []

    class FakeApi:
        def __init__(self, token=None):
            self.token = token

        def create_repo(self, repo_id, **kwargs):
            return type("Repo", (), {"repo_id": repo_id})()

        def create_commit(self, repo_id, operations, **kwargs):
            files = {}
            for operation in operations:
                content = operation.path_or_fileobj
                files[operation.path_in_repo] = content if isinstance(content, bytes) else Path(content).read_bytes()
            commits.append((repo_id, files))
            return type("Commit", (), {"commit_url": f"https://huggingface.co/{repo_id}/commit/0"})()

    monkeypatch.setattr(soccermaster_hf.hub, "HfApi", FakeApi)
    url = SoccerMasterForObjectDetection(tiny_config).push_to_hub("me/tiny-detector", tags=["my-tag"])
    assert url.endswith("/commit/0") and len(commits) == 1
    repo_id, files = commits[0]
    assert repo_id == "me/tiny-detector"
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "video_preprocessor_config.json",
            "modeling_soccermaster_detection.py", "loss_soccermaster.py", "README.md"} <= set(files)
    card = ModelCard(files["README.md"].decode())
    assert "my-tag" in card.data.tags and card.data.pipeline_tag == "object-detection"
    assert 'from_pretrained("me/tiny-detector", trust_remote_code=True)' in card.text
