"""`soccermaster convert xleprime/SoccerMaster`: download with huggingface_hub (offline here: a local snapshot of the
release's layout laid into a temporary Hub cache), convert, write complete Hub folders, push (mocked HfApi)."""

from __future__ import annotations

import json
from pathlib import Path

import huggingface_hub.constants
import pytest
import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file

import soccermaster_hf.hub
from soccermaster_hf.cli.main import main as cli_main
from soccermaster_hf.conversion import convert_from_hub
from soccermaster_hf.conversion.official import RELEASE_FILES, CheckpointConversionError
from soccermaster_hf.conversion.release import release_file_patterns

pytestmark = pytest.mark.parity
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def hub_cache(parity_dir, tmp_path, monkeypatch):
    """The authors' file layout (`backbone.pt`, ... as plain torch.save state dicts) as a cached Hub snapshot."""
    cache = tmp_path / "hub-cache"
    repo = cache / "models--xleprime--SoccerMaster"
    snapshot = repo / "snapshots" / SHA
    snapshot.mkdir(parents=True)
    for stem in RELEASE_FILES.values():
        torch.save(load_file(parity_dir / f"{stem}.safetensors"), snapshot / f"{stem}.pt")
    (snapshot / "README.md").write_text("the authors' card (not read by the converter)\n")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SHA)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return cache


class FakeHfApi:
    """Records what would be uploaded; no network."""

    commits: list = []

    def __init__(self, token=None):
        self.token = token

    def create_repo(self, repo_id, **kwargs):
        return type("Repo", (), {"repo_id": repo_id})()

    def create_commit(self, repo_id, operations, **kwargs):
        files = {op.path_in_repo: op.path_or_fileobj if isinstance(op.path_or_fileobj, bytes)
                 else Path(op.path_or_fileobj).read_bytes() for op in operations}
        FakeHfApi.commits.append({"repo_id": repo_id, "files": files, **kwargs})
        return type("Commit", (), {"commit_url": f"https://huggingface.co/{repo_id}/commit/1"})()


def test_only_the_files_the_tasks_need_are_downloaded():
    assert release_file_patterns(["object-detection"]) == [
        f"{stem}{suffix}" for stem in ("backbone", "SoccerNetGSR_Detection")
        for suffix in (".pt", ".pth", ".bin", ".safetensors")]
    assert len(release_file_patterns()) == 6 * 4
    with pytest.raises(CheckpointConversionError, match="unknown task"):
        release_file_patterns(["tracking"])


def test_convert_from_hub_writes_complete_folders_naming_the_release(hub_cache, tmp_path, parity_dir):
    written = convert_from_hub("xleprime/SoccerMaster", tmp_path / "out", num_attention_heads=4, progress=False)
    assert set(written) == {"backbone", "object-detection", "pitch-registration", "video-classification",
                            "video-text-alignment", "pretraining"}
    card = ModelCard.load(written["pretraining"] / "README.md")
    assert card.data.base_model == "xleprime/SoccerMaster"
    assert "SoccerNet-GSR" in card.data.datasets
    assert SHA in card.text and "https://huggingface.co/xleprime/SoccerMaster" in card.text
    record = json.loads((tmp_path / "out" / "conversion.json").read_text())
    assert record["source"] == "xleprime/SoccerMaster" and record["revision"] == SHA
    assert record["source_files"]["backbone"] == "backbone.pt"
    # the same weights as converting the local files
    from soccermaster_hf import SoccerMasterVisionModel
    from soccermaster_hf.conversion.official import convert_official_backbone

    local = convert_official_backbone(parity_dir / "backbone.safetensors", tmp_path / "local", num_attention_heads=4)
    from_hub = SoccerMasterVisionModel.from_pretrained(written["backbone"])
    for name, tensor in local.state_dict().items():
        assert torch.equal(tensor, from_hub.state_dict()[name]), name


def test_cli_convert_hub_id_and_push(hub_cache, tmp_path, monkeypatch, capsys):
    FakeHfApi.commits.clear()
    monkeypatch.setattr(soccermaster_hf.hub, "HfApi", FakeHfApi)
    code = cli_main(["convert", "xleprime/SoccerMaster", "--output", str(tmp_path / "out"), "--num-attention-heads",
                     "4", "--tasks", "object-detection", "--push-to-hub", "me/soccermaster-detector"])
    assert code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "object-detection" in out and "https://huggingface.co/me/soccermaster-detector/commit/1" in out
    (commit,) = FakeHfApi.commits
    assert commit["repo_id"] == "me/soccermaster-detector"
    files = commit["files"]
    assert {"config.json", "model.safetensors", "preprocessor_config.json", "video_preprocessor_config.json",
            "modeling_soccermaster_detection.py", "README.md"} <= set(files)
    assert not any(name.startswith(".") for name in files)  # the package's bookkeeping stays local
    card = ModelCard(files["README.md"].decode())
    assert card.data.base_model == "xleprime/SoccerMaster" and card.data.pipeline_tag == "object-detection"
    assert 'pipeline("object-detection", model="me/soccermaster-detector", trust_remote_code=True)' in card.text


def test_cli_convert_errors(hub_cache, tmp_path, parity_dir, capsys):
    # not in the (offline) cache: one clear line, exit code 1
    assert cli_main(["convert", "someone/not-cached", "--output", str(tmp_path / "x")]) == 1
    assert "someone/not-cached: cannot download the release" in capsys.readouterr().err
    assert cli_main(["convert", str(tmp_path / "missing"), "--output", str(tmp_path / "y")]) == 1
    assert "not a Hub repo id" in capsys.readouterr().err
    # several folders and none serves every task: refused before converting
    assert cli_main(["convert", "xleprime/SoccerMaster", "--output", str(tmp_path / "z"), "--tasks", "backbone",
                     "object-detection", "--push-to-hub", "me/x"]) == 1
    assert "none serves every task" in capsys.readouterr().err
    assert not (tmp_path / "z").exists()
    # local folders keep working
    assert cli_main(["convert", str(parity_dir), "--output", str(tmp_path / "local"), "--num-attention-heads", "4",
                     "--tasks", "backbone"]) == 0
    assert (tmp_path / "local" / "backbone" / "preprocessor_config.json").is_file()
