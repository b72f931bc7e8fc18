"""Training of the MOTIP ID decoder of `SoccerMasterForMultiObjectTracking` (``soccermaster train-tracking``).

MOTIP's recipe (github MCG-NJU/MOTIP; docs/tracking.md), on a frozen detector:

1. **Tokens.** The detector (backbone + detection head of `--init-from`, frozen) runs once over every frame of the
   training clips (SoccerNet-GSR folders: ``Labels-GameState.json`` + ``img1/``, or SNMOT sequences: ``gt/gt.txt``
   + ``seqinfo.ini`` + its ``imDir``); its post-processed detections above
   ``tracking_config.detection_threshold`` are matched to the annotated boxes (Hungarian on IoU >= `match_iou`) and the
   matched ones keep their decoder embedding, box and the annotated identity. The tokens are cached per clip in
   ``<output>/tokens/<clip>.safetensors`` (written atomically; a resumed run reuses them). MOTIP trains the detector
   jointly (DETR pre-trained first); here it stays frozen so that CPU runs take minutes, and so that the decoder reads
   exactly the embeddings the analysis model produces (the ID decoder is then valid for that detector only).
2. **Clips.** Each step draws a clip of ``sample_length`` frames taking every s-th frame, s uniform in
   ``[1, max_sample_stride]``; ``num_groups`` groups each give the clip's identities an independent random label
   permutation (``randperm(K)[:N]``; identities beyond K are left out of that group).
3. **Trajectory augmentation.** Occlusion (probability ``trajectory_occlusion_prob`` per trajectory and group: a random
   contiguous span of its tokens is hidden from the history) and switch (probability ``trajectory_switch_prob`` per
   frame and group: two of its objects swap their history features, labels kept).
4. **Targets.** A detection at frame t takes the label of its identity when a visible token of that identity lies
   1 to ``history_length`` frames before t, else "newborn" (label K); the first frame has no targets. Cross-entropy
   over K + 1.

AdamW (lr 1e-4, weight decay 5e-4 as MOTIP; gradient clipping 0.1), linear warm-up then cosine decay. Checkpoints
``checkpoint-<step>/`` are written through a staging folder (kill -9 leaves a complete one) with the optimiser,
scheduler and RNG state as safetensors + JSON; the same command resumes from the newest one; the draw of step n is
seeded by (seed, n), so a resumed run draws what an uninterrupted run would.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..tracking.motip import normalised_boxes
from ..utils.io import atomic_file, atomic_write_json, prepare_output_dir, save_pretrained_atomic
from .pretrain import (
    _arg,
    _checkpoints,
    _save_checkpoint,
    config_overrides,
    read_metric_rows,
    resume_training_state,
    validate_fields,
    write_metric_rows,
)

TOKENS_DIR = "tokens"


@dataclass
class TrackingTrainingArguments:
    """Settings of :func:`train_tracking` (the `soccermaster train-tracking` flags are generated from these)."""

    train_data: list[str] = _arg(help="SoccerNet-GSR clip folders (Labels-GameState.json + img1/), SNMOT sequences "
                                      "(gt/gt.txt + seqinfo.ini + img1/), or folders holding them (e.g. a "
                                      "`soccermaster synth` output or SoccerNet's tracking/train).", positional=True)
    output_dir: str = _arg(help="Run folder: token cache, checkpoints, metrics.csv, final model.",
                           flags=["--output", "-o"])
    init_from: str | None = _arg(None, "Detector to start from and keep frozen (a detection / game-state / "
                                       "pre-training folder); default: the shipped default checkpoint.")
    max_steps: int = _arg(2000, "Optimisation steps.", minimum=1)
    learning_rate: float = _arg(1e-4, "AdamW learning rate (MOTIP: 1e-4).", exclusive_minimum=True, minimum=0.0)
    weight_decay: float = _arg(5e-4, "AdamW weight decay (MOTIP: 5e-4).", minimum=0.0)
    max_grad_norm: float = _arg(0.1, "Gradient clipping (MOTIP: 0.1).", exclusive_minimum=True, minimum=0.0)
    warmup_steps: int = _arg(100, "Linear warm-up steps.", minimum=0)
    match_iou: float = _arg(0.5, "IoU for a detection to take an annotated identity.", exclusive_minimum=True,
                            minimum=0.0, maximum=1.0)
    max_frames: int | None = _arg(None, "Use at most this many frames per clip.", minimum=2)
    tracking_config: str | None = _arg(None, "JSON overrides of tracking_config (e.g. '{\"num_layers\": 3}').")
    batch_size: int = _arg(4, "Frames per detector pass while caching tokens.", minimum=1)
    log_every: int = _arg(25, "Log the loss every N steps.", minimum=1)
    checkpoint_every: int = _arg(500, "Write a checkpoint every N steps.", minimum=1)
    keep_checkpoints: int = _arg(2, "Checkpoints to keep.", minimum=1)
    seed: int = _arg(0, "Seed of the clip draws, label permutations and augmentation.")
    overwrite: bool = _arg(False, "Reuse an output folder that another command wrote.")
    progress: bool = _arg(True, "Show progress bars.")

    def __post_init__(self) -> None:
        validate_fields(self)
        if not self.train_data:
            raise ValueError("train_data: give at least one clip folder.")
        if self.tracking_config is not None:
            from ..modeling import SoccerMasterTrackingConfig

            config_overrides(self.tracking_config, SoccerMasterTrackingConfig, "tracking_config", "tracking_config",
                             '{"num_layers": 3}')


def _is_clip(folder: Path) -> bool:
    return (folder / "Labels-GameState.json").is_file() or (folder / "gt" / "gt.txt").is_file()


def clip_folders(sources: list[str]) -> list[Path]:
    """The clip folders of `sources`, each a clip or a folder of clips: SoccerNet-GSR clips (``Labels-GameState.json``)
    and SNMOT / MOTChallenge sequences (``gt/gt.txt`` + ``seqinfo.ini``); a folder with both is read as GSR."""
    folders: list[Path] = []
    for source in map(Path, sources):
        if not source.exists():
            raise FileNotFoundError(f"{source}: no such folder.")
        if not source.is_dir():
            raise ValueError(f"{source}: a folder of SoccerNet-GSR clips or SNMOT sequences is expected, not a file.")
        if _is_clip(source):
            found = [source]
        else:
            candidates = {path.parent for path in source.rglob("Labels-GameState.json")}
            candidates |= {path.parent.parent for path in source.rglob("gt/gt.txt")}
            found = sorted(folder for folder in candidates if _is_clip(folder))
        if not found:
            raise ValueError(f"{source}: no SoccerNet-GSR clip (Labels-GameState.json) or SNMOT sequence "
                             "(gt/gt.txt) under it.")
        folders.extend(found)
    return folders


def match_identities(boxes: np.ndarray, truth_boxes: np.ndarray, truth_ids: np.ndarray, min_iou: float) -> np.ndarray:
    """The annotated identity of each detection (Hungarian on IoU, pairs below `min_iou` refused), `-1` if none."""
    from scipy.optimize import linear_sum_assignment

    from ..tracking import iou_matrix

    identities = np.full(len(boxes), -1, dtype=np.int64)
    if len(boxes) == 0 or len(truth_boxes) == 0:
        return identities
    iou = iou_matrix(boxes, truth_boxes)
    rows, columns = linear_sum_assignment(-iou)
    for row, column in zip(rows, columns):
        if iou[row, column] >= min_iou:
            identities[row] = int(truth_ids[column])
    return identities


def clip_tokens(folder: Path, model, processor, threshold: float, min_iou: float, batch_size: int,
                max_frames: int | None = None) -> dict[str, torch.Tensor]:
    """``{"features" (M, F), "frames" (M,), "identities" (M,)}``: the detections of a clip matched to its annotated
    identities (see the module docstring)."""
    from ..data.images import load_frames
    from ..evaluation.tracking_ground_truth import ground_truth_frames, snmot_ground_truth_frames

    if (folder / "Labels-GameState.json").is_file():
        truth, _ = ground_truth_frames(folder, include_ball=False)
        image_dir = folder / "img1"
    else:
        truth, image_dir = snmot_ground_truth_frames(folder, include_ball=False)
    frames, _, _ = load_frames(str(image_dir), max_frames or len(truth))
    features, times, identities, boxes = [], [], [], []
    for start in range(0, len(frames), batch_size):
        chunk = frames[start:start + batch_size]
        inputs = processor(chunk, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            output = model(pixel_values=inputs).detection
        results = processor.post_process_object_detection(output, threshold=threshold,
                                                          target_sizes=[f.shape[:2] for f in chunk])
        for offset, result in enumerate(results):
            index = start + offset
            if index >= len(truth):
                break
            gt = truth[index].detections
            found = match_identities(result["boxes"].numpy(), np.array([d.box for d in gt]).reshape(-1, 4),
                                     np.array([d.track_id for d in gt]), min_iou)
            keep = found >= 0
            if keep.any():
                queries = result["query_indices"][torch.from_numpy(keep)]
                height, width = chunk[offset].shape[:2]
                boxes.append(normalised_boxes(result["boxes"][torch.from_numpy(keep)].numpy(), (width, height)))
                features.append(output.last_hidden_state.reshape(-1, *output.last_hidden_state.shape[-2:])[offset,
                                                                                                           queries].float())
                times.append(torch.full((int(keep.sum()),), index, dtype=torch.long))
                identities.append(torch.from_numpy(found[keep]))
    width = model.config.detection_config.hidden_size
    return {"features": torch.cat(features) if features else torch.zeros(0, width),
            "boxes": torch.cat(boxes) if boxes else torch.zeros(0, 4),
            "frames": torch.cat(times) if times else torch.zeros(0, dtype=torch.long),
            "identities": torch.cat(identities) if identities else torch.zeros(0, dtype=torch.long)}


def training_batch(tokens: dict[str, torch.Tensor], config, generator: torch.Generator) -> dict[str, torch.Tensor] | None:
    """One MOTIP training batch (``num_groups`` rows) from a clip's tokens: the ID-decoder inputs and `id_labels` of
    `SoccerMasterForMultiObjectTracking.forward` (see the module docstring); `None` when the drawn clip has fewer
    than two frames with tokens."""
    frames, identities, features = tokens["frames"], tokens["identities"], tokens["features"]
    boxes = tokens.get("boxes", torch.zeros(len(frames), 4))
    if len(frames) == 0:
        return None
    first, last = int(frames.min()), int(frames.max())
    stride = int(torch.randint(1, config.max_sample_stride + 1, (1,), generator=generator))
    span = (config.sample_length - 1) * stride
    start = first + int(torch.randint(0, max(1, last - first - span + 1), (1,), generator=generator))
    wanted = torch.arange(start, start + span + 1, stride)
    keep = torch.isin(frames, wanted)
    frames, identities, features, boxes = frames[keep], identities[keep], features[keep], boxes[keep]
    if len(torch.unique(frames)) < 2:
        return None
    times = torch.searchsorted(wanted, frames)  # frame -> position in the clip (0 ... sample_length - 1)
    people = torch.unique(identities)
    count, num_ids = len(frames), config.num_ids
    rows: dict[str, list[torch.Tensor]] = {key: [] for key in ("history_features", "history_boxes", "history_labels",
                                                                 "history_mask", "id_labels")}
    for _ in range(config.num_groups):
        permutation = torch.randperm(num_ids, generator=generator)[:len(people)]
        chosen = torch.randperm(len(people), generator=generator)[:num_ids]  # beyond K identities: left out
        label_of = torch.full((len(people),), -1, dtype=torch.long)
        label_of[chosen] = permutation[:len(chosen)]
        person = torch.searchsorted(people, identities)
        labels = label_of[person]
        visible = labels >= 0
        # trajectory occlusion: hide a random contiguous span of a trajectory's tokens from the history
        for index in range(len(people)):
            if float(torch.rand((), generator=generator)) < config.trajectory_occlusion_prob:
                own = (person == index).nonzero().flatten()
                if len(own) > 1:
                    begin = int(torch.randint(0, len(own), (1,), generator=generator))
                    length = int(torch.randint(1, len(own) - begin + 1, (1,), generator=generator))
                    visible[own[begin:begin + length]] = False
        history, history_boxes = features.clone(), boxes.clone()
        # trajectory switch: per frame, two objects swap their history features and boxes (labels kept)
        for time in torch.unique(times).tolist():
            own = (times == time).nonzero().flatten()
            if len(own) > 1 and float(torch.rand((), generator=generator)) < config.trajectory_switch_prob:
                pair = own[torch.randperm(len(own), generator=generator)[:2]]
                history[pair] = history[pair.flip(0)]
                history_boxes[pair] = history_boxes[pair.flip(0)]
        # targets: the label when a visible token of the identity lies 1 ... history_length positions before
        distance = times[:, None] - times[None, :]
        seen = (labels[:, None] == labels[None, :]) & visible[None, :] & (distance >= 1) & \
            (distance <= config.history_length)
        targets = torch.where(seen.any(1), labels, torch.full_like(labels, num_ids))
        targets[(labels < 0) | (times == times.min())] = -100
        rows["history_features"].append(history)
        rows["history_boxes"].append(history_boxes)
        rows["history_labels"].append(labels.clamp(min=0))
        rows["history_mask"].append(visible)
        rows["id_labels"].append(targets)
    batch = {key: torch.stack(value) for key, value in rows.items()}
    groups = config.num_groups
    batch.update(current_features=features.expand(groups, count, features.shape[-1]),
                 current_boxes=boxes.expand(groups, count, 4),
                 current_times=times.expand(groups, count), current_mask=torch.ones(groups, count, dtype=torch.bool),
                 history_times=times.expand(groups, count))
    return batch


def load_tracking_model(init_from: str | None, overrides: dict | None = None):
    """`SoccerMasterForMultiObjectTracking` with the detector of `init_from` (default: the shipped checkpoint) and a
    fresh ID decoder (`overrides`: tracking_config fields)."""
    from ..analysis.pipeline import load_analysis_model
    from ..modeling import SoccerMasterConfig, SoccerMasterForMultiObjectTracking, SoccerMasterTrackingConfig
    from ..utils.errors import load_pretrained

    if init_from is None:
        detector, _ = load_analysis_model(None)
        config = detector.config
        config.tracking_config = SoccerMasterTrackingConfig(**(overrides or {}))
        model = SoccerMasterForMultiObjectTracking(config)
        model.load_state_dict(detector.state_dict(), strict=False)
        return model
    from transformers.utils import logging as hf_logging

    config = load_pretrained(SoccerMasterConfig, init_from)
    config.tracking_config = SoccerMasterTrackingConfig(**(overrides or {}))
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the ID decoder is missing from a detector folder by design: no load report
    try:
        return load_pretrained(SoccerMasterForMultiObjectTracking, init_from, config=config)
    finally:
        hf_logging.set_verbosity(verbosity)


def train_tracking(args: TrackingTrainingArguments) -> Path:
    """Run (or resume) ID-decoder training; returns the folder of the final model (`<output_dir>/final`)."""
    from safetensors.torch import load_file, save
    from tqdm.auto import tqdm
    from transformers import get_cosine_schedule_with_warmup

    from ..modeling import SoccerMasterForMultiObjectTracking
    from ..processing import SoccerMasterImageProcessor

    output_dir = Path(args.output_dir)
    folders = clip_folders(args.train_data)
    prepare_output_dir(output_dir, "train-tracking", overwrite=args.overwrite,
                       sources=[*args.train_data, args.init_from])
    checkpoints = _checkpoints(output_dir)
    torch.manual_seed(args.seed)  # the fresh ID decoder's initialisation
    if checkpoints:
        model = SoccerMasterForMultiObjectTracking.from_pretrained(checkpoints[-1])
    else:
        model = load_tracking_model(args.init_from, json.loads(args.tracking_config) if args.tracking_config else None)
    config = model.config.tracking_config
    model.eval()
    processor = SoccerMasterImageProcessor.from_model_config(model.config)
    token_dir = output_dir / TOKENS_DIR
    token_dir.mkdir(exist_ok=True)
    clips, skipped = [], Counter()
    for folder in tqdm(folders, desc="detector tokens", disable=not args.progress):
        digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
        path = token_dir / f"{folder.name}-{digest}.safetensors"
        if path.is_file():
            tokens = load_file(str(path))
        else:
            try:
                tokens = clip_tokens(folder, model, processor, config.detection_threshold, args.match_iou,
                                     args.batch_size, args.max_frames)
            except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
                skipped[f"unreadable clip ({type(error).__name__})"] += 1
                print(f"skipped {folder}: unreadable clip ({type(error).__name__}: {error})")
                continue
            with atomic_file(path, "wb") as handle:
                handle.write(save({key: value.contiguous() for key, value in tokens.items()}))
        if len(torch.unique(tokens["frames"])) >= 2:
            clips.append(tokens)
        else:
            skipped["fewer than two frames with matched detections"] += 1
            print(f"skipped {folder}: fewer than two frames with matched detections")
    if skipped:
        print(f"skipped {sum(skipped.values())} of {len(folders)} clips: " +
              ", ".join(f"{count} {reason}" for reason, count in skipped.items()))
    if not clips:
        raise ValueError(f"{', '.join(args.train_data)}: no usable tracking clip (no clip with matched detections on "
                         f"two frames or more; {dict(skipped)}).")
    weights = torch.tensor([float(len(c["frames"])) for c in clips])
    if not checkpoints:  # a resumed run keeps the statistics its checkpoint holds
        model.id_decoder.set_feature_statistics(torch.cat([c["features"] for c in clips]))
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    trainable = list(model.id_decoder.parameters())
    for parameter in trainable:
        parameter.requires_grad_(True)
    optimizer = torch.optim.AdamW(trainable, lr=args.learning_rate, weight_decay=args.weight_decay)
    scheduler = get_cosine_schedule_with_warmup(optimizer, args.warmup_steps, args.max_steps)
    step = 0
    if checkpoints:
        step = int(resume_training_state(checkpoints[-1], optimizer, scheduler)["step"])
        print(f"resumed from {checkpoints[-1].name} (step {step})")
    atomic_write_json(output_dir / "training_args.json", asdict(args))
    log_path = output_dir / "metrics.csv"
    rows = read_metric_rows(log_path, step)
    progress = tqdm(total=args.max_steps, initial=step, desc="train-tracking", disable=not args.progress)
    model.id_decoder.train()
    while step < args.max_steps:
        generator = torch.Generator().manual_seed(args.seed * 1_000_003 + step)
        batch = None
        while batch is None:
            batch = training_batch(clips[int(torch.multinomial(weights, 1, generator=generator))], config, generator)
        output = model(**batch)
        output.loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % args.log_every == 0 or step == args.max_steps:
            targets = batch["id_labels"]
            hits = (output.id_logits.argmax(-1) == targets)[targets != -100]
            rows.append({"step": step, "loss": float(output.loss.detach()), "id_accuracy": float(hits.float().mean()),
                         "lr": scheduler.get_last_lr()[0]})
            progress.set_postfix(loss=f"{rows[-1]['loss']:.3f}", acc=f"{rows[-1]['id_accuracy']:.3f}")
            write_metric_rows(log_path, rows, ["step", "loss", "id_accuracy", "lr"])
        if step % args.checkpoint_every == 0 or step == args.max_steps:
            _save_checkpoint(output_dir, step, model, optimizer, scheduler, {"data": [{"seed": args.seed}]},
                             args.keep_checkpoints)
    progress.close()
    final = output_dir / "final"
    model.eval()
    save_pretrained_atomic(model, final, command="train-tracking", overwrite=True)
    return final


__all__ = ["TrackingTrainingArguments", "clip_folders", "clip_tokens", "load_tracking_model", "match_identities",
           "normalised_boxes", "train_tracking", "training_batch"]  # normalised_boxes: re-exported from tracking.motip
