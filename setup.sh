#!/usr/bin/env bash
# One command to set longcut up on a fresh machine:
#   bash setup.sh            # venv + install + doctor + demo render + a first `longcut make`
#   bash setup.sh --no-demo  # venv + install + doctor (what CI uses)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
.venv/bin/longcut doctor
if [ "${1:-}" != "--no-demo" ]; then
  mkdir -p out
  .venv/bin/python -m longcut.tools.demo out/demo.mp4
  echo "demo written to out/demo.mp4"
  # the main job on the embedded defaults: tiny model, offline planner, no network
  .venv/bin/longcut make \
    "a 12-second video: a red ball bounces on the grass, then night falls and a blue star moves left" \
    -o out/first.mp4
  echo "first video written to out/first.mp4"
fi
