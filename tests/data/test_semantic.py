"""Semantic (1-fps) clips: SoccerSynth writes them in UniSoccer's classification format; the reader counts problems."""

import json

import pytest

from soccermaster_hf.data.semantic import SemanticClips, to_semantic_inputs
from soccermaster_hf.modeling.configuration_soccermaster import EVENT_KEYWORDS
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("semantic") / "synth"
    generate_dataset(out, SynthConfig(clips=1, frames=2, seed=8, width=192, height=108, semantic_clips=3,
                                      semantic_frames=6), progress=False)
    return out


def test_records_follow_the_unisoccer_format(synth):
    records = json.loads((synth / "events" / "classification.json").read_text())
    assert records and set(records[0]) >= {"video", "caption", "comments_text", "comments_text_anonymized"}
    assert all(record["caption"] in EVENT_KEYWORDS for record in records)
    assert all((synth / record["video"]).is_file() for record in records)


def test_reader_and_inputs(synth, tmp_path):
    dataset = SemanticClips(synth, num_frames=6)
    sample = dataset[0]
    assert sample["frames"].shape == (6, 3, 54, 96) and 0 <= sample["label"] < len(EVENT_KEYWORDS)
    inputs = to_semantic_inputs([dataset[0], dataset[1]], 32)
    assert inputs["semantic_pixel_values"].shape == (2, 6, 3, 32, 32) and inputs["event_labels"].shape == (2,)
    records = json.loads((synth / "events" / "classification.json").read_text())
    records.append({"video": "semantic/missing.mp4", "caption": "goal"})
    records.append({"video": records[0]["video"], "caption": "dance"})
    (tmp_path / "list.json").write_text(json.dumps(records))
    counted = SemanticClips(tmp_path / "list.json", num_frames=6, video_root=synth)
    assert len(counted) == len(records) - 2
    assert counted.report.counts == {"missing_video": 1, "unknown_event": 1}
    with pytest.raises(FileNotFoundError):
        SemanticClips(tmp_path / "nothing")


def test_caption_clips_listed_elsewhere_with_absolute_video_paths(synth, tmp_path):
    """A classification JSON written outside the videos' folder (e.g. a benchmark's split file) lists them by absolute
    path: train-commentary reads it (it raised a ValueError traceback from Path.relative_to)."""
    from soccermaster_hf.training.commentary import CommentaryTrainingArguments, load_caption_clips

    records = json.loads((synth / "events" / "classification.json").read_text())
    listed = [{**record, "video": str(synth / record["video"])} for record in records]
    split = tmp_path / "benchmark" / "splits" / "train.json"  # its root (grandparent) does not hold the videos
    split.parent.mkdir(parents=True)
    split.write_text(json.dumps(listed))
    arguments = CommentaryTrainingArguments(train_data=[str(split)], output_dir=str(tmp_path / "o"),
                                            text_model="unused", semantic_frames=4)
    clips = load_caption_clips(arguments.train_data, arguments)
    assert [c["metadata"]["video"] for c in clips] == [r["video"] for r in listed if r["comments_text_anonymized"]]
    relative = load_caption_clips([str(synth)], arguments)
    assert [c["metadata"]["video"] for c in relative] == [r["video"] for r in records if r["comments_text_anonymized"]]


def test_odd_sizes_are_made_even(tmp_path):
    import numpy as np

    from soccermaster_hf.synth.events import Event
    from soccermaster_hf.synth.semantic import render_semantic_clip
    from soccermaster_hf.synth.tracking import procedural_trajectories

    trajectories = procedural_trajectories(seconds=40.0)
    event = Event(500, 20.0, "Throw-in", 0, (0.0, 33.0))
    assert render_semantic_clip(trajectories, event, tmp_path / "clip.mp4", np.random.default_rng(0), num_frames=4,
                                width=201, height=113)
    from soccermaster_hf.processing import probe_video

    info = probe_video(tmp_path / "clip.mp4")
    assert (info.width, info.height, info.num_frames) == (200, 112, 4)
