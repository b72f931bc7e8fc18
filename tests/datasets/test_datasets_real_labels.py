"""The real UniSoccer classification files (SoccerNet-v2 and MatchTime validation) build completely: zero skipped or
repaired records, the per-class counts of the source, and the same records loaded back without our code."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from datasets_helpers import data_files

from soccermaster_hf import EVENT_KEYWORDS
from soccermaster_hf.datasets import SEMANTIC_FEATURES, UniSoccerBuilder, write_dataset

pytestmark = [pytest.mark.real_data, pytest.mark.timeout(300)]

SOCCERNET_V2_VALID = {
    "ball out of play": 5994, "throw in": 2612, "foul with no card": 2136, "free kick": 1718,
    "saved by goal-keeper": 1179, "shot off target": 981, "corner": 815, "clearance": 648, "substitution": 459,
    "off side": 386, "goal": 371, "start of half game": 135, "penalty": 36, "red card": 13, "second yellow card": 8,
}
MATCHTIME_VALID = {
    "corner": 437, "clearance": 400, "shot off target": 360, "foul with no card": 347, "lead to corner": 307,
    "substitution": 249, "saved by goal-keeper": 204, "yellow card": 191, "off side": 155, "goal": 135,
    "ball possession": 120, "injury": 88, "free kick": 63, "penalty": 30, "ball out of play": 26, "red card": 9,
    "throw in": 9, "second yellow card": 7, "start of half game": 3, "show added time": 3, "end of half game": 1,
}
CASES = [("soccernet_v2_classification_valid.json", SOCCERNET_V2_VALID, 17491, False),
         ("matchtime_classification_valid.json", MATCHTIME_VALID, 3144, True)]


@pytest.fixture(scope="module")
def real_builds(shared_dir, tmp_path_factory):
    folder = shared_dir / "data" / "real" / "event_labels"
    builds = {}
    for name, _, _, _ in CASES:
        if not (folder / name).is_file():
            pytest.skip(f"{name} not in shared/data/real/event_labels")
        out = tmp_path_factory.mktemp("real") / name.split(".")[0]
        builds[name] = (folder / name, out, write_dataset(UniSoccerBuilder(folder / name), out, max_shard_size="1MB",
                                                          log=None))
    return builds


@pytest.mark.parametrize("name, expected, total, with_text", CASES)
def test_builds_with_zero_skips_and_the_source_class_counts(real_builds, name, expected, total, with_text):
    import datasets

    path, out, info = real_builds[name]
    source = json.loads(path.read_text())
    assert len(source) == total
    assert info["problems"] == {}  # nothing skipped, nothing repaired
    split = info["configs"]["semantic"]["splits"]["valid"]  # from the file name classification_valid
    assert split["num_records"] == total and len(split["files"]) > 1
    counts = {key[len("label:"):]: value for key, value in split["stats"].items() if key.startswith("label:")}
    assert counts == expected == dict(Counter(entry["caption"] for entry in source))
    # loaded back with plain `datasets`: the same labels, in the source order
    records = datasets.load_dataset("parquet", data_files=data_files(out, "semantic", "valid"), split="train")
    assert records.features == SEMANTIC_FEATURES
    assert records.features["label"].names == EVENT_KEYWORDS
    assert records.features["label"].int2str(records["label"]) == [entry["caption"] for entry in source]
    assert records["video"] == [entry["video"] for entry in source]
    if with_text:
        assert records["caption"] == [entry["comments_text"] for entry in source]
        assert records["caption_anonymized"] == [entry["comments_text_anonymized"] for entry in source]
    # every record says where its samples are: 30 frames at 1 fps through its 30-s clip, and the match time
    first = records[0]
    assert first["frame_times"] == [k + 0.5 for k in range(30)] and first["window_center"] == 15.0
    match = re.search(r"/([12])_(\d+)_(\d+)\.mp4$", source[0]["video"])
    assert (first["half"], first["event_time"]) == (int(match[1]), int(match[2]) * 60 + int(match[3]))
    assert all(half in (1, 2) for half in records["half"])


def test_folder_and_streaming_loads_give_the_same_records(real_builds):
    import datasets

    _, out, _ = real_builds["matchtime_classification_valid.json"]
    by_folder = datasets.load_dataset(str(out), split="valid")
    by_files = datasets.load_dataset("parquet", data_files=data_files(out, "semantic", "valid"), split="train")
    assert by_folder.to_list() == by_files.to_list()
    stream = datasets.load_dataset(str(out), "semantic", split="valid", streaming=True)
    assert stream.num_shards == len(data_files(out, "semantic", "valid"))
    assert list(stream) == by_files.to_list()
