"""SoccerSynth -> every format -> datasets -> model inputs: the same labels as the raw readers (and, for records that
point at the source's JPEG frames, the same pixels); loading back without our code, streaming, DDP shards."""

from __future__ import annotations

import json

import pytest
import torch
from datasets_helpers import assert_same, data_files

import soccermaster_hf.datasets as smd
from soccermaster_hf import SOCCERNET_V2_TO_KEYWORD
from soccermaster_hf.data.semantic import SemanticClips, to_semantic_inputs
from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips, to_model_inputs

pytestmark = pytest.mark.timeout(300)


def _load(folder, config, **kwargs):
    import datasets

    return datasets.load_dataset(str(folder), config, split="train", **kwargs)


@pytest.mark.parametrize("name", ["gsr", "snmot", "calibration", "soccernet-v2", "matchtime", "unisoccer", "synth"])
def test_every_format_loads_back_the_same_without_our_code(built, name):
    import datasets

    info = json.loads((built[name] / "meta" / "info.json").read_text())
    assert info["schema_version"] and info["format"] == name
    for config in info["configs"]:
        by_folder = _load(built[name], config)
        by_files = datasets.load_dataset("parquet", data_files=data_files(built[name], config), split="train")
        assert by_folder.features == by_files.features == smd.FEATURES_BY_CONFIG[config]
        assert by_folder.to_list() == by_files.to_list() and len(by_folder) > 0
        assert list(_load(built[name], config, streaming=True)) == by_files.to_list()
        assert len({record["record_id"] for record in by_files}) == len(by_files)


def test_gsr_records_give_the_readers_model_inputs_exactly(synth_dir, built):
    raw = SoccerNetGSRClips(synth_dir, clip_length=4, max_size=100)
    records = _load(built["gsr"], "spatial")
    assert len(records) == len(raw) == 4
    decode = smd.SpatialDecoder(synth_dir, max_size=100)
    for index in range(len(raw)):
        assert_same(raw[index], decode(records[index]))
    assert_same(to_model_inputs([raw[0], raw[3]], 32),
                smd.SpatialCollate(32, synth_dir, max_size=100)([records[0], records[3]]))
    # a shorter training clip length cuts, a longer one repeats the last frame like the reader
    assert_same(SoccerNetGSRClips(synth_dir, clip_length=4)[0], smd.SpatialDecoder(synth_dir, clip_length=4)(records[0]))
    assert smd.SpatialDecoder(synth_dir, clip_length=6)(records[0])["frame_indices"].tolist() == [0, 1, 2, 3, 3, 3]


def test_columnar_arrow_records_decode_exactly_like_python_rows(synth_dir, built):
    """The column-wise read (`spatial_records_from_arrow`, used by `RecordClips` and `StreamingRecords` for spatial
    records) gives the row-wise samples bit for bit: one-row tables, batches, a stream, and missing values."""
    import pyarrow as pa

    records = _load(built["gsr"], "spatial")
    arrow = records.with_format("arrow")
    decode = smd.SpatialDecoder(synth_dir, max_size=100)
    for index in range(len(records)):
        assert_same(decode(records[index]), decode(arrow[index]))
    batch = smd.spatial_records_from_arrow(arrow[1:4])
    assert [record["record_id"] for record in batch] == records[1:4]["record_id"]
    for offset, record in enumerate(batch):
        assert_same(decode(records[1 + offset]), decode(record))
    assert smd.spatial_records_from_arrow(arrow[:0]) == []
    collate = smd.SpatialCollate(32, synth_dir, max_size=100)  # a DataLoader over `.with_format("arrow")` rows
    assert_same(collate([records[0], records[3]]), collate([arrow[0], arrow[3]]))
    clips = smd.RecordClips(records, decode)
    raw = SoccerNetGSRClips(synth_dir, clip_length=4, max_size=100)
    for index in range(len(raw)):
        assert_same(raw[index], clips[index])
    stream = smd.StreamingRecords(_load(built["gsr"], "spatial", streaming=True), decode, seed=1)
    plain = smd.StreamingRecords(_load(built["gsr"], "spatial", streaming=True), None, seed=1)
    for _ in range(len(records) + 2):  # into the second epoch
        (sample, epoch, cursor), (record, epoch2, cursor2) = stream.next(), plain.next()
        assert (epoch, cursor) == (epoch2, cursor2)
        assert_same(decode(record), sample)
    # null legibility / jersey / team in the table: the row-wise rule (no score: the number stands; -1 unknown)
    table = arrow[0:1]
    row = records[0]
    row["frames"][0]["athletes"][0].update(jersey_legibility=None)
    row["frames"][0]["athletes"][1].update(jersey_legibility=0.2)
    patched = pa.Table.from_pylist([row], schema=table.schema)
    (columnar,) = smd.spatial_records_from_arrow(patched)
    legibility = columnar["frames"][0]["athletes"]["jersey_legibility"]
    assert legibility[0] != legibility[0] and legibility[1] == pytest.approx(0.2)
    assert_same(decode(row), decode(patched))
    # a missing fixed-size value would shift every later athlete or frame: refused with the record named
    for path, key in ((("athletes", 2), "bbox"), ((), "keypoints"), ((), "line_endpoints")):
        broken = records[0]
        target = broken["frames"][1]
        target = target[path[0]][path[1]] if path else target
        target[key] = None
        with pytest.raises(ValueError, match=f"{broken['record_id']}.*missing '{key}'"):
            smd.spatial_records_from_arrow(pa.Table.from_pylist([broken], schema=table.schema))


