#!/usr/bin/env bash
# Detection head with domain randomisation, a MEASURED CANDIDATE (issue 15): the exact commands of the run; it is NOT
# in the shipped default checkpoint (README, *Default checkpoint*: it lowers tracking on the synthetic 30 s clip).
# Heads-only fine-tuning (`soccermaster train --train-heads detection` without --lora-rank) of the default checkpoint
# with its event head (scripts/train_default_checkpoint.sh, then scripts/train_default_event_head.sh): the backbone,
# the pitch heads and the event head stay bit-identical and only `detection_head.*` changes.
# Runs on 2 CPU cores: ~1 min of rendering, ~5 min of training, ~10 min of evaluation.
# Usage: bash scripts/train_detection_head_randomised.sh [WORKDIR] [INIT_FROM] [DEFAULT_DATA]
set -euo pipefail
WORK=${1:-runs/detection-head}
INIT=${2:-runs/events/run/final}  # the default checkpoint with its trained event head
DATA=${3:-runs/default/data}      # the default-look training clips of scripts/train_default_checkpoint.sh
mkdir -p "$WORK"
# 1. the same part of the match (0-2000 s) and seed as the default-look clips, with SoccerSynth domain randomisation
#    (each clip draws its own grass, mowing, kits, boards, stands, camera installation, resolution, compression, light
#    and score overlay); held-out clips of both looks (seed 99, 2000-2800 s)
soccermaster synth --out "$WORK/data-randomised" --clips 200 --frames 6 --seed 7 --size 480x270 --time-range 0:2000 \
    --league randomised
soccermaster synth --out "$WORK/heldout" --clips 6 --frames 10 --seed 99 --time-range 2000:2800
soccermaster synth --out "$WORK/heldout-randomised" --clips 6 --frames 10 --seed 99 --time-range 2000:2800 \
    --league randomised
# 2. the detection head (decoder layers included) on both looks, everything else frozen
soccermaster train "$DATA" "$WORK/data-randomised" --output "$WORK/run" --init-from "$INIT" --train-heads detection \
    --max-steps 600 --batch-size 2 --clip-length 2 --learning-rate 1e-4 --warmup-steps 50 --mixed-precision bf16 \
    --checkpoint-every 200 --no-augment --seed 42
# 3. evaluation on both held-out looks and on the real broadcast frames (../shared/data/real/broadcast_frames)
python benchmarks/learning.py --model "$WORK/run/final" --data "$WORK/heldout"
python benchmarks/learning.py --model "$WORK/run/final" --data "$WORK/heldout-randomised"
python benchmarks/real_frames.py --model "$INIT" --model "$WORK/run/final" --out "$WORK/real-frames"
# 4. tracking on the held-out clips (the reason it is not shipped), against the shipped checkpoint
python benchmarks/tracking.py --model "$WORK/run/final" --data "$WORK/heldout30s" --clips 1 --frames 750
python benchmarks/tracking.py --model "$WORK/run/final" --data "$WORK/heldout2x50" --clips 2 --frames 50
