"""LoRA fine-tuning of a pre-trained SoccerMaster on "a new league" (SoccerSynth clips with other kits, cameras,
resolution and part of the match), reporting the held-out metrics before and after.

    python examples/finetune_lora.py --model runs/default/final --steps 200 --out runs/lora-new-league

Only the LoRA adapters (rank `--rank` on every `q_proj` / `v_proj`: spatial, temporal and detection-decoder
attention) and the detection head's classifiers (`--train-heads`, saved with the adapter as `modules_to_save`) train;
the adapter is saved, reloaded onto a fresh copy of the base model and checked to give the same outputs.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

from soccermaster_hf import SoccerMasterForPreTraining
from soccermaster_hf.data.soccernet_gsr import SoccerNetGSRClips, to_model_inputs
from soccermaster_hf.evaluation.heldout import ensure_data, evaluate


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Pre-trained SoccerMasterForPreTraining folder or Hub id.")
    parser.add_argument("--out", default="lora-new-league")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--train-heads", action="store_true", help="Also train the detection class/box heads.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from peft import LoraConfig, PeftModel, get_peft_model

    out = Path(args.out)
    torch.manual_seed(args.seed)
    # "a new league": another seed (kits, cameras), another resolution, the second part of the match
    train_data = ensure_data(out / "new-league-train", args.clips, args.frames, seed=1234, time_range=(2000.0, 2400.0),
                             width=800, height=450)
    eval_data = ensure_data(out / "new-league-eval", max(1, args.clips // 2), args.frames, seed=4321,
                            time_range=(2400.0, 2800.0), width=800, height=450)
    base = SoccerMasterForPreTraining.from_pretrained(args.model)
    before = evaluate(base, eval_data, calibration=False)

    # PEFT wraps single modules, not the per-decoder-layer ModuleLists: name each classifier / box MLP (and the
    # two-stage token heads) explicitly
    modules_to_save = [name for name, _ in base.named_modules()
                       if re.search(r"detection_head\.((class|bbox)_embed\.\d+|enc_(class|bbox)_embed)$", name)] \
        if args.train_heads else None
    model = get_peft_model(base, LoraConfig(r=args.rank, lora_alpha=2 * args.rank, target_modules=["q_proj", "v_proj"],
                                            modules_to_save=modules_to_save))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    dataset = SoccerNetGSRClips(train_data, clip_length=2, max_size=480)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    size = base.config.vision_config.image_size
    generator = torch.Generator().manual_seed(args.seed)
    model.train()
    losses = []
    for _ in range(args.steps):
        index = int(torch.randint(len(dataset), (1,), generator=generator))
        inputs = to_model_inputs([dataset[index]], size)
        loss = model(**inputs).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    model.eval()
    model.save_pretrained(out / "adapter")
    after = evaluate(model, eval_data, calibration=False)

    # the adapter reloads onto a fresh base model and reproduces the fine-tuned outputs
    fresh = SoccerMasterForPreTraining.from_pretrained(args.model)
    reloaded = PeftModel.from_pretrained(fresh, out / "adapter").eval()
    probe = to_model_inputs([dataset[0]], size)["spatial_pixel_values"]
    with torch.no_grad():
        same = torch.allclose(model(spatial_pixel_values=probe).detection["logits"],
                              reloaded(spatial_pixel_values=probe).detection["logits"], atol=1e-5)
    report = {"trainable_parameters": trainable, "total_parameters": total, "modules_to_save": modules_to_save or [],
              "first_loss": losses[0],
              "last_loss": losses[-1], "adapter_reload_matches": bool(same),
              "before": {k: v for k, v in before.items() if isinstance(v, float)},
              "after": {k: v for k, v in after.items() if isinstance(v, float)}}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(f"trainable {trainable:,} of {total:,} parameters ({100 * trainable / total:.2f} %)")
    print(f"{'metric':<30} {'before':>8} {'after':>8}")
    for key in ("detection AP@50", "detection AP", "role accuracy", "jersey accuracy", "keypoint accuracy (authors')"):
        print(f"{key:<30} {before[key]:8.3f} {after[key]:8.3f}")
    print(f"adapter saved to {out / 'adapter'}; reload reproduces outputs: {same}")
    return report


if __name__ == "__main__":
    main()