def test_synth_videos_give_the_same_labels_and_close_pixels(synth_dir, built):
    raw = SoccerNetGSRClips(synth_dir, clip_length=4)
    records = smd.load_records(built["synth"], "spatial")
    assert records.media_root == str(built["synth"])
    decode = smd.SpatialDecoder(records.media_root)
    for index in range(len(raw)):
        expected, sample = raw[index], decode(records.dataset[index])
        assert (expected["frames"] - sample["frames"]).abs().mean() < 0.03  # H.264 crf 18 of the JPEG frames
        expected["frames"] = sample["frames"]
        assert_same(expected, sample)
    video = built["synth"] / records.dataset[0]["video"]
    assert video.is_file() and video.read_bytes()[4:8] == b"ftyp"
    head = video.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)  # faststart: index first
    assert decode.report.counts == {}


def test_semantic_records_give_the_readers_samples(synth_dir, built):
    raw = SemanticClips(synth_dir, num_frames=8)
    unisoccer = _load(built["unisoccer"], "semantic")
    synth = smd.load_records(built["synth"], "semantic")
    assert len(raw) == len(unisoccer) == len(synth.dataset) == 3
    for records, root in ((unisoccer, synth_dir), (synth.dataset, synth.media_root)):
        decode = smd.SemanticDecoder(root, num_frames=8)
        for index in range(len(raw)):  # remuxed, not re-encoded: the same pixels
            assert_same(raw[index], decode(records[index]))
        assert_same(to_semantic_inputs([raw[0], raw[2]], 32),
                    smd.SemanticCollate(32, root, num_frames=8)([records[0], records[2]]))
    # the record's own window: the clip's 6 frames at 1 fps
    assert synth.dataset[0]["frame_times"] == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert smd.SemanticDecoder(synth.media_root)(synth.dataset[0])["frames"].shape[0] == 6


def test_snmot_records_match_gt_txt_and_the_gsr_reader(synth_dir, built):
    snmot = _load(built["snmot"], "spatial")
    gsr = SoccerNetGSRClips(synth_dir, clip_length=4)
    for record, sample in zip(snmot, (gsr[i] for i in range(len(gsr)))):
        rows = [line.split(",") for line in (synth_dir / record["clip"] / "gt" / "gt.txt").read_text().splitlines()]
        for frame, roles, teams, tracks in zip(record["frames"], sample["roles"], sample["teams"], sample["track_ids"]):
            expected = sorted((int(r[1]), *map(float, r[2:6])) for r in rows if int(r[0]) == frame["frame_index"] + 1)
            assert sorted((a["track_id"], *a["bbox"]) for a in frame["athletes"]) == expected
            by_track = {a["track_id"]: (a["role"], a["team"]) for a in frame["athletes"]}
            assert {int(t): (int(r), int(m)) for t, r, m in zip(tracks, roles, teams)} == by_track
            assert frame["image"] == f"{record['clip']}/img1/{frame['frame_index'] + 1:06d}.jpg"


