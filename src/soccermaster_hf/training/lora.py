"""LoRA fine-tuning as a mode of `soccermaster train` (`--init-from BASE --lora-rank R`), with PEFT.

The base model is frozen; rank-R adapters train on the `--lora-targets` linear layers (`q_proj` / `v_proj` by default:
the spatial, temporal and detection-decoder attention all use these names), and the heads named by `--train-heads`
train fully (PEFT's `modules_to_save`). Checkpoints and the final folder hold the adapter only
(`adapter_config.json`, `adapter_model.safetensors`), so a run on a new league writes megabytes, not the model;
`PeftModel.from_pretrained(base, folder)` rebuilds the fine-tuned model, and `--merge-lora` also writes the merged
full model (`final-merged/`, loadable without PEFT). Everything else (schedule, per-module clipping, augmentation,
kill-safe resume, metrics, `--push-to-hub`) is the ordinary training loop's.

Without `--lora-rank`, `--train-heads` is heads-only fine-tuning: the named heads train whole
(:func:`freeze_all_but_heads`), every other weight of the `--init-from` model is frozen, and the run saves the full
model as an ordinary training run does.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path

import torch

# `--train-heads` name -> the modules PEFT trains fully and saves with the adapter. PEFT wraps single modules, not
# the per-decoder-layer ModuleLists, so the detection classifiers / box MLPs are named one by one.
HEAD_PATTERNS = {
    "detection": r"detection_head\.((class|bbox|role|jersey|jersey_tens|jersey_units|team)_embed\.\d+|"
                 r"enc_(class|bbox)_embed)",
    "keypoints": r"keypoint_head",
    "lines": r"line_head",
    "events": r"event_head",
}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
# `--train-heads` without `--lora-rank` (heads-only fine-tuning): the whole head module trains, decoder layers included
HEAD_MODULES = {"detection": "detection_head", "keypoints": "keypoint_head", "lines": "line_head",
                "events": "event_head"}


def freeze_all_but_heads(model: torch.nn.Module, heads: list[str]) -> int:
    """Freeze every parameter of `model` except those of the `heads` (keys of :data:`HEAD_MODULES`: whole head
    modules); returns the number of trainable parameters. The backbone is frozen, so the features that the other heads
    (the event head trained on cached features, the pitch heads) read do not move."""
    model.requires_grad_(False)
    for head in heads:
        module = getattr(model, HEAD_MODULES[head], None) if head in HEAD_MODULES else None
        if module is None:
            raise ValueError(f"--train-heads {head}: the model has no such head.")
        module.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def head_modules_to_save(model: torch.nn.Module, heads: list[str]) -> list[str]:
    """Module names of `heads` (keys of :data:`HEAD_PATTERNS`) in `model`; raises ValueError for an unknown head or
    one the model does not have."""
    names = []
    for head in heads:
        if head not in HEAD_PATTERNS:
            raise ValueError(f"--train-heads: unknown head {head!r}; choose from {sorted(HEAD_PATTERNS)}.")
        found = [name for name, _ in model.named_modules() if re.fullmatch(HEAD_PATTERNS[head], name)]
        if not found:
            raise ValueError(f"--train-heads {head}: the model has no such head.")
        names += found
    return names


def wrap_with_lora(model: torch.nn.Module, rank: int, alpha: float | None, targets: list[str], heads: list[str]):
    """`model` (frozen) with rank-`rank` LoRA adapters on the `targets` linear layers and `heads` trained fully."""
    from peft import LoraConfig, get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)}
    missing = [t for t in targets if t not in present]
    if missing:
        raise ValueError(f"--lora-targets: no linear layer is named {missing} in this model (it has e.g. "
                         f"{sorted(present)[:8]}).")
    config = LoraConfig(r=rank, lora_alpha=alpha if alpha is not None else 2 * rank, target_modules=list(targets),
                        modules_to_save=head_modules_to_save(model, heads) or None)
    return get_peft_model(model, config)


def freeze_batch_norm_statistics(model: torch.nn.Module) -> int:
    """Put every BatchNorm whose parameters are all frozen into eval mode (call after ``model.train()``); returns how
    many. A frozen head still updates its running mean / variance in train mode, and the adapter does not carry them:
    the pitch heads would drift on a few new-league batches, and `PeftModel.from_pretrained(base, adapter)` would not
    reproduce the trained model."""
    count = 0
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and not any(
                p.requires_grad for p in module.parameters()):
            module.eval()
            count += 1
    return count


def is_adapter_folder(folder: Path) -> bool:
    return (Path(folder) / "adapter_config.json").is_file()


def load_adapter(base: torch.nn.Module, folder: Path, trainable: bool = True):
    """`base` with the adapter of `folder` (a checkpoint or a final folder of a LoRA run)."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(base, str(folder), is_trainable=trainable)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ValueError(f"{folder}: unreadable LoRA adapter ({type(error).__name__}: "
                         f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}).") from None


def write_adapter_card(folder: Path, base: str, args, rows: list[dict], data_summary: str,
                       trainable: int, total: int) -> None:
    """The adapter's model card (README.md): PEFT library, the base model it applies to, how to load and merge it."""
    from huggingface_hub import ModelCard, ModelCardData

    from ..hub import REPO_PLACEHOLDER, hub_id_or_none
    from ..utils.io import atomic_write_text

    last = rows[-1] if rows else {}
    data = ModelCardData(library_name="peft", base_model=hub_id_or_none(base),
                         tags=["soccermaster_hf", "soccer", "lora", "peft"])
    losses = "\n".join(f"| {key} | {float(last[key]):.4f} |" for key in
                       ("loss", "loss_detection", "loss_keypoints", "loss_lines", "loss_events")
                       if last.get(key) not in (None, ""))
    settings = {k: v for k, v in asdict(args).items() if k != "extra"}
    text = f"""---
{data.to_yaml()}
---

# LoRA adapter for SoccerMaster (`{base}`)

A LoRA adapter (rank {args.lora_rank}, on `{', '.join(args.lora_targets)}`{', heads trained: '
+ ', '.join(args.train_heads) if args.train_heads else ''}) fine-tuned with `soccermaster train --init-from {base}
--lora-rank {args.lora_rank}` for {last.get('step', 0)} steps on {', '.join(Path(d).name for d in args.train_dirs)}
(data: {data_summary}). Trainable parameters: {trainable:,} of {total:,} ({100 * trainable / max(total, 1):.2f} %).

**Base model:** `{base}`. The adapter holds only the LoRA matrices (and the fully trained heads); load it onto the base:

```python
from peft import PeftModel
from soccermaster_hf import SoccerMasterForPreTraining

base = SoccerMasterForPreTraining.from_pretrained("{base}")
model = PeftModel.from_pretrained(base, "{REPO_PLACEHOLDER}")
merged = model.merge_and_unload()  # a plain SoccerMasterForPreTraining, no PEFT needed to run it
```

## Last logged training losses

| loss | value |
| --- | --- |
{losses}

## Training arguments

`{json.dumps(settings, default=str)}`
"""
    ModelCard(text)  # parses the metadata: a malformed card fails here, not on the Hub
    atomic_write_text(Path(folder) / "README.md", text)


__all__ = ["ADAPTER_FILES", "HEAD_PATTERNS", "freeze_batch_norm_statistics", "head_modules_to_save",
           "is_adapter_folder", "load_adapter",
           "wrap_with_lora", "write_adapter_card"]
