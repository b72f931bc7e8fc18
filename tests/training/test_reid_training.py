"""`soccermaster train-reid`: crops from annotated clips (GSR and SNMOT), identity batches, resume after a kill gives
the uninterrupted run's weights, and bad input is one clear error."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from soccermaster_hf import SoccerMasterForReIdentification
from soccermaster_hf.processing import SoccerMasterReIdProcessor
from soccermaster_hf.training.reid import ReIdTrainingArguments, jittered_boxes, train_reid, training_batch

TINY = '{"channels": [8, 16], "embedding_size": 16, "crop_height": 16, "crop_width": 8}'


def _train(data, output, steps, **extra):
    arguments = dict(train_data=[str(data)], output_dir=str(output), max_steps=steps, checkpoint_every=2,
                     log_every=1, warmup_steps=1, reid_config=TINY, min_box_height=4.0, frame_stride=1,
                     identities_per_batch=4, progress=False)
    return train_reid(ReIdTrainingArguments(**{**arguments, **extra}))


class Killed(Exception):
    pass


def test_train_reid_resumes_to_the_uninterrupted_weights(clips, tmp_path, monkeypatch):
    import soccermaster_hf.training.reid as training

    straight = _train(clips, tmp_path / "straight", 4)
    save = training._save_checkpoint

    def save_then_die(output_dir, step, *args, **kwargs):
        save(output_dir, step, *args, **kwargs)
        raise Killed  # the process dies right after its step-2 checkpoint ...

    monkeypatch.setattr(training, "_save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        _train(clips, tmp_path / "resumed", 4)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    assert not (tmp_path / "resumed" / "final").exists()
    resumed = _train(clips, tmp_path / "resumed", 4)  # ... and the same command runs again
    a = SoccerMasterForReIdentification.from_pretrained(straight).state_dict()
    b = SoccerMasterForReIdentification.from_pretrained(resumed).state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=lambda m, key=key: f"{key}: {m}")
    fresh = SoccerMasterForReIdentification(SoccerMasterForReIdentification.from_pretrained(straight).config)
    assert any(not torch.equal(a[k], fresh.state_dict()[k]) for k in a if k.endswith("weight"))  # it trained
    rows = (tmp_path / "resumed" / "metrics.csv").read_text().splitlines()
    assert rows[0] == "step,loss,lr" and [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert len(list((tmp_path / "straight" / "crops").glob("*.safetensors"))) == 2


def test_snmot_sequences_give_the_same_crops(clips, tmp_path):
    from safetensors.torch import load_file

    _train(clips, tmp_path / "gsr", 1)
    snmot = shutil.copytree(clips, tmp_path / "snmot-data")
    for gsr in snmot.rglob("Labels-GameState.json"):
        gsr.unlink()
    _train(snmot, tmp_path / "snmot", 1)
    for a, b in zip(sorted((tmp_path / "gsr" / "crops").iterdir()), sorted((tmp_path / "snmot" / "crops").iterdir())):
        x, y = load_file(str(a)), load_file(str(b))
        # SNMOT has no roles: its ball tracklets are left out by gameinfo.ini, the same athletes remain
        assert torch.equal(x["identities"], y["identities"]) and torch.equal(x["crops"], y["crops"])


def test_batches_hold_several_crops_of_each_identity():
    clip = {"crops": torch.zeros(9, 3, 16, 8, dtype=torch.uint8), "identities": torch.tensor([1, 1, 1, 2, 2, 3, 4, 4, 4]),
            "frames": torch.arange(9)}
    processor = SoccerMasterReIdProcessor(16, 8)
    batch = training_batch(clip, processor, identities=2, per_identity=3, generator=torch.Generator().manual_seed(0))
    labels = batch["labels"].tolist()
    assert len(labels) == 6 and len(set(labels)) == 2 and 3 not in labels  # identity 3 has a single crop
    assert all(labels.count(label) == 3 for label in set(labels))
    assert batch["pixel_values"].shape == (6, 3, 16, 8)
    lonely = {**clip, "identities": torch.tensor([1, 1, 2, 3, 4, 5, 6, 7, 8])}
    assert training_batch(lonely, processor, 4, 2, torch.Generator()) is None


def test_jittered_boxes_move_by_the_asked_fraction():
    boxes = np.tile([[100.0, 100.0, 120.0, 160.0]], (4000, 1))
    moved = jittered_boxes(boxes, 0.05, np.random.default_rng(0))
    centre_y = (moved[:, 1] + moved[:, 3]) / 2
    assert np.std(centre_y - 130.0) == pytest.approx(0.05 * 60, rel=0.1)
    np.testing.assert_array_equal(jittered_boxes(boxes, 0.0, np.random.default_rng(0)), boxes)


def test_train_reid_bad_input_is_one_clear_error(clips, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        _train(tmp_path / "missing", tmp_path / "out", 1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no SoccerNet-GSR clip"):
        _train(tmp_path / "empty", tmp_path / "out", 1)
    base = dict(train_data=[str(clips)], output_dir=str(tmp_path / "o"))
    for fields, message in [({"reid_config": "{x"}, "not JSON"), ({"reid_config": "[1]"}, "JSON object"),
                            ({"reid_config": '{"colour": 1}'}, "unknown field"),
                            ({"reid_config": '{"crop_height": 2}'}, "crop_height"),
                            ({"reid_config": "{}", "init_from": "x"}, "only for a new network"),
                            ({"max_steps": 0}, "max_steps"), ({"crops_per_identity": 1}, "crops_per_identity"),
                            ({"box_jitter": 0.9}, "box_jitter")]:
        with pytest.raises(ValueError, match=message):
            ReIdTrainingArguments(**base, **fields)
    with pytest.raises(ValueError, match="no usable clip"):  # boxes far taller than any athlete: nothing to crop
        _train(clips, tmp_path / "tall", 1, min_box_height=500.0)