def test_calibration_records_match_the_files(synth_dir, built):
    from soccermaster_hf.geometry.camera import Camera
    from soccermaster_hf.modeling.pitch_definitions import normalize_class_name

    records = _load(built["calibration"], "spatial")
    assert len(records) == 16
    for record in records.select([0, 9]):
        frame = record["frames"][0]
        clip, _, stem = record["clip"].split("/")
        annotation = json.loads((synth_dir / clip / "calibration" / f"{stem}.json").read_text())
        assert {line["name"]: line["points"] for line in frame["lines"]} == {
            normalize_class_name(name): [[p["x"], p["y"]] for p in points] for name, points in annotation.items()}
        camera = Camera.load(synth_dir / clip / "cameras" / f"camera_{stem}.json")
        assert frame["camera"]["valid"] and frame["camera"]["K"] == camera.K.tolist()
        assert frame["camera"]["R"] == camera.rotation.tolist()
        assert frame["image"] == f"{clip}/img1/{stem}.jpg" and (record["width"], record["height"]) == (192, 108)
    # the line targets derived at build time agree with the GSR reader's for the same frame
    gsr = {(r["clip"], f["frame_index"]): f for r in _load(built["gsr"], "spatial") for f in r["frames"]}
    for record in records:
        frame, twin = record["frames"][0], gsr[(record["clip"].split("/")[0], record["frame_start"] - 1)]
        assert frame["line_endpoints"] == twin["line_endpoints"] and frame["line_visible"] == twin["line_visible"]
    assert sum(records[0]["frames"][0]["line_visible"]) > 0


def test_spotting_and_caption_records_match_the_event_files(synth_dir, built):
    labels = json.loads((synth_dir / "events" / "Labels-v2.json").read_text())["annotations"]
    spotting = _load(built["soccernet-v2"], "semantic")
    names = spotting.features["label"].names
    assert [names[label] for label in spotting["label"]] == [SOCCERNET_V2_TO_KEYWORD[a["label"]] for a in labels]
    assert spotting["event_time"] == [int(a["position"]) / 1000 for a in labels]
    first = spotting[0]
    assert first["video"] == f"events/{first['half']}_224p.mkv"
    assert first["frame_times"][0] == max(0.0, first["event_time"] - 15) + 0.5 and len(first["frame_times"]) == 30
    assert first["frame_indices"][:2] == [int(t * 25) for t in first["frame_times"][:2]]
    captions = json.loads((synth_dir / "events" / "Labels-caption.json").read_text())["annotations"]
    comments = _load(built["matchtime"], "semantic")
    assert comments["caption"] == [a["description"] for a in captions]
    assert comments["source_label"] == [a["label"] for a in captions]
    expected = [smd.MATCHTIME_CAPTION_TO_KEYWORD.get(a["label"]) for a in captions]
    assert [names[label] if label is not None else None for label in comments["label"]] == expected


def test_streaming_dataloader_workers_and_nodes(built):
    import datasets
    from datasets.distributed import split_dataset_by_node

    folder = built["synth"]
    stream = _load(folder, "spatial", streaming=True)
    assert stream.num_shards == 4
    everything = [record["record_id"] for record in stream]
    for world in (2, 3):  # whole shards when the count divides, else every world-th record: disjoint either way
        parts = [[r["record_id"] for r in split_dataset_by_node(stream, rank=rank, world_size=world)]
                 for rank in range(world)]
        assert sorted(sum(parts, [])) == sorted(everything) and all(parts)
    loader = torch.utils.data.DataLoader(stream, batch_size=2, num_workers=2,
                                         collate_fn=smd.SpatialCollate(32, folder, max_size=100))
    batches = list(loader)
    assert len(batches) == 2 and all(b["spatial_pixel_values"].shape == (2, 4, 3, 32, 32) for b in batches)
    assert sum(len(b["detection_labels"]) for b in batches) == 16
    assert isinstance(stream, datasets.IterableDataset)


