#!/usr/bin/env bash
# session 13: the tiny-p1 pilot resumed from session 12's EMA weights with the motion term in the loss
# (cells the object entered or left since the latent before weigh 1 + 5 + MOTION_WEIGHT), on session 12's bank
set -e
cd "$(dirname "$0")/../.."
nice -n 19 .venv/bin/python -m longcut.models.train dit --preset tiny-p1 --out runs/dit_s13_motion --bank runs/bank_s12.pt \
  --init models/pilots/dit_p1_s12.safetensors --motion-weight "${MOTION_WEIGHT:-10}" \
  --chunk-latents 4 --p-image 0.1 --p-first 0.5 --t-shift 2 --batch 16 --lr 3e-4 --warmup 50 --ema 0.995 \
  --steps 100000 --max-minutes "${MINUTES:-150}" --eval-every 300 --eval-prompts 64 --threads 1 --seed 2 > runs/dit_s13_motion.log 2>&1
