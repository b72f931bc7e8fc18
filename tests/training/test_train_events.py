"""`soccermaster train-events`: the event head (and the attention-pooling head) trained on a frozen backbone from
cached clip features; it learns, resumes after a kill to the uninterrupted run's weights, leaves every other weight
bit-identical, reuses its cache, and refuses bad input with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from soccermaster_hf.modeling import SoccerMasterConfig, SoccerMasterForPreTraining
from soccermaster_hf.processing import SoccerMasterImageProcessor
from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", HF_HUB_OFFLINE="1")


@pytest.fixture(scope="module")
def semantic_clips(tmp_path_factory):
    """Procedural SoccerSynth 1-fps event clips (6 frames each)."""
    out = tmp_path_factory.mktemp("events") / "synth"
    generate_dataset(out, SynthConfig(clips=1, frames=2, seed=3, width=192, height=108, tracking="procedural",
                                      semantic_clips=6, semantic_frames=6), progress=False)
    return out


@pytest.fixture(scope="module")
def base_model(tmp_path_factory):
    torch.manual_seed(0)
    model = SoccerMasterForPreTraining(SoccerMasterConfig.from_preset("tiny", num_frames=4))
    path = tmp_path_factory.mktemp("base") / "model"
    model.save_pretrained(path)
    return path


def _train(data, base, output, steps, **extra):
    from soccermaster_hf.training.events import EventTrainingArguments, train_events

    args = EventTrainingArguments(train_data=[str(data)], output_dir=str(output), init_from=str(base),
                                  max_steps=steps, num_frames=4, batch_size=4, warmup_steps=1, learning_rate=3e-3,
                                  log_every=1, checkpoint_every=2, progress=False, **extra)
    return train_events(args)


class Killed(BaseException):
    pass


def test_the_heads_learn_and_nothing_else_moves(semantic_clips, base_model, tmp_path):
    from soccermaster_hf.training.events import cached_features, evaluate_events, load_event_model

    final = _train(semantic_clips, base_model, tmp_path / "run", 40, eval_data=[str(semantic_clips)],
                   train_pooling=True)
    before = SoccerMasterForPreTraining.from_pretrained(base_model).state_dict()
    after = SoccerMasterForPreTraining.from_pretrained(final).state_dict()
    trained = [key for key in after if key.startswith(("event_head.", "vision_model.head."))]
    assert trained and any(not torch.equal(before[key], after[key]) for key in trained)
    for key, value in before.items():
        if key not in trained:
            torch.testing.assert_close(after[key], value, rtol=0, atol=0, msg=lambda m, key=key: f"{key}: {m}")
    results = json.loads((final / "event_results.json").read_text())
    assert results["clips"] >= 2 and sum(sum(row.values()) for row in results["confusion"].values()) == results["clips"]
    # the training clips themselves: the heads fit them (a random head is at chance among their classes)
    model = load_event_model(str(final))
    size = SoccerMasterImageProcessor.from_model_config(model.config).size.height
    data = cached_features(str(semantic_clips), model, "x", tmp_path / "cache", 4, size, True, progress=False)
    assert evaluate_events(model, data, True)["accuracy"] == pytest.approx(results["accuracy"])
    assert results["accuracy"] == 1.0
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert rows[0] == "step,loss,train_accuracy,eval_accuracy,lr" and len(rows) == 41


def test_kill_and_resume_gives_the_same_weights(semantic_clips, base_model, tmp_path, monkeypatch):
    import soccermaster_hf.training.events as training

    straight = _train(semantic_clips, base_model, tmp_path / "straight", 4)
    save = training._save_checkpoint

    def save_then_die(output_dir, step, *args, **kwargs):
        save(output_dir, step, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(training, "_save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        _train(semantic_clips, base_model, tmp_path / "resumed", 4)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    assert not (tmp_path / "resumed" / "final").exists()
    cache = sorted((tmp_path / "resumed" / "features").glob("*.safetensors"))
    assert len(cache) == 1
    stamp = cache[0].stat().st_mtime_ns
    resumed = _train(semantic_clips, base_model, tmp_path / "resumed", 4)
    assert cache[0].stat().st_mtime_ns == stamp  # the cache was reused, not re-encoded
    a = SoccerMasterForPreTraining.from_pretrained(straight).state_dict()
    b = SoccerMasterForPreTraining.from_pretrained(resumed).state_dict()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=lambda m, key=key: f"{key}: {m}")
    # by default (no --train-pooling) only the event head moves
    base = SoccerMasterForPreTraining.from_pretrained(base_model).state_dict()
    assert all(torch.equal(a[key], base[key]) for key in a if key.startswith("vision_model.head."))
    rows = (tmp_path / "resumed" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4"]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "soccermaster_hf.cli.main", "train-events", *map(str, args)],
                          env=ENV, capture_output=True, text=True, timeout=600)


def test_cli_bad_input_is_one_clear_line(semantic_clips, base_model, tmp_path):
    missing = _cli(tmp_path / "missing", "--output", tmp_path / "o1", "--init-from", base_model, "--no-progress")
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0, missing.stderr
    assert missing.stderr.startswith("error: ") and "missing" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = _cli(broken, "--output", tmp_path / "o2", "--init-from", base_model, "--no-progress")
    assert result.returncode == 1 and "not valid JSON" in result.stderr and "Traceback" not in result.stderr
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps([{"video": "semantic/x.mp4", "caption": "dance"}]))
    result = _cli(unknown, "--output", tmp_path / "o3", "--init-from", base_model, "--no-progress")
    assert result.returncode == 1 and "no usable clip" in result.stderr and "Traceback" not in result.stderr
    for option, value in (("--max-steps", "0"), ("--num-frames", "1"), ("--label-smoothing", "1.5"),
                          ("--batch-size", "-2")):
        result = _cli(semantic_clips, "--output", tmp_path / "o4", option, value)
        assert result.returncode != 0 and option in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "o4").exists()


def test_undecodable_clips_are_counted_and_left_out(semantic_clips, base_model, tmp_path):
    import shutil

    from soccermaster_hf.training.events import cached_features, load_event_model

    data = tmp_path / "data"
    shutil.copytree(semantic_clips, data)
    videos = sorted((data / "semantic").glob("*.mp4"))
    videos[0].write_bytes(b"not a video")
    model = load_event_model(str(base_model))
    size = SoccerMasterImageProcessor.from_model_config(model.config).size.height
    features = cached_features(str(data), model, "x", tmp_path / "cache", 4, size, False, progress=False)
    listed = len(json.loads((data / "events" / "classification.json").read_text()))
    assert len(features["labels"]) == listed - 1 and features["features"].shape[1:] == (4, model.config.vision_config.hidden_size)


def test_attention_pool_equals_the_pooling_head(base_model):
    from soccermaster_hf.training.events import attention_pool

    head = SoccerMasterForPreTraining.from_pretrained(base_model).vision_model.head
    torch.manual_seed(1)
    with torch.no_grad():
        head.attention.in_proj_bias.normal_()  # non-zero biases: the key bias must cancel, the value bias must not
        tokens = torch.randn(5, 16, head.probe.shape[-1])
        torch.testing.assert_close(attention_pool(head, tokens), head(tokens), rtol=1e-5, atol=1e-5)


def test_frame_position_embeddings_are_an_option_of_the_event_head():
    """0 (default) is the authors' head, blind to frame order; N > 0 adds learned embeddings (zero at init: the same
    logits), resampled for clips of another length, and makes the head order-aware."""
    from soccermaster_hf.modeling.configuration_soccermaster import SoccerMasterEventConfig
    from soccermaster_hf.modeling.modeling_soccermaster_video import SoccerMasterEventHead

    torch.manual_seed(0)
    plain = SoccerMasterEventHead(SoccerMasterEventConfig(num_layers=1), 32).eval()
    assert plain.frame_embeddings is None
    ordered = SoccerMasterEventHead(SoccerMasterEventConfig(num_layers=1, frame_position_embeddings=8), 32).eval()
    ordered.load_state_dict({**plain.state_dict(), "frame_embeddings": torch.zeros(8, 32)})
    clip = torch.randn(2, 8, 32)
    torch.testing.assert_close(ordered(clip)[0], plain(clip)[0])
    reversed_clip = clip.flip(1)
    torch.testing.assert_close(plain(reversed_clip)[0], plain(clip)[0], rtol=1e-5, atol=1e-5)  # order-blind
    with torch.no_grad():
        ordered.frame_embeddings.normal_()
    assert not torch.allclose(ordered(reversed_clip)[0], ordered(clip)[0], atol=1e-3)
    assert ordered(torch.randn(2, 30, 32))[0].shape == (2, 23)  # another length: resampled
    torch.testing.assert_close(ordered.frame_embedding(8), ordered.frame_embeddings)
    with pytest.raises(ValueError, match="frame_position_embeddings"):
        SoccerMasterEventConfig(frame_position_embeddings=-1)


def test_a_damaged_cache_file_is_encoded_again(semantic_clips, base_model, tmp_path, capsys):
    from soccermaster_hf.training.events import cached_features, load_event_model

    model = load_event_model(str(base_model))
    size = SoccerMasterImageProcessor.from_model_config(model.config).size.height
    first = cached_features(str(semantic_clips), model, "x", tmp_path, 4, size, False, progress=False)
    (cache,) = tmp_path.glob("*.safetensors")
    cache.write_bytes(cache.read_bytes()[:100])  # truncated
    again = cached_features(str(semantic_clips), model, "x", tmp_path, 4, size, False, progress=False)
    assert "unreadable cache file" in capsys.readouterr().out
    torch.testing.assert_close(again["features"], first["features"])
    assert torch.equal(again["labels"], first["labels"])


def test_the_grid_event_head_reads_tokens_on_a_time_by_space_grid(tmp_path):
    """`event_config.head_type = "grid_linear"` (ours): cells of the patch grid averaged per time bin, LayerNorm,
    Linear. Every model class that runs the event head builds and runs it; it needs tokens, not F_sem alone."""
    from soccermaster_hf.modeling import SoccerMasterForGameStateReconstruction, SoccerMasterForVideoClassification
    from soccermaster_hf.modeling.configuration_soccermaster import SoccerMasterEventConfig
    from soccermaster_hf.modeling.modeling_soccermaster_video import SoccerMasterGridEventHead, event_head_forward

    torch.manual_seed(0)
    head = SoccerMasterGridEventHead(SoccerMasterEventConfig(head_type="grid_linear", grid_size=2, time_bins=3), 8)
    tokens = torch.randn(2, 6, 16, 8)  # (batch, frames, 4 x 4 patches, hidden)
    cells = head.pool(tokens)
    assert cells.shape == (2, 6, 4, 8)
    grid = tokens.reshape(2, 6, 4, 4, 8)
    torch.testing.assert_close(cells[:, :, 0], grid[:, :, :2, :2].mean(dim=(2, 3)))  # top-left cell
    torch.testing.assert_close(cells[:, :, 3], grid[:, :, 2:, 2:].mean(dim=(2, 3)))  # bottom-right cell
    logits, features = head(cells)
    assert logits.shape == (2, 23) and features.shape == (2, 8)
    binned = cells.reshape(2, 3, 2, 4, 8).mean(2)  # 6 frames -> 3 bins of 2
    expected = head.classifier(torch.nn.functional.layer_norm(binned, (8,), head.grid_norm.weight,
                                                             head.grid_norm.bias, head.grid_norm.eps).flatten(1))
    torch.testing.assert_close(logits, expected)
    assert not torch.allclose(head(cells.flip(1))[0], logits, atol=1e-4)  # order-aware
    assert not torch.allclose(head(cells.flip(2))[0], logits, atol=1e-4)  # layout-aware
    assert head(head.pool(torch.randn(1, 30, 16, 8)))[0].shape == (1, 23)  # another length: binned the same way
    with pytest.raises(ValueError, match="tokens"):
        event_head_forward(head, torch.randn(2, 6, 8))
    with pytest.raises(ValueError, match="square"):
        head.pool(torch.randn(1, 2, 15, 8))
    for bad in ({"head_type": "mlp"}, {"grid_size": 0}, {"time_bins": -2}):
        with pytest.raises(ValueError, match="head_type|grid_size|time_bins"):
            SoccerMasterEventConfig(**bad)
    # every class that runs the event head, saved and loaded
    config = SoccerMasterConfig.from_preset("tiny", num_frames=4)
    config.event_config = SoccerMasterEventConfig(**{**config.event_config.to_dict(), "head_type": "grid_linear",
                                                     "grid_size": 2})
    model = SoccerMasterForPreTraining(config).eval()
    clip = torch.rand(2, 4, 3, config.vision_config.image_size, config.vision_config.image_size)
    with torch.no_grad():
        out = model(semantic_pixel_values=clip, event_labels=torch.tensor([1, 2]))
    assert out.event_logits.shape == (2, 23) and torch.isfinite(out.loss)
    model.save_pretrained(tmp_path / "grid")
    video = SoccerMasterForVideoClassification.from_pretrained(tmp_path / "grid").eval()
    game = SoccerMasterForGameStateReconstruction.from_pretrained(tmp_path / "grid").eval()
    assert isinstance(video.event_head, SoccerMasterGridEventHead)
    with torch.no_grad():
        by_video = video(pixel_values=clip).logits
        by_game = game(pixel_values=clip).event_logits
        vision = game.vision_model(clip)
        by_parts = game(pooler_output=vision.pooler_output, last_hidden_state=vision.last_hidden_state).event_logits
    torch.testing.assert_close(by_video, out.event_logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(by_game, out.event_logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(by_parts, out.event_logits, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="grid_linear"):
        video(pooler_output=vision.pooler_output)
    # `analyze`'s spotter: F_spa of single frames gathered into a window, the temporal layers, the grid head
    from soccermaster_hf.analysis.spotting import EventSpotter

    spotter = EventSpotter(game, fps=1.0, window=4, stride=1.0)
    with torch.no_grad():
        states = game.vision_model(clip[0]).spatial_hidden_state  # image mode, frame by frame
    windows = [window for index in range(4) for window in spotter.add(index, states[index])]
    assert len(windows) == 1
    torch.testing.assert_close(torch.tensor(windows[0]["probabilities"]), out.event_logits[0].softmax(-1),
                               rtol=1e-3, atol=1e-4)


def test_train_events_trains_a_grid_head_from_cached_grid_cells(semantic_clips, base_model, tmp_path):
    """--event-head grid_linear: a fresh grid head on the frozen backbone, trained from cached grid cells; the result
    loads in every class and scores the same end to end as from the cache."""
    from soccermaster_hf.modeling import SoccerMasterForVideoClassification
    from soccermaster_hf.modeling.modeling_soccermaster_video import SoccerMasterGridEventHead
    from soccermaster_hf.training.events import EventTrainingArguments, cached_features, event_logits

    final = _train(semantic_clips, base_model, tmp_path / "grid", 20, eval_data=[str(semantic_clips)],
                   event_head="grid_linear")
    model = SoccerMasterForPreTraining.from_pretrained(final).eval()
    assert model.config.event_config.head_type == "grid_linear"
    assert isinstance(model.event_head, SoccerMasterGridEventHead)
    results = json.loads((final / "event_results.json").read_text())
    assert results["accuracy"] >= results["majority_class_rate"]
    assert model.event_head.classifier.weight.abs().sum() > 0  # trained away from its zero start
    before = SoccerMasterForPreTraining.from_pretrained(base_model).state_dict()
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if not k.startswith("event_head."))
    (cache,) = [p for p in (tmp_path / "grid" / "features").glob("*.safetensors")]
    size = SoccerMasterImageProcessor.from_model_config(model.config).size.height
    data = cached_features(str(semantic_clips), model, str(base_model), tmp_path / "grid" / "features", 4, size,
                           False, progress=False, grid_size=4)
    assert data["features"].shape[1:] == (4, 16, model.config.vision_config.hidden_size)
    assert results["clips"] == len(data["labels"]) > 0
    from soccermaster_hf.data.semantic import SemanticClips, to_semantic_inputs

    clips = SemanticClips(str(semantic_clips), num_frames=4)
    inputs = to_semantic_inputs([clips[0], clips[1]], size)
    video = SoccerMasterForVideoClassification.from_pretrained(final).eval()
    with torch.no_grad():
        end_to_end = video(pixel_values=inputs["semantic_pixel_values"]).logits
        cached = event_logits(model, data["features"][:2].float(), False)
    torch.testing.assert_close(end_to_end, cached, rtol=2e-3, atol=2e-3)  # cache in float16
    with pytest.raises(ValueError, match="grid_linear"):
        EventTrainingArguments(train_data=["x"], output_dir="y", event_head="grid_linear", train_pooling=True)
