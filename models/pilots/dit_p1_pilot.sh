#!/usr/bin/env bash
# session 11 pilot of tiny-p1: a 3,000-scene bank, then 20 minutes of training judged by the 64-prompt eval
set -e
cd /work/main
nice -n 19 .venv/bin/python -m longcut.models.train dit-bank --out runs/bank_s11.pt --scenes 3000 --clip-latents 21 \
  --variants 2 --one-object 0.8 --threads 1 --seed0 0 > runs/bank_s11.log 2>&1
nice -n 19 .venv/bin/python -m longcut.models.train dit --preset tiny-p1 --out runs/dit_s11_p1 --bank runs/bank_s11.pt \
  --chunk-latents 4 --p-image 0.1 --p-first 0.5 --t-shift 2 --batch 16 --lr 6e-4 --warmup 100 --ema 0.995 \
  --steps 100000 --max-minutes 20 --eval-every 200 --eval-prompts 64 --threads 1 --seed 0 > runs/dit_s11_p1.log 2>&1
