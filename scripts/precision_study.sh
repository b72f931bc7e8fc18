#!/usr/bin/env bash
# What bf16 autocast costs in accuracy (issue 16): the default preset trained twice from the same seed and data, in
# float32 and under bfloat16 autocast (`soccermaster train --mixed-precision bf16`), then evaluated on the same held-out
# clips. 500 steps each on 2 CPU cores (~25 min in all). Usage: bash scripts/precision_study.sh [WORKDIR]
set -euo pipefail
WORK=${1:-runs/precision}
mkdir -p "$WORK"
soccermaster synth --out "$WORK/data" --clips 100 --frames 6 --seed 7 --size 480x270 --time-range 0:2000
soccermaster synth --out "$WORK/heldout" --clips 6 --frames 10 --seed 99 --time-range 2000:2800
for precision in bf16 no; do
    start=$(date +%s)
    soccermaster train "$WORK/data" --output "$WORK/run-$precision" --preset default --max-steps 500 --batch-size 2 \
        --clip-length 2 --learning-rate 3e-4 --warmup-steps 100 --mixed-precision "$precision" \
        --checkpoint-every 100 --no-augment --seed 42
    echo "training with --mixed-precision $precision took $(( $(date +%s) - start )) s"
    python "$(dirname "$0")/../benchmarks/learning.py" --model "$WORK/run-$precision/final" --data "$WORK/heldout"
done
# the training losses of both runs, averaged over steps 401-500 (metrics.csv; the same batches in both runs)
python - "$WORK" <<'PY'
import csv, sys
for precision in ("no", "bf16"):
    with open(f"{sys.argv[1]}/run-{precision}/metrics.csv") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["step"]) > 400]
    means = {key: sum(float(row[key]) for row in rows) / len(rows)
             for key in ("loss", "loss_detection", "loss_keypoints", "loss_lines")}
    print(f"--mixed-precision {precision:<4} steps 401-500: " + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
PY
