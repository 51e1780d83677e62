#!/usr/bin/env bash
# session 12: the 10k-scene bank, then the tiny-p1 pilot resumed from session 11's EMA weights
set -e
cd "$(dirname "$0")/../.."
nice -n 19 .venv/bin/python -m longcut.models.train dit-bank --out runs/bank_s12.pt --scenes 10000 --clip-latents 21 \
  --variants 2 --one-object 0.8 --threads 1 --seed0 0 > runs/bank_s12.log 2>&1
nice -n 19 .venv/bin/python -m longcut.models.train dit --preset tiny-p1 --out runs/dit_s12_p1 --bank runs/bank_s12.pt \
  --init models/pilots/dit_p1_pilot.safetensors \
  --chunk-latents 4 --p-image 0.1 --p-first 0.5 --t-shift 2 --batch 16 --lr 6e-4 --warmup 100 --ema 0.995 \
  --steps 100000 --max-minutes "${MINUTES:-75}" --eval-every 400 --eval-prompts 64 --threads 1 --seed 1 > runs/dit_s12_p1.log 2>&1
