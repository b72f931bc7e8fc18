#!/usr/bin/env bash
# The exact commands that trained the shipped default checkpoint's event head (the grid_linear head) on its
# frozen backbone (issue 15): `soccermaster train-events` on 1-fps clips of four scripted SoccerSynth matches,
# evaluated on a fifth. Everything else in the checkpoint is bit-identical to scripts/train_default_checkpoint.sh's output.
# Runs on 2 CPU cores: ~6 min of rendering and ~6-9 min of backbone encoding per match, ~3 min of training.
# Usage: bash scripts/train_default_event_head.sh [WORKDIR] [INIT_FROM]
set -euo pipefail
WORK=${1:-runs/events}
INIT=${2:-runs/default/run/final}  # the default checkpoint before its event head was trained
mkdir -p "$WORK"
# 1. 1-fps event clips (30 s, centred on the event) of scripted matches: every event of seeds 1, 2, 5 and 6 for
#    training (1,149 clips), every event of seed 3 held out (292 clips); one 1-frame spatial clip each is a side effect
#    (seed 4 is the second held-out match, checked afterwards; it is never trained on)
for seed in 1 2 3 5 6; do
    soccermaster synth --out "$WORK/scripted-$seed" --clips 1 --frames 1 --tracking scripted --seed "$seed" \
        --size 480x270 --semantic-clips 400
done
# 2. the grid_linear event head (the last hidden state on a 4x4 grid in 6 time spans, LayerNorm, one linear layer) on
#    the frozen backbone's cached grid cells; seed 4 checks it afterwards (seed 3: 0.884, seed 4: 0.825; trained on
#    seeds 1 and 2 only, as shipped before: 0.822 and 0.790)
soccermaster train-events "$WORK/scripted-1" "$WORK/scripted-2" "$WORK/scripted-5" "$WORK/scripted-6" \
    --eval "$WORK/scripted-3" --output "$WORK/run" \
    --init-from "$INIT" --event-head grid_linear --max-steps 3000 --weight-decay 0.1 --learning-rate 1e-3
# 3. the copy that ships with the package (config + weights; the rest of the Hub folder is regenerated)
cp "$WORK/run/final"/{config.json,model.safetensors} src/soccermaster_hf/assets/default_checkpoint/
python -c "from soccermaster_hf.hub import refresh_default_checkpoint; refresh_default_checkpoint()"
