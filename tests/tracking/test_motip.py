"""MOTIP: the ID decoder (causality, masks, relative-time window), the tracking model (loading a detector, saving,
remote code), MOTIP's training batches, the runtime tracker (it learns to keep identities), and train-tracking
(resume after a kill gives the uninterrupted run's weights)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError

from soccermaster_hf import SoccerMasterConfig, SoccerMasterForMultiObjectTracking, SoccerMasterForObjectDetection
from soccermaster_hf.modeling import SoccerMasterIDDecoder, SoccerMasterTrackingConfig
from soccermaster_hf.tracking import make_tracker
from soccermaster_hf.tracking.motip import MOTIPTracker
from soccermaster_hf.training.tracking import match_identities, training_batch

TINY_TRACKING = {"num_ids": 8, "num_layers": 2, "num_attention_heads": 4, "ffn_dim": 64, "history_length": 4}


def tiny_config(**tracking) -> SoccerMasterConfig:
    return SoccerMasterConfig.from_preset("tiny", tracking_config={**TINY_TRACKING, **tracking})


def decoder_inputs(generator, current=3, history=6, width=32):
    return dict(current_features=torch.randn(1, current, width, generator=generator),
                current_times=torch.full((1, current), 5), current_mask=torch.ones(1, current, dtype=torch.bool),
                history_features=torch.randn(1, history, width, generator=generator),
                history_labels=torch.arange(history)[None] % 8,
                history_times=torch.tensor([[0, 2, 3, 4, 5, 6]]), history_mask=torch.ones(1, history, dtype=torch.bool),
                current_boxes=torch.rand(1, current, 4, generator=generator),
                history_boxes=torch.rand(1, history, 4, generator=generator))


def randomised_decoder(config: SoccerMasterTrackingConfig, width: int = 32) -> SoccerMasterIDDecoder:
    decoder = SoccerMasterIDDecoder(config, width).eval()
    with torch.no_grad():
        for parameter in decoder.parameters():
            parameter.normal_(0, 0.3)
    return decoder


def test_id_decoder_is_causal_and_windowed():
    decoder = randomised_decoder(SoccerMasterTrackingConfig(**TINY_TRACKING))
    generator = torch.Generator().manual_seed(0)
    inputs = decoder_inputs(generator)
    logits = decoder(**inputs)
    assert logits.shape == (1, 3, 9) and torch.isfinite(logits).all()
    # history at frames >= the current frame (5, 6) and beyond the 4-frame window (0) is not seen
    changed = {**inputs, "history_features": inputs["history_features"].clone()}
    changed["history_features"][0, [0, 4, 5]] += 5.0
    torch.testing.assert_close(decoder(**changed), logits)
    changed["history_features"][0, 2] += 5.0  # frame 3: inside the window
    assert not torch.allclose(decoder(**changed), logits)
    # a hidden token is not seen either; with nothing visible the zero key keeps the logits finite
    hidden = {**inputs, "history_mask": torch.tensor([[True, True, False, True, True, True]])}
    moved = {**hidden, "history_features": changed["history_features"]}
    torch.testing.assert_close(decoder(**moved), decoder(**hidden))
    nothing = {**inputs, "history_mask": torch.zeros(1, 6, dtype=torch.bool)}
    assert torch.isfinite(decoder(**nothing)).all()
    # self-attention stays within a frame: a detection of another frame does not change the others
    two_frames = {**inputs, "current_times": torch.tensor([[5, 5, 6]])}
    other = {**two_frames, "current_features": two_frames["current_features"].clone()}
    other["current_features"][0, 2] += 5.0
    torch.testing.assert_close(decoder(**other)[0, :2], decoder(**two_frames)[0, :2])
    # the boxes are embedded: a moved box changes the logits; a decoder that embeds boxes needs them
    moved_box = {**inputs, "history_boxes": inputs["history_boxes"] + 0.3}
    assert not torch.allclose(decoder(**moved_box), logits)
    with pytest.raises(ValueError, match="history_boxes"):
        decoder(**{**inputs, "history_boxes": None})


def test_id_decoder_rejects_a_width_the_heads_do_not_divide():
    with pytest.raises(ValueError, match="divisible"):
        SoccerMasterIDDecoder(SoccerMasterTrackingConfig(num_attention_heads=5), 32)
    with pytest.raises(StrictDataclassClassValidationError, match="assignment"):
        SoccerMasterTrackingConfig(assignment="greedy")


def test_tracking_model_starts_from_a_detector_and_round_trips(tmp_path):
    config = tiny_config()
    detector = SoccerMasterForObjectDetection(config)
    detector.save_pretrained(tmp_path / "detector")
    model = SoccerMasterForMultiObjectTracking.from_pretrained(tmp_path / "detector", config=config).eval()
    for key, value in detector.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)
    assert model.id_decoder.relative_time_bias.abs().sum() == 0  # MOTIP: zero-initialised
    assert all(torch.isfinite(p).all() and p.abs().max() < 1e3 for p in model.id_decoder.parameters())
    frames = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        detection = model(pixel_values=frames).detection
        reference = detector.eval()(frames)
    torch.testing.assert_close(detection.pred_boxes, reference.pred_boxes)
    inputs = decoder_inputs(torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits = model(**inputs).id_logits
    model.save_pretrained(tmp_path / "tracking")
    assert (tmp_path / "tracking" / "modeling_soccermaster_tracking.py").is_file()
    loaded = SoccerMasterForMultiObjectTracking.from_pretrained(tmp_path / "tracking").eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**inputs).id_logits, logits)
    out = model(**inputs, id_labels=torch.tensor([[0, 8, -100]]))
    out.loss.backward()
    assert model.id_decoder.id_head.weight.grad is not None and torch.isfinite(out.loss)
    with pytest.raises(ValueError, match="ID-decoder inputs"):
        model(id_labels=torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="unexpected"):
        model(**inputs, not_an_argument=1)


REMOTE_CHILD = """
import runpy, sys, torch
runpy.run_path(sys.argv[2])
from transformers.dynamic_module_utils import get_class_from_dynamic_module
cls = get_class_from_dynamic_module("modeling_soccermaster_tracking.SoccerMasterForMultiObjectTracking", sys.argv[1])
model = cls.from_pretrained(sys.argv[1]).eval()
print("MOTIP-REMOTE-OK", tuple(model(pixel_values=torch.rand(1, 3, 64, 64)).detection.pred_boxes.shape))
"""


def test_tracking_model_loads_as_remote_code(tmp_path):
    SoccerMasterForMultiObjectTracking(tiny_config()).save_pretrained(tmp_path / "tracking")
    blocker = Path(__file__).parents[1] / "hub" / "block_soccermaster.py"
    env = dict(os.environ, HF_MODULES_CACHE=str(tmp_path / "modules"), HF_HUB_OFFLINE="1", PYTHONPATH="")
    result = subprocess.run([sys.executable, "-c", REMOTE_CHILD, str(tmp_path / "tracking"), str(blocker)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MOTIP-REMOTE-OK (1, 30, 4)" in result.stdout


def test_training_batch_targets_follow_motip():
    # identities 7 (frames 0-4), 9 (frames 2-4), 11 (frame 4 only); no augmentation
    frames = torch.tensor([0, 1, 2, 2, 3, 3, 4, 4, 4])
    identities = torch.tensor([7, 7, 7, 9, 7, 9, 7, 9, 11])
    tokens = {"frames": frames, "identities": identities, "features": torch.randn(9, 32), "boxes": torch.rand(9, 4)}
    config = SoccerMasterTrackingConfig(**{**TINY_TRACKING, "num_groups": 3, "sample_length": 5,
                                           "max_sample_stride": 1, "trajectory_occlusion_prob": 0.0,
                                           "trajectory_switch_prob": 0.0})
    batch = training_batch(tokens, config, torch.Generator().manual_seed(0))
    assert batch["id_labels"].shape == (3, 9) and batch["current_features"].shape == (3, 9, 32)
    for group in range(3):
        labels, targets = batch["history_labels"][group], batch["id_labels"][group]
        assert len(set(labels[identities == 7].tolist())) == 1  # one label per identity in a group
        assert len({int(labels[identities == i][0]) for i in (7, 9, 11)}) == 3
        assert targets[0] == -100  # the first frame has no target
        assert targets[3] == config.num_ids and targets[8] == config.num_ids  # first sight: newborn
        assert targets[1] == labels[0] and targets[5] == labels[3]  # seen before: its label
    assert not torch.equal(batch["history_labels"][0], batch["history_labels"][1])  # independent permutations
    # occlusion hides tokens and makes re-appearances newborn; a switch swaps features within a frame only
    occluded = training_batch(tokens, SoccerMasterTrackingConfig(**{**config.to_dict(), "trajectory_occlusion_prob": 1.0,
                                                                    "trajectory_switch_prob": 1.0}),
                              torch.Generator().manual_seed(0))
    assert (~occluded["history_mask"]).any()
    for group in range(3):
        history = occluded["history_features"][group]
        for frame in frames.unique():
            own = (frames == frame).nonzero().flatten()
            assert sorted(history[own].sum(1).tolist()) == pytest.approx(sorted(tokens["features"][own].sum(1).tolist()))


def test_match_identities_is_one_to_one_above_the_iou():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], float)
    truth = np.array([[0, 0, 10, 10], [100, 100, 110, 110]], float)
    assert match_identities(boxes, truth, np.array([4, 5]), 0.5).tolist() == [4, -1, -1]
    assert match_identities(np.zeros((0, 4)), truth, np.array([4, 5]), 0.5).tolist() == []


def _trained_toy_tracker(steps: int = 250) -> tuple[SoccerMasterForMultiObjectTracking, torch.Tensor]:
    """An ID decoder trained on toy tokens: each identity a fixed random vector plus noise."""
    torch.manual_seed(0)
    model = SoccerMasterForMultiObjectTracking(tiny_config(history_length=6, sample_length=8, num_groups=4))
    config = model.config.tracking_config
    people = torch.randn(6, 32)
    frames = torch.arange(20).repeat_interleave(6)
    identities = torch.arange(6).repeat(20)
    tokens = {"frames": frames, "identities": identities, "boxes": torch.full((len(frames), 4), 0.5),
              "features": people[identities] + 0.1 * torch.randn(len(frames), 32)}
    optimizer = torch.optim.AdamW(model.id_decoder.parameters(), lr=3e-3)
    for step in range(steps):
        batch = training_batch(tokens, config, torch.Generator().manual_seed(step))
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.eval(), people


def test_motip_tracker_keeps_identities_it_learned():
    model, people = _trained_toy_tracker()
    tracker = make_tracker("motip", model=model, image_size=(20, 40))
    assert isinstance(tracker, MOTIPTracker)
    generator = torch.Generator().manual_seed(5)
    boxes = np.tile(np.array([[0.0, 0.0, 10.0, 20.0]]), (6, 1))
    first = None
    for frame in range(12):
        order = torch.randperm(6, generator=generator)
        features = (people[order] + 0.1 * torch.randn(6, 32, generator=generator)).numpy()
        ids = tracker.update(frame, boxes, features, np.full(6, 0.9))
        by_person = dict(zip(order.tolist(), ids))
        if first is None:
            first = by_person
            assert sorted(ids) == [1, 2, 3, 4, 5, 6]
        else:
            assert by_person == first, f"frame {frame}"
    # below the detection threshold: not tracked; an empty frame is fine; wrong embeddings are refused clearly
    assert tracker.update(12, boxes[:1], people[:1].numpy(), np.array([0.2])) == [0]
    assert tracker.update(13, np.zeros((0, 4)), np.zeros((0, 32)), np.zeros(0)) == []
    with pytest.raises(ValueError, match="embedding"):
        tracker.update(14, boxes, np.zeros((6, 7)), np.full(6, 0.9))
    with pytest.raises(ValueError, match="embedding"):
        tracker.update(14, boxes, None, np.full(6, 0.9))


def test_motip_tracker_recycles_labels_never_ids_and_hungarian_agrees():
    model, people = _trained_toy_tracker(steps=150)
    for assignment in ("object-max", "hungarian"):
        tracker = MOTIPTracker(model, assignment=assignment, image_size=(20, 40))
        box = np.array([[0.0, 0.0, 10.0, 20.0]])
        assert tracker.update(0, box, people[:1].numpy(), np.array([0.9])) == [1]
        assert tracker.update(1, box, people[:1].numpy(), np.array([0.9])) == [1]
        # unseen for longer than history_length (6 frames): dropped, its label recycled, a new id
        assert tracker.update(20, box, people[:1].numpy(), np.array([0.9])) == [2]
        assert len(tracker.free_labels) == model.config.tracking_config.num_ids - 1
    with pytest.raises(ValueError, match="no ID decoder"):
        make_tracker("motip", model=torch.nn.Linear(1, 1))
    with pytest.raises(ValueError, match="id_threshold"):
        MOTIPTracker(model, id_threshold=2.0, image_size=(20, 40))
    with pytest.raises(ValueError, match="image_size"):
        MOTIPTracker(model)


@pytest.fixture(scope="module")
def tracking_clips(tmp_path_factory):
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    out = tmp_path_factory.mktemp("motip-clips")
    generate_dataset(out, SynthConfig(clips=1, frames=8, seed=3, tracking="procedural", width=192, height=108),
                     progress=False)
    detector = tmp_path_factory.mktemp("motip-detector")
    torch.manual_seed(0)
    SoccerMasterForObjectDetection(SoccerMasterConfig.from_preset("tiny")).save_pretrained(detector)
    return out, detector


def _train(clips, detector, output, steps, **extra):
    from soccermaster_hf.training.tracking import TrackingTrainingArguments, train_tracking

    overrides = '{"num_ids": 8, "num_layers": 1, "num_attention_heads": 4, "ffn_dim": 32, "detection_threshold": 0.0, ' \
                '"sample_length": 4, "num_groups": 2}'
    args = TrackingTrainingArguments(train_data=[str(clips)], output_dir=str(output), init_from=str(detector),
                                     max_steps=steps, match_iou=0.05, tracking_config=overrides, warmup_steps=1,
                                     log_every=1, checkpoint_every=2, progress=False, **extra)
    return train_tracking(args)


class Killed(BaseException):
    pass


def test_train_tracking_resumes_to_the_uninterrupted_weights(tracking_clips, tmp_path, monkeypatch):
    import soccermaster_hf.training.tracking as training

    clips, detector = tracking_clips
    straight = _train(clips, detector, tmp_path / "straight", 4)
    save = training._save_checkpoint

    def save_then_die(output_dir, step, *args, **kwargs):
        save(output_dir, step, *args, **kwargs)
        raise Killed  # the process dies right after its step-2 checkpoint ...

    monkeypatch.setattr(training, "_save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        _train(clips, detector, tmp_path / "resumed", 4)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    assert not (tmp_path / "resumed" / "final").exists()
    resumed = _train(clips, detector, tmp_path / "resumed", 4)  # ... and the same command runs again
    a = SoccerMasterForMultiObjectTracking.from_pretrained(straight).state_dict()
    b = SoccerMasterForMultiObjectTracking.from_pretrained(resumed).state_dict()
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=lambda m, key=key: f"{key}: {m}")
    detector_state = SoccerMasterForObjectDetection.from_pretrained(detector).state_dict()
    for key, value in detector_state.items():  # the detector stays frozen
        torch.testing.assert_close(a[key], value, rtol=0, atol=0)
    rows = (tmp_path / "resumed" / "metrics.csv").read_text().splitlines()
    assert rows[0] == "step,loss,id_accuracy,lr" and [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert len(list((tmp_path / "straight" / "tokens").glob("*.safetensors"))) == 1


def test_train_tracking_bad_input_is_one_clear_error(tracking_clips, tmp_path):
    from soccermaster_hf.training.tracking import TrackingTrainingArguments

    clips, detector = tracking_clips
    with pytest.raises(FileNotFoundError, match="no such folder"):
        _train(tmp_path / "missing", detector, tmp_path / "out", 1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no SoccerNet-GSR clip"):
        _train(tmp_path / "empty", detector, tmp_path / "out", 1)
    with pytest.raises(ValueError, match="not JSON"):
        TrackingTrainingArguments(train_data=[str(clips)], output_dir=str(tmp_path / "o"), tracking_config="{x")
    with pytest.raises(ValueError, match="max_steps"):
        TrackingTrainingArguments(train_data=[str(clips)], output_dir=str(tmp_path / "o"), max_steps=0)


def _snmot_only(clips: Path, target: Path) -> Path:
    """A copy of the SoccerSynth clips as SNMOT sequences only (SoccerSynth writes both formats)."""
    import shutil

    shutil.copytree(clips, target)
    for gsr in target.rglob("Labels-GameState.json"):
        gsr.unlink()
    return target


def test_snmot_sequences_give_the_same_training_tokens(tracking_clips, tmp_path):
    """SoccerNet's tracking sequences (gt/gt.txt + seqinfo.ini, no Labels-GameState.json) train the ID decoder: the
    tokens equal those read from the same clip's GSR labels (identities the same up to renaming; the ball left out)."""
    from soccermaster_hf.evaluation.tracking_ground_truth import ground_truth_frames, snmot_ground_truth_frames
    from soccermaster_hf.processing import SoccerMasterImageProcessor
    from soccermaster_hf.training.tracking import clip_folders, clip_tokens, load_tracking_model

    clips, detector = tracking_clips
    snmot = _snmot_only(clips, tmp_path / "snmot")
    (gsr_clip,), (snmot_clip,) = clip_folders([str(clips)]), clip_folders([str(snmot)])
    gsr_truth, _ = ground_truth_frames(gsr_clip, include_ball=False)
    snmot_truth, image_dir = snmot_ground_truth_frames(snmot_clip, include_ball=False)
    assert image_dir == snmot_clip / "img1" and len(snmot_truth) == len(gsr_truth) == 8
    for a, b in zip(gsr_truth, snmot_truth):
        assert [d.track_id for d in a.detections] == [d.track_id for d in b.detections]
        np.testing.assert_allclose([d.box for d in a.detections], [d.box for d in b.detections], atol=0.01)
    with_ball, _ = snmot_ground_truth_frames(snmot_clip)
    assert sum(len(f.detections) for f in with_ball) > sum(len(f.detections) for f in snmot_truth)

    model = load_tracking_model(str(detector), {"num_ids": 8, "num_layers": 1, "num_attention_heads": 4,
                                                "ffn_dim": 32, "detection_threshold": 0.0}).eval()
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    a = clip_tokens(gsr_clip, model, processor, 0.0, 0.05, 4)
    b = clip_tokens(snmot_clip, model, processor, 0.0, 0.05, 4)
    assert a.keys() == b.keys() and len(a["frames"]) > 0
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    final = _train(snmot, detector, tmp_path / "run", 2)
    assert (final / "model.safetensors").is_file()


