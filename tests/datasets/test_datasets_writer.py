"""The dataset folder: size-bounded shards, card and meta/info.json, resume after a kill, idempotent reruns, the
output-folder guard, the upload (mocked Hub API) and the `soccermaster dataset build` command."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pyarrow.parquet as pq
import pytest
import yaml

from soccermaster_hf.cli.main import main
from soccermaster_hf.datasets import GSRBuilder, SynthBuilder, push_to_hub, write_dataset
from soccermaster_hf.datasets.writer import STATE_FILE
from soccermaster_hf.utils.io import OutputFolderError

pytestmark = pytest.mark.timeout(300)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".soccermaster.json"}


def test_shards_are_size_bounded_and_described(synth_dir, tmp_path):
    info = write_dataset(GSRBuilder(synth_dir, clip_length=1), tmp_path / "out", max_shard_size="12KB", log=None)
    split = info["configs"]["spatial"]["splits"]["train"]
    assert split["num_records"] == 16 and len(split["files"]) > 2
    for name in split["files"]:
        table = pq.read_table(tmp_path / "out" / name)
        assert table.nbytes <= 12_000 or table.num_rows == 1  # the bound is on the uncompressed Arrow size
        assert b"huggingface" in pq.read_schema(tmp_path / "out" / name).metadata  # features travel with the file
    assert info["schema_version"] == "1.0" and info["media_root"] == "source" and info["license"] == "other"
    assert split["stats"]["records"] == 16 and split["stats"]["frames"] == 16 and split["stats"]["role:player"] > 0
    card = (tmp_path / "out" / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["configs"] == [{"config_name": "spatial", "data_files": [
        {"split": "train", "path": "data/spatial/train/*.parquet"}], "default": True}]
    assert header["license"] == "other" and "soccer" in header["tags"]
    features = {f["name"] for f in header["dataset_info"]["features"]}
    assert {"record_id", "frames", "width", "video"} <= features
    assert "SoccerNet NDA" in card and "soccermaster dataset build" in card and str(tmp_path) not in card


class Killed(Exception):
    pass


def test_a_killed_build_resumes_at_its_open_shard_and_ends_identical(synth_dir, tmp_path):
    reference = tmp_path / "reference"
    write_dataset(SynthBuilder(synth_dir, clip_length=1), reference, max_shard_size="12KB", log=None)
    builder = SynthBuilder(synth_dir, clip_length=1)
    original, calls, produced = builder.records, [], []

    def dying(unit, context):
        calls.append(unit.key)
        for item in original(unit, context):
            produced.append(item)
            if len(produced) == 18:  # in the semantic clips, with the second clip's last shard open
                raise Killed
            yield item

    builder.records = dying
    target = tmp_path / "resumed"
    with pytest.raises(Killed):
        write_dataset(builder, target, max_shard_size="12KB", log=None)
    state = json.loads((target / STATE_FILE).read_text())
    assert not state["complete"]
    written = {p: p.stat().st_mtime_ns for p in target.rglob("*.parquet")}
    assert len(written) >= 3
    start = min(stream["resume"][0] for stream in state["streams"].values())
    assert start >= 1  # the first clip is wholly in finished shards
    resumed = SynthBuilder(synth_dir, clip_length=1)
    original, calls = resumed.records, []

    def counting(unit, context):
        calls.append(unit.key)
        yield from original(unit, context)

    resumed.records = counting
    lines = []
    write_dataset(resumed, target, max_shard_size="12KB", log=lines.append)
    keys = [unit.key for unit in resumed.units()]
    assert calls == keys[start:]  # earlier units are not read again
    assert any(f"resuming at unit {start + 1}" in line for line in lines)
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in written.items())  # finished shards are not rewritten
    assert _files(target) == _files(reference)


def test_a_rerun_is_idempotent_and_a_changed_source_rebuilds(synth_dir, tmp_path):
    import shutil

    source = tmp_path / "synth"
    shutil.copytree(synth_dir, source)
    out = tmp_path / "out"
    write_dataset(GSRBuilder(source, clip_length=2), out, max_shard_size="12KB", log=None)
    before = _files(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    lines = []
    write_dataset(GSRBuilder(source, clip_length=2), out, max_shard_size="12KB", log=lines.append)
    assert _files(out) == before and {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == mtimes
    assert "already built" in lines[0]
    shutil.rmtree(source / "SNGS-002")  # fewer inputs: fewer shards, the stale ones are removed
    info = write_dataset(GSRBuilder(source, clip_length=2), out, max_shard_size="12KB", log=None)
    files = info["configs"]["spatial"]["splits"]["train"]["files"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet")) == sorted(files)
    assert info["configs"]["spatial"]["splits"]["train"]["num_records"] == 4


def test_the_output_folder_guard(synth_dir, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputFolderError, match="not empty"):
        write_dataset(GSRBuilder(synth_dir), foreign, log=None)
    write_dataset(GSRBuilder(synth_dir), foreign, overwrite=True, log=None)
    assert (foreign / "notes.txt").read_text() == "mine"  # never deleted
    with pytest.raises(OutputFolderError, match="source"):
        write_dataset(GSRBuilder(synth_dir), synth_dir / "dataset", log=None)


def test_push_to_hub_uploads_the_folder_without_the_resume_state(synth_dir, tmp_path):
    out = tmp_path / "out"
    write_dataset(GSRBuilder(synth_dir, clip_length=4), out, log=None)
    api = mock.MagicMock()
    api.create_repo.return_value.repo_id = "user/soccer-gsr"
    api.upload_folder.return_value.commit_url = "https://huggingface.co/datasets/user/soccer-gsr/commit/abc"
    url = push_to_hub(out, "user/soccer-gsr", private=True, api=api)
    assert url.endswith("/commit/abc")
    api.create_repo.assert_called_once_with("user/soccer-gsr", repo_type="dataset", private=True, exist_ok=True)
    kwargs = api.upload_folder.call_args.kwargs
    assert kwargs["repo_id"] == "user/soccer-gsr" and kwargs["repo_type"] == "dataset"
    assert kwargs["folder_path"] == str(out) and STATE_FILE in kwargs["ignore_patterns"]
    with pytest.raises(FileNotFoundError, match="not a built dataset"):
        push_to_hub(tmp_path, "user/x", api=api)


def test_the_command(synth_dir, tmp_path, capsys):
    out = tmp_path / "out"
    with mock.patch("huggingface_hub.HfApi") as hf_api:
        hf_api.return_value.create_repo.return_value.repo_id = "user/synth"
        code = main(["dataset", "build", str(synth_dir), "--format", "synth", "--out", str(out), "--clip-length", "4",
                     "--max-shard-size", "20KB", "--no-progress", "--push-to-hub", "user/synth"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "spatial/train: 4 records" in printed and "semantic/train: 3 records" in printed
    assert hf_api.return_value.upload_folder.call_args.kwargs["folder_path"] == str(out)
    info = json.loads((out / "meta" / "info.json").read_text())
    assert info["video_path"] and info["options"]["clip_length"] == 4
    assert "--clip-length 4" in (out / "README.md").read_text()
    assert main(["dataset", "build", str(synth_dir), "--format", "nope", "--out", str(out)]) == 2
    assert main(["dataset", "build", str(synth_dir / "missing"), "--format", "gsr", "--out", str(tmp_path / "o")]) == 1
    assert "missing: no such file or folder" in capsys.readouterr().err
