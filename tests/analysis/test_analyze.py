"""`soccermaster analyze`: outputs, formats, tracking baseline and errors (untrained tiny model: pipeline only)."""

import json
import warnings

import cv2
import numpy as np
import pytest

from soccermaster_hf.analysis import analyze, draw_minimap
from soccermaster_hf.cli.main import main
from soccermaster_hf.tracking import HungarianTracker as Tracker


@pytest.fixture(scope="module")
def frames_dir(tmp_path_factory):
    from soccermaster_hf.synth.generate import SynthConfig, generate_dataset

    out = tmp_path_factory.mktemp("analyze") / "synth"
    folder = generate_dataset(out, SynthConfig(clips=1, frames=6, seed=4, tracking="procedural", width=320,
                                               height=180), progress=False)[0]
    return folder / "img1"


def test_pipeline_writes_every_output(frames_dir, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the untrained-model warning
        summary = analyze(str(frames_dir), None, tmp_path / "out", threshold=0.0, batch_size=4, progress=False,
                          tracker="hungarian")
    for name in ("overlay.mp4", "minimap.mp4", "minimap.png", "SNGS-001.json", "SNMOT-001.txt", "summary.json",
                 "overlay_last.png", "frames.jsonl", "results_spotting.json", "events.json", "report.html",
                 "tracking/metrica_home.csv", "tracking/metrica_away.csv", "tracking/structured_data.jsonl"):
        assert (tmp_path / "out" / name).is_file(), name
    for name in ("team_heatmap_left.png", "team_heatmap_right.png", "team_formations.png"):  # the page's plots
        image = cv2.imread(str(tmp_path / "out" / name))
        assert image is not None and image.ndim == 3 and min(image.shape[:2]) > 50, name
    per_frame = [json.loads(line) for line in (tmp_path / "out" / "frames.jsonl").read_text().splitlines()]
    assert summary["frames"] == 6 and [f["frame"] for f in per_frame] == [1, 2, 3, 4, 5, 6]
    # a clip shorter than one 30-s window: one window over it, the event head's three best keywords
    assert summary["spotting_windows"] == 1 and len(summary["top_events"]) == 3
    assert sum(s["frames"] for s in summary["shots"]) == 6
    # the GSR file of the clip (its ground truth's name and image ids): only athletes with a camera are scorable
    written = json.loads((tmp_path / "out" / "SNGS-001.json").read_text())
    assert written["info"]["version"] and isinstance(written["predictions"], list)
    for record in written["predictions"]:
        assert record["image_id"].startswith("1001") and record["supercategory"] == "object"
        assert all(isinstance(v, float) for v in record["bbox_pitch"].values())
    rows = (tmp_path / "out" / "SNMOT-001.txt").read_text().splitlines()
    assert rows and all(len(row.split(",")) == 10 for row in rows) and rows[0].startswith("1,")
    assert summary["tracks"] == len({row.split(",")[1] for row in rows})
    assert cv2.imread(str(tmp_path / "out" / "overlay_last.png")).shape == (180, 320, 3)


def test_linked_track_ids_reach_every_output(frames_dir, tmp_path, monkeypatch):
    """The ids of tracklet linking (here: a stand-in that renames every tracklet) are the ids of the SNMOT, GSR and
    kloppy outputs and of the votes; --no-link-tracklets keeps the tracker's ids and does not call it."""
    import soccermaster_hf.analysis.pipeline as pipeline

    calls = []

    def rename(summaries, fps, config=None, image_width=None):
        calls.append((sorted(summaries), fps, image_width))
        return {t: t + 1000 for t in summaries}, {t + 1000: s for t, s in summaries.items()}

    monkeypatch.setattr(pipeline, "link_summaries", rename)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linked = analyze(str(frames_dir), None, tmp_path / "linked", threshold=0.0, progress=False,
                         tracker="hungarian")
        plain = analyze(str(frames_dir), None, tmp_path / "plain", threshold=0.0, progress=False,
                        tracker="hungarian", link_tracklets=False)
    assert len(calls) == 1 and calls[0][2] == 320 and linked["tracks_linked"] and not plain["tracks_linked"]

    def ids(folder):
        snmot = {int(row.split(",")[1]) for row in (folder / "SNMOT-001.txt").read_text().splitlines()}
        gsr = {int(r["track_id"]) for r in json.loads((folder / "SNGS-001.json").read_text())["predictions"]}
        return snmot, gsr

    snmot, gsr = ids(tmp_path / "linked")
    assert snmot and min(snmot) > 1000 and gsr <= snmot and set(calls[0][0]) == {t - 1000 for t in snmot}
    snmot_plain, _ = ids(tmp_path / "plain")
    assert snmot_plain == {t - 1000 for t in snmot} and plain["tracks"] == plain["tracklets"] == len(snmot_plain)
    kloppy = [json.loads(line) for line in
              (tmp_path / "linked" / "tracking" / "structured_data.jsonl").read_text().splitlines()]
    assert {d["track_id"] for frame in kloppy for d in frame["data"] if d.get("track_id")} <= snmot


def test_kit_cuts_reach_every_output(frames_dir, tmp_path, monkeypatch):
    """The pipeline cuts tracklets from its rows on disk (here: a stand-in for kit_cuts that halves every tracklet)
    and the parts are the ids of the SNMOT file; the option reaches the cut; 0 boxes and no linking cut nothing."""
    import soccermaster_hf.analysis.pipeline as pipeline
    import soccermaster_hf.tracking.linking as linking

    configs = []

    def halve(detections, colours, config=None):
        configs.append(config)
        frames: dict[int, list[int]] = {}
        for frame, detection in detections:
            frames.setdefault(detection.track_id, []).append(frame)
        return {t: [f[len(f) // 2]] for t, f in frames.items() if len(f) >= 2 and config.kit_split_boxes}

    monkeypatch.setattr(linking, "kit_cuts", halve)
    monkeypatch.setattr(pipeline, "link_summaries", lambda summaries, fps, config=None, image_width=None: (
        {t: t for t in summaries}, summaries))  # no linking: the parts stay apart
    runs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, settings in (("cut", {"kit_split_boxes": 9}), ("off", {"kit_split_boxes": 0}),
                               ("plain", {"link_tracklets": False})):
            runs[name] = analyze(str(frames_dir), None, tmp_path / name, threshold=0.0, progress=False,
                                 tracker="hungarian", **settings)
    assert [c.kit_split_boxes for c in configs] == [9, 0]

    def tracks(folder):
        out: dict[int, list[int]] = {}
        for row in (folder / "SNMOT-001.txt").read_text().splitlines():
            out.setdefault(int(row.split(",")[1]), []).append(int(row.split(",")[0]))
        return out

    plain, cut = tracks(tmp_path / "plain"), tracks(tmp_path / "cut")
    halves = sum(len(f) >= 2 for f in plain.values())
    assert halves and runs["cut"]["kit_cuts"] == halves and len(cut) == len(plain) + halves
    assert runs["off"]["kit_cuts"] == runs["plain"]["kit_cuts"] == 0 and tracks(tmp_path / "off") == plain
    for track, frames in plain.items():  # the first half keeps the id, the second half is a new id
        assert cut[track] == frames[:len(frames) // 2] if len(frames) >= 2 else cut[track] == frames
    assert sorted(f for frames in cut.values() for f in frames) == sorted(f for fr in plain.values() for f in fr)


def test_tracker_keeps_identities_of_moving_boxes():
    tracker = Tracker()
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(3, 8))
    boxes = np.array([[10, 10, 30, 60], [100, 20, 120, 70], [200, 40, 220, 90]], dtype=float)
    first = tracker.update(0, boxes, embeddings)
    moved = boxes + [4, 1, 4, 1]
    order = [2, 0, 1]  # detections come in another order
    second = tracker.update(1, moved[order], embeddings[order])
    assert [first[i] for i in order] == second
    new = tracker.update(2, np.array([[400, 10, 420, 60]], dtype=float), rng.normal(size=(1, 8)))
    assert new == [4]


def test_minimap_draws_athletes():
    empty = draw_minimap([])
    with_players = draw_minimap([(np.array([0.0, 0.0, 0.0]), "left", 7), (np.array([30.0, -10.0, 0.0]), "right", 8)])
    assert empty.shape == with_players.shape and (empty != with_players).any()


def test_clear_errors(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "out")]) == 1
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "broken.mp4").write_bytes(b"\x00" * 100)
    assert main(["analyze", str(tmp_path / "broken.mp4"), "--out", str(tmp_path / "out")]) == 1
    assert "broken.mp4" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["analyze", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 1
    assert "no images" in capsys.readouterr().err
    assert main(["analyze"]) == 2
    # zero-shot prompts need a text tower: the shipped checkpoint has none
    images = tmp_path / "frames"
    images.mkdir()
    cv2.imwrite(str(images / "000001.jpg"), np.full((90, 160, 3), 90, np.uint8))
    assert main(["analyze", str(images), "--prompts", "a goal", "--out", str(tmp_path / "out")]) == 1
    assert "text tower" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # a refused input leaves no output folder behind


@pytest.mark.slow
def test_bf16_backbone_matches_fp32(frames_dir, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = analyze(str(frames_dir), None, tmp_path / "fp32", batch_size=2, progress=False, precision="fp32",
                       tracker="hungarian")
        half = analyze(str(frames_dir), None, tmp_path / "bf16", batch_size=2, progress=False, precision="bf16",
                       tracker="hungarian")
    assert full["backbone_precision"] == "float32" and half["backbone_precision"] == "bfloat16"
    boxes = {}
    for name in ("fp32", "bf16"):
        boxes[name] = {}
        for row in (tmp_path / name / "SNMOT-001.txt").read_text().splitlines():
            frame, _, x, y, w, h = (float(v) for v in row.split(",")[:6])
            boxes[name].setdefault(frame, []).append([x, y, x + w, y + h])
    # same athletes per frame within one, and every confident fp32 box has a bf16 twin (IoU >= 0.7)
    for image_id, reference in boxes["fp32"].items():
        other = boxes["bf16"].get(image_id, [])
        assert abs(len(reference) - len(other)) <= 1, image_id
        from soccermaster_hf.tracking import iou_matrix

        if reference and other:
            overlap = iou_matrix(np.array(reference), np.array(other))
            assert (overlap.max(1) >= 0.7).mean() >= 0.8, overlap.max(1)
    with pytest.raises(ValueError, match="precision"):
        analyze(str(frames_dir), None, tmp_path / "x", progress=False, precision="fp8")


def test_analyze_with_the_motip_tracker(frames_dir, tmp_path, capsys):
    import torch

    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForGameStateReconstruction
    from soccermaster_hf.training.tracking import load_tracking_model

    torch.manual_seed(0)
    SoccerMasterForGameStateReconstruction(SoccerMasterConfig.from_preset("tiny", num_frames=4)).save_pretrained(
        tmp_path / "model")
    tracking = load_tracking_model(str(tmp_path / "model"), {"num_ids": 8, "num_layers": 1, "num_attention_heads": 4,
                                                              "ffn_dim": 32, "newborn_threshold": 0.0,
                                                              "detection_threshold": 0.0})
    tracking.save_pretrained(tmp_path / "tracking")
    summary = analyze(str(frames_dir), str(tmp_path / "model"), tmp_path / "out", threshold=0.0, batch_size=4,
                      progress=False, tracker="motip", tracking_model=str(tmp_path / "tracking"))
    rows = (tmp_path / "out" / "SNMOT-001.txt").read_text().splitlines()
    assert summary["tracks"] > 0 and summary["tracks"] == len({row.split(",")[1] for row in rows})
    # a tracking model trained on another detector, or none: one clear line, no output folder
    torch.manual_seed(1)
    SoccerMasterForGameStateReconstruction(SoccerMasterConfig.from_preset("tiny", num_frames=4)).save_pretrained(
        tmp_path / "other")
    code = main(["analyze", str(frames_dir), "--model", str(tmp_path / "other"), "--tracker", "motip",
                 "--tracking-model", str(tmp_path / "tracking"), "--out", str(tmp_path / "out2")])
    assert code == 1 and "another detector" in capsys.readouterr().err and not (tmp_path / "out2").exists()
    assert main(["analyze", str(frames_dir), "--model", str(tmp_path / "model"), "--tracker", "motip",
                 "--out", str(tmp_path / "out3")]) == 1
    assert "--tracking-model" in capsys.readouterr().err and not (tmp_path / "out3").exists()


def test_analyze_adds_a_line_of_commentary(frames_dir, tmp_path, capsys, monkeypatch):
    """A commentary adapter (tiny random Llama on a tiny backbone) gives the clip one generated line."""
    from commentary.helpers import tiny_tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    from soccermaster_hf.training.commentary import (
        CommentaryTrainingArguments,
        build_commentary_model,
        save_commentary_adapter,
    )

    tokenizer = tiny_tokenizer()
    LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                 num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                 max_position_embeddings=128, bos_token_id=tokenizer.bos_token_id,
                                 eos_token_id=tokenizer.eos_token_id)).save_pretrained(tmp_path / "llm")
    tokenizer.save_pretrained(tmp_path / "llm")
    args = CommentaryTrainingArguments(train_data=["unused"], output_dir=str(tmp_path / "x"),
                                       text_model=str(tmp_path / "llm"), num_query_tokens=4, qformer_hidden_size=32)
    model, processor, meta = build_commentary_model(args)
    save_commentary_adapter(model, processor, tmp_path / "adapter", meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the untrained-model warning
        summary = analyze(str(frames_dir), None, tmp_path / "out", threshold=0.5, batch_size=4, progress=False,
                          commentary_model=str(tmp_path / "adapter"))
        assert isinstance(summary["commentary"], str)
        assert json.loads((tmp_path / "out" / "summary.json").read_text())["commentary"] == summary["commentary"]
        # every reported event gets its own line (the untrained head reports none at the real threshold)
        import soccermaster_hf.analysis.pipeline as pipeline

        monkeypatch.setattr(pipeline, "EVENT_THRESHOLD", 0.0)
        spotted = analyze(str(frames_dir), None, tmp_path / "events", threshold=0.5, batch_size=4, progress=False,
                          commentary_model=str(tmp_path / "adapter"))
        assert spotted["events"] and all(isinstance(e["commentary"], str) for e in spotted["events"])
        assert "commentary" in (tmp_path / "events" / "report.html").read_text()
        single = analyze(str(next(frames_dir.iterdir())), None, tmp_path / "one", progress=False,
                         commentary_model=str(tmp_path / "adapter"))
    assert single["commentary"] is None  # a single image gets no commentary
    code = main(["analyze", str(frames_dir), "--commentary-model", str(tmp_path / "llm"), "--out",
                 str(tmp_path / "bad")])
    assert code == 1 and "commentary" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_the_checkpoint_chooses_the_detection_threshold(frames_dir, tmp_path, capsys):
    """Without `threshold`, `analyze` cuts at the checkpoint's `detection_config.score_threshold` (the summary says
    which); a given threshold wins; a config with an impossible one is a one-line error."""
    import torch

    from soccermaster_hf import SoccerMasterConfig, SoccerMasterForGameStateReconstruction

    for name, value in (("keep-all", 0.0), ("keep-none", 0.999)):
        torch.manual_seed(0)
        config = SoccerMasterConfig.from_preset("tiny", num_frames=4)
        config.detection_config.score_threshold = value
        SoccerMasterForGameStateReconstruction(config).save_pretrained(tmp_path / name)
    settings = dict(batch_size=6, progress=False, tracker="hungarian", max_frames=2)
    every = analyze(str(frames_dir), str(tmp_path / "keep-all"), tmp_path / "a", **settings)
    none = analyze(str(frames_dir), str(tmp_path / "keep-none"), tmp_path / "b", **settings)
    given = analyze(str(frames_dir), str(tmp_path / "keep-none"), tmp_path / "c", threshold=0.0, **settings)
    assert (every["detection_threshold"], none["detection_threshold"], given["detection_threshold"]) == (0.0, 0.999, 0.0)
    assert every["athletes_per_frame"] > 0 and none["athletes_per_frame"] == 0
    assert given["athletes_per_frame"] == every["athletes_per_frame"]  # same weights (seed 0), same cut
    config_file = tmp_path / "keep-all" / "config.json"
    config_file.write_text(config_file.read_text().replace('"score_threshold": 0.0', '"score_threshold": 1.5'))
    capsys.readouterr()
    assert main(["analyze", str(frames_dir), "--model", str(tmp_path / "keep-all"), "--out", str(tmp_path / "d")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "score_threshold" in err[0]
    assert not (tmp_path / "d").exists()


def test_reid_embeddings_reach_the_linking_from_the_rows(frames_dir, tmp_path, monkeypatch):
    """With the shipped re-identification network (the default) every athlete tracklet that linking sees carries an
    appearance read back from the rows on disk (so a resumed run links as an uninterrupted one); --reid-model none
    and --no-link-tracklets run without it."""
    import soccermaster_hf.analysis.pipeline as pipeline

    seen = []
    link = pipeline.link_summaries

    def spy(summaries, fps, config=None, image_width=None):
        seen.append(summaries)
        return link(summaries, fps, config, image_width=image_width)

    monkeypatch.setattr(pipeline, "link_summaries", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = analyze(str(frames_dir), None, tmp_path / "default", threshold=0.0, progress=False,
                          tracker="hungarian")
        off = analyze(str(frames_dir), None, tmp_path / "off", threshold=0.0, progress=False, tracker="hungarian",
                      reid_model="none")
        unlinked = analyze(str(frames_dir), None, tmp_path / "unlinked", threshold=0.0, progress=False,
                           tracker="hungarian", link_tracklets=False)
    assert default["reid_model"] == "default" and off["reid_model"] is None and unlinked["reid_model"] is None
    athletes = [s for s in seen[0].values() if s.role != "ball"]
    assert athletes and all(s.appearance is not None and s.appearance_count == s.count for s in athletes)
    assert all(s.appearance is None for s in seen[1].values())
    rows = [json.loads(line) for path in sorted((tmp_path / "default" / ".analysis").glob("*.rows.jsonl"))
            for line in path.read_text().splitlines()]
    assert any(d["appearance"] for row in rows for d in row["detections"])
