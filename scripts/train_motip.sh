#!/usr/bin/env bash
# The exact commands behind the MOTIP numbers of docs/tracking.md: the ID decoder of SoccerMasterForMultiObjectTracking
# trained on the shipped default checkpoint's (frozen) detector. About 30 minutes on 2 CPU cores.
# Usage: bash scripts/train_motip.sh [WORKDIR]
set -euo pipefail
WORK=${1:-runs/motip}
mkdir -p "$WORK"
# 1. training clips from the first 1800 s of the match (benchmarks/tracking.py holds out 2000-2800 s of seed 99)
soccermaster synth --out "$WORK/train" --clips 6 --frames 150 --seed 7 --time-range 0:1800
soccermaster synth --out "$WORK/train2" --clips 10 --frames 150 --seed 8 --time-range 0:1800
# 2. a first run on 6 clips (3 layers and 2 label groups per clip: CPU budget; 6 / 6 are MOTIP's defaults)
soccermaster train-tracking "$WORK/train" -o "$WORK/run1" --max-steps 2500 --learning-rate 1e-3 \
    --tracking-config '{"num_layers": 3, "num_groups": 2}' --log-every 50 --checkpoint-every 500
# 3. continued on all 16 clips (the ID decoder starts from run 1; the detector stays the default checkpoint's)
soccermaster train-tracking "$WORK/train" "$WORK/train2" -o "$WORK/run2" --init-from "$WORK/run1/final" \
    --max-steps 3000 --learning-rate 5e-4 --warmup-steps 50 --tracking-config '{"num_layers": 3, "num_groups": 2}' \
    --log-every 50 --checkpoint-every 500
# 4. the official scores against ByteTrack on held-out clips (2 x 50 frames, and one 30 s clip)
python benchmarks/tracking.py --data "$WORK/heldout" --clips 2 --frames 50 --motip-model "$WORK/run2/final"
python benchmarks/tracking.py --data "$WORK/heldout30s" --clips 1 --frames 750 --motip-model "$WORK/run2/final"
