#!/usr/bin/env bash
# The exact commands behind the shipped re-identification network (src/soccermaster_hf/assets/default_reid) and the
# numbers of docs/tracking.md, *Re-identification*. About 20 minutes on 2 CPU cores.
# Usage: bash scripts/train_default_reid.sh [WORKDIR]
set -euo pipefail
WORK=${1:-runs/reid}
mkdir -p "$WORK"
# 1. training clips from the first 1800 s of the match (the tracking benchmark holds out 2000-2800 s of seed 99 and
#    validates on 3000-3600 s of seeds 42-44): 80 clips of 4 s, about 48,000 annotated athlete crops
soccermaster synth --out "$WORK/train" --clips 20 --frames 100 --seed 11 --time-range 0:1800 --semantic-clips 0
soccermaster synth --out "$WORK/train2" --clips 60 --frames 100 --seed 12 --time-range 0:1800 --semantic-clips 0
# 2. the network (64 x 32 crops, 4 stages, 128-d embedding: the config defaults), supervised contrastive loss
soccermaster train-reid "$WORK/train" "$WORK/train2" -o "$WORK/run" --max-steps 2500 --log-every 100 \
    --checkpoint-every 500
# 3. the official scores on the held-out 30 s clip with and without it (row "+ no re-id")
python benchmarks/tracking.py --data "$WORK/heldout30s" --clips 1 --frames 750 --reid-model "$WORK/run/final"