def _as_is(item):
    return item


@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # more workers than this machine's cores, on purpose
def test_streaming_clips_split_an_epoch_between_workers_and_processes(built):
    """`StreamingClips`: every record of an epoch exactly once over the DataLoader's workers (whole shards, or every
    n-th record when workers outnumber the shards) and the processes; decoded in the worker like `SpatialDecoder`."""
    folder = built["synth"]
    stream = _load(folder, "spatial", streaming=True)
    everything = sorted(record["record_id"] for record in stream)

    def epoch(workers, rank=0, world_size=1, seed=3, epoch=0):
        clips = smd.StreamingClips(stream, None, seed=seed, rank=rank, world_size=world_size)
        clips.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(clips, batch_size=None, num_workers=workers, collate_fn=_as_is)
        return [record["record_id"] for record in loader]

    single = epoch(0)
    assert sorted(single) == everything
    reference = smd.StreamingRecords(stream, None, seed=3)  # the training stream's epoch 0, in its order
    assert single == [reference.next()[0]["record_id"] for _ in range(len(everything))]
    assert epoch(0, epoch=1) != single and sorted(epoch(0, epoch=1)) == everything  # set_epoch reshuffles shards
    for workers in (2, 3, 5):  # 4 shards: whole shards for 2 and 3 workers, records for 5
        assert sorted(epoch(workers)) == everything, workers
    for world_size in (2, 3):  # whole shards per process for 2, records for 3; then split between 2 workers
        parts = [epoch(2, rank, world_size) for rank in range(world_size)]
        assert sorted(sum(parts, [])) == everything and all(parts), world_size

    clips = smd.StreamingClips(stream, smd.SpatialDecoder(folder, max_size=64), seed=3)
    decoded = list(torch.utils.data.DataLoader(clips, batch_size=None, num_workers=2, collate_fn=_as_is))
    records = {record["record_id"]: record for record in stream}
    expected = {(r["clip"], r["frames"][0]["frame_index"]): smd.SpatialDecoder(folder, max_size=64)(r)
                for r in records.values()}
    assert len(decoded) == len(records)
    for sample in decoded:
        assert_same(expected[(sample["clip"], int(sample["frame_indices"][0]))], sample)
    with pytest.raises(ValueError, match="rank"):
        smd.StreamingClips(stream, None, rank=2, world_size=2)
    for bad in (-1, 1.5, "2", None):
        with pytest.raises(ValueError, match="epoch must be an integer >= 0"):
            smd.StreamingClips(stream, None).set_epoch(bad)


def test_streaming_records_resume_exactly(built):
    clips = smd.open_clips(built["synth"], "spatial", streaming=True, max_size=64, seed=3)
    drawn = [clips.next() for _ in range(6)]  # crosses an epoch (4 records)
    assert [epoch for _, epoch, _ in drawn] == [0, 0, 0, 0, 1, 1] and [c for _, _, c in drawn] == [0, 1, 2, 3, 0, 1]
    assert sorted(sample["clip"] + str(sample["frame_indices"][0].item()) for sample, _, _ in drawn[:4]) == \
        ["SNGS-0010", "SNGS-0014", "SNGS-0020", "SNGS-0024"]
    state = clips.state_dict()
    after = [clips.next() for _ in range(3)]
    resumed = smd.open_clips(built["synth"], "spatial", streaming=True, max_size=64, seed=3)
    resumed.load_state_dict(json.loads(json.dumps(state)))  # the state is plain JSON
    for (a, epoch_a, cursor_a), (b, epoch_b, cursor_b) in zip(after, (resumed.next() for _ in range(3))):
        assert (epoch_a, cursor_a) == (epoch_b, cursor_b)
        assert_same(a, b)
    with pytest.raises(ValueError, match="num_shards|seed"):
        smd.open_clips(built["synth"], "spatial", streaming=True, seed=4).load_state_dict(state)
    # two processes: disjoint records, every record once per epoch
    ranks = [smd.StreamingRecords(_load(built["synth"], "spatial", streaming=True), None, seed=3, rank=r, world_size=2)
             for r in range(2)]
    ids = [[ranks[r].next()[0]["record_id"] for _ in range(2)] for r in range(2)]
    assert not set(ids[0]) & set(ids[1]) and len(set(ids[0]) | set(ids[1])) == 4