def test_malformed_snmot_sequences_are_counted_skips(tracking_clips, tmp_path, capsys):
    from soccermaster_hf.evaluation.tracking_ground_truth import snmot_ground_truth_frames

    clips, detector = tracking_clips
    snmot = _snmot_only(clips, tmp_path / "snmot")
    (clip,) = [p.parent.parent for p in snmot.rglob("gt/gt.txt")]
    gt, info = clip / "gt" / "gt.txt", clip / "seqinfo.ini"
    original_gt, original_info = gt.read_text(), info.read_text()
    for bad_row in ("1,2,nan,3,4,5,1,-1,-1,-1", "0,2,1,3,4,5", "99,2,1,3,4,5", "1,2,1,3,-4,5", "1,x,1,3,4,5", "1,2,3"):
        gt.write_text(original_gt + bad_row + "\n")
        with pytest.raises(ValueError, match=r"gt\.txt: line \d+: expected"):
            snmot_ground_truth_frames(clip)
    gt.write_text(original_gt + "1,77,10,10,5,5,0,-1,-1,-1\n")  # confidence 0: not ground truth
    assert all(d.track_id != 77 for f in snmot_ground_truth_frames(clip)[0] for d in f.detections)
    for bad_info in ("[Sequence]\nseqLength=ten\n", "[Sequence]\nseqLength=0\n", "no section\n", "[Other]\nx=1\n"):
        info.write_text(bad_info)
        with pytest.raises(ValueError, match="seqinfo.ini"):
            snmot_ground_truth_frames(clip)
    # in training, the broken sequence is a printed, counted skip; with nothing else left, one clear error
    gt.write_text(original_gt + "1,x,1,3,4,5\n")
    info.write_text(original_info)
    with pytest.raises(ValueError, match="no usable tracking clip"):
        _train(snmot, detector, tmp_path / "run", 1)
    out = capsys.readouterr().out
    assert "skipped" in out and "gt.txt: line" in out
