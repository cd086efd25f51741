#!/usr/bin/env bash
# The engine against Hugging Face transformers on one checkpoint folder, same thread count
# (bench/README.md, "engine/"). Runs build/engine_bench, then hf_bench.py, one after the other
# (never both at once: they share the cores), keeps their JSON lines and prints the ratios issue 9
# targets. Not a test: nothing fails on a figure.
#   bench/engine/run.sh CHECKPOINT_DIR [THREADS] [PRECISION] [DEVICE]
# DEVICE: cpu (default), cuda or cuda:N, the same for both (a CUDA build: docs/engine.md).
# Env: ENGINE_BENCH (default build/engine_bench), PYTHON (default /work/venv-ref/bin/python: the
# reference venv of tools/reference), DECODE_TOKENS (32), OUT (results folder).
set -euo pipefail
ckpt=${1:?usage: run.sh CHECKPOINT_DIR [THREADS] [PRECISION] [DEVICE]}
threads=${2:-2}
precision=${3:-f32}
device=${4:-cpu}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${ENGINE_BENCH:-$root/build/engine_bench}
py=${PYTHON:-/work/venv-ref/bin/python}
tokens=${DECODE_TOKENS:-32}
out=${OUT:-$root/bench/.cache/engine-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "(no git)")
echo "# $(date -u +%FT%TZ) commit $commit $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sightline engine ($ckpt, $threads threads, $precision, $device)"
"$bin" "$ckpt" --threads "$threads" --precision "$precision" --decode-tokens "$tokens" --device "$device" \
  | tee "$out/engine.jsonl"
echo "# transformers"
OMP_NUM_THREADS=$threads "$py" "$here/hf_bench.py" "$ckpt" --threads "$threads" --dtype "$precision" \
  --decode-tokens "$tokens" --device "$device" | tee "$out/hf.jsonl"
"$py" "$here/ratios.py" "$out/engine.jsonl" "$out/hf.jsonl" | tee "$out/ratios.txt"
echo "# results in $out"