def test_hub_media_is_fetched_file_by_file(synth_dir, built, monkeypatch):
    import huggingface_hub

    fetched = []

    def fake_download(repo_id, filename, repo_type=None, revision=None):
        fetched.append((repo_id, filename, repo_type, revision))
        return str(built["synth"] / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    record = _load(built["synth"], "spatial")[0]
    sample = smd.SpatialDecoder("hf://datasets/me/soccersynth@v1")(record)
    assert sample["frame_valid"].all()
    assert fetched == [("me/soccersynth", record["video"], "dataset", "v1")]
    assert smd.read_info("me/soccersynth")["format"] == "synth"  # meta/info.json through the same download
    with pytest.raises(ValueError, match="media folder"):
        smd.SynthBuilder(synth_dir).to_dataset()


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_streaming_records_read_in_batches_give_the_rows_one_by_one(built, monkeypatch, batch_size):
    """Rows are read from Arrow in batches for speed; records, order and resume positions must not change."""
    stream = _load(built["synth"], "spatial", streaming=True)
    expected = []
    for seed in (3, 5):
        reference = smd.StreamingRecords(stream, None, seed=seed)
        order = reference.shard_order(0)
        expected.append([row for shard in order
                         for row in stream.shard(num_shards=stream.num_shards, index=shard, contiguous=True)])
    monkeypatch.setattr(smd.StreamingRecords, "read_batch_size", batch_size)
    for seed, rows in zip((3, 5), expected):
        records = smd.StreamingRecords(stream, None, seed=seed)
        assert [records.next()[0] for _ in range(len(rows))] == rows
        records.load_state_dict({**records.state_dict(), "epoch": 0, "position": 0, "row": 1, "seen": 1,
                                 "cursor": 1})
        assert records.next()[0] == rows[1]  # a resume inside a shard skips exactly the rows before it


def test_train_commentary_reads_built_semantic_records_like_the_raw_folder(synth_dir, built, tmp_path):
    """`train-commentary` takes a built dataset (the datasets issue's records) as well as the raw folder: the same
    captions and frames."""
    from soccermaster_hf.training.commentary import CommentaryTrainingArguments, load_caption_clips

    arguments = CommentaryTrainingArguments(train_data=[str(built["synth"])], output_dir=str(tmp_path / "o"),
                                            text_model="unused", semantic_frames=4)
    from_built = load_caption_clips([str(built["synth"])], arguments)
    from_raw = load_caption_clips([str(synth_dir)], arguments)
    assert [c["caption"] for c in from_built] == [c["caption"] for c in from_raw] and from_built
    for a, b in zip(from_built, from_raw):
        assert a["frames"].shape == b["frames"].shape
        assert (a["frames"] - b["frames"]).abs().mean() < 0.05  # the same clips (the synth build re-encodes video)
        assert a["metadata"]["record_id"]


def test_a_corrupt_shard_is_named_by_both_streams(built, tmp_path, damage_middle):
    import shutil

    copy = tmp_path / "synth"
    shutil.copytree(built["synth"], copy)
    victim = damage_middle(sorted((copy / "data" / "spatial").rglob("*.parquet"))[0])
    stream = _load(copy, "spatial", streaming=True)
    records = smd.StreamingRecords(stream, None, seed=3)
    with pytest.raises(ValueError, match=f"^{victim}: unreadable records"):
        for _ in range(2 * stream.num_shards):
            records.next()
    with pytest.raises(ValueError, match=f"^{victim}: unreadable records"):
        list(smd.StreamingClips(stream, None, seed=3))
