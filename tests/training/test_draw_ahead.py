"""`soccermaster train --dataloader-num-workers N`: the draws decoded ahead in DataLoader workers are the in-process
draws exactly (samples, augmentations, epochs, cursors, positions, counted problems), across epochs and resumes."""

from __future__ import annotations

import json
import pickle
import shutil
from types import SimpleNamespace

import pytest
import torch

from soccermaster_hf.data.augment import ClipAugmentation
from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips
from soccermaster_hf.training.pretrain import TrainingArguments, validate_fields
from soccermaster_hf.training.samples import DrawAhead, Samples, SeededAugmentation

pytestmark = pytest.mark.timeout(300)
ONE_PROCESS = SimpleNamespace(process_index=0, num_processes=1)


def assert_same(a, b, path="sample"):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, path
        assert torch.equal(a, b), f"{path}: values differ"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{index}]")
    else:
        assert a == b, (path, a, b)


@pytest.fixture(scope="module")
def damaged(clips, tmp_path_factory):
    """The training clips with one frame file missing (a counted `unreadable_frame` problem when drawn)."""
    out = tmp_path_factory.mktemp("damaged") / "synth"
    shutil.copytree(clips, out)
    victim = sorted(out.rglob("img1/*.jpg"))[3]
    victim.unlink()
    return out


@pytest.fixture(scope="module")
def built(damaged, tmp_path_factory):
    from soccermaster_hf.datasets import GSRBuilder, write_dataset

    out = tmp_path_factory.mktemp("draw-ahead") / "gsr"
    write_dataset(GSRBuilder(damaged, clip_length=2), out, max_shard_size="2KB", log=None)
    return out


def _samples(kind, damaged, built, workers):
    augmentation = SeededAugmentation(ClipAugmentation(), 42)
    if kind == "raw folders":
        clips = SoccerNetGSRClips([damaged], clip_length=2, max_size=192)
        return Samples(clips, 7, ONE_PROCESS, reports=[clips.report], transform=augmentation, workers=workers)
    from soccermaster_hf.datasets import open_clips

    stream = open_clips(built, "spatial", streaming=True, media_root=damaged, max_size=192, seed=7)
    return Samples(stream, 7, ONE_PROCESS, streaming=True, reports=[stream.report], transform=augmentation,
                   workers=workers)


@pytest.mark.parametrize("kind", ["raw folders", "built dataset, streaming"])
def test_workers_draw_exactly_the_in_process_samples(damaged, built, kind):
    reference, ahead = _samples(kind, damaged, built, 0), _samples(kind, damaged, built, 2)
    if kind != "raw folders":
        assert reference.dataset.num_shards >= 2
    count = 2 * len(reference) + 3  # crosses two epochs
    for step in range(count):
        expected, actual = reference.draw(), ahead.draw()
        assert expected[1:] == actual[1:], step  # epoch, cursor
        assert_same(expected[0], actual[0], f"draw {step}")
        assert ahead.local_state() == reference.local_state() and ahead.epoch == reference.epoch == expected[1]
    assert reference.epoch == 2
    # the missing frame was met in the workers: its problems reach this process's report, counted as in-process
    assert reference.reports[0].counts["unreadable_frame"] > 0
    assert ahead.reports[0].counts == reference.reports[0].counts
    assert ahead.reports[0].messages == reference.reports[0].messages

    # a checkpoint keeps the consumed position (not the workers' read-ahead one); resuming with workers continues
    state = json.loads(json.dumps(ahead.local_state()))
    resumed = _samples(kind, damaged, built, 2)
    resumed.load([state] if resumed.streaming else state)
    after = [reference.draw() for _ in range(3)]
    for step, expected in enumerate(after):
        actual = resumed.draw()
        assert expected[1:] == actual[1:]
        assert_same(expected[0], actual[0], f"resumed draw {step}")
    # stopping the workers leaves the position at the last consumed draw: drawing in-process continues from there
    resumed.close()
    resumed.workers = 0
    expected, actual = reference.draw(), resumed.draw()
    assert expected[1:] == actual[1:]
    assert_same(expected[0], actual[0], "after close")


def test_draw_ahead_pickles_for_spawned_workers(damaged, built):
    """Platforms without fork (macOS, Windows, Python 3.14's forkserver) pickle the dataset into each worker: the
    copy holds no accelerator, iterator or open shard, and continues from the same position."""
    for kind in ("raw folders", "built dataset, streaming"):
        samples = _samples(kind, damaged, built, 0)
        samples.draw()
        copy = pickle.loads(pickle.dumps(DrawAhead(samples))).samples
        assert copy.accelerator is None and copy.local_state() == samples.local_state()
        large, blob = next(iter(DrawAhead(copy)))
        expected, actual = samples.draw(), pickle.loads(blob)
        assert expected[1:] == actual[1:3] and set(large) == {"frames"}
        assert_same(expected[0], {**actual[0], **large})


def test_dataloader_num_workers_is_validated():
    with pytest.raises(ValueError, match="dataloader_num_workers must be >= 0"):
        validate_fields(TrainingArguments(train_dirs=["x"], output_dir="y", dataloader_num_workers=-1))
    with pytest.raises(ValueError, match="and <= 64"):
        validate_fields(TrainingArguments(train_dirs=["x"], output_dir="y", dataloader_num_workers=1000))


class _Broken(torch.utils.data.Dataset):
    """Clip 3 cannot be read."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        if index == 3:
            raise FileNotFoundError(f"clip {index}: frame 000001.jpg is missing")
        return {"frames": torch.full((1, 3, 4, 4), float(index))}


@pytest.mark.parametrize("workers", [0, 2])
def test_a_worker_error_is_raised_as_itself(workers):
    """An error while decoding in a worker reaches the training process as the same exception and message (the CLI
    prints it as one line), not as a DataLoader traceback."""
    samples = Samples(_Broken(), 0, ONE_PROCESS, workers=workers)
    with pytest.raises(FileNotFoundError) as caught:
        for _ in range(10):
            samples.draw()
    assert str(caught.value) == "clip 3: frame 000001.jpg is missing"
    assert samples.local_state()["epoch"] == 0 and samples._ahead is None  # the workers are stopped


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_corrupt_shard_is_one_line_naming_its_file(damaged, built, tmp_path, capsys, workers, damage_middle):
    """`soccermaster train --streaming` over a dataset with a damaged Parquet shard: exit 1 and one line naming the
    shard, whether the records are read in the training process or ahead in workers."""
    from soccermaster_hf.cli.main import main

    copy = tmp_path / "gsr"
    shutil.copytree(built, copy)
    victim = damage_middle(sorted((copy / "data").rglob("*.parquet"))[-1])
    code = main(["train", str(copy), "--media-root", str(damaged), "--streaming", "--output", str(tmp_path / "run"),
                 "--max-steps", "40", "--clip-length", "2", "--max-frame-size", "96", "--no-progress",
                 "--dataloader-num-workers", workers])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and error[-1].startswith(f"error: {victim}: unreadable records ("), error[-3:]
    assert "Traceback" not in "\n".join(error)
