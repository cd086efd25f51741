#!/usr/bin/env bash
# The engine against Hugging Face transformers on one checkpoint folder, same thread count
# (bench/README.md, "engine/"). Runs build/engine_bench, then hf_bench.py, one after the other
# (never both at once: they share the cores), keeps their JSON lines and prints the ratios issue 9
# targets. Not a test: nothing fails on a figure.
#   bench/engine/run.sh CHECKPOINT_DIR [THREADS] [PRECISION]
# Env: ENGINE_BENCH (default build/engine_bench), PYTHON (default /work/venv-ref/bin/python: the
# reference venv of tools/reference), DECODE_TOKENS (64), OUT (results folder).
set -euo pipefail
ckpt=${1:?usage: run.sh CHECKPOINT_DIR [THREADS] [PRECISION]}
threads=${2:-2}
precision=${3:-bf16}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${ENGINE_BENCH:-$root/build/engine_bench}
py=${PYTHON:-/work/venv-ref/bin/python}
tokens=${DECODE_TOKENS:-64}
out=${OUT:-$root/bench/.cache/engine-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

echo "# $(date -u +%FT%TZ) commit $(git -C "$root" rev-parse --short HEAD) $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sightline engine ($ckpt, $threads threads, $precision)"
"$bin" "$ckpt" --threads "$threads" --precision "$precision" --decode-tokens "$tokens" | tee "$out/engine.jsonl"
echo "# transformers"
OMP_NUM_THREADS=$threads "$py" "$here/hf_bench.py" "$ckpt" --threads "$threads" --dtype "$precision" \
  --decode-tokens "$tokens" | tee "$out/hf.jsonl"
"$py" - "$out/engine.jsonl" "$out/hf.jsonl" <<'PY'
import json, sys
def rows(path):
    return {r["case"]: r for r in map(json.loads, open(path))}
e, h = rows(sys.argv[1]), rows(sys.argv[2])
def line(name, value, target, ok):
    print(f"{name:<44} {value:8.3f}   target {target:<8} {'met' if ok else 'MISSED'}")
print("# ratios (sightline engine / transformers unless said)")
for case in ("ttft_image", "ttft_video8", "window_cold"):
    r = e[case]["ttft_s"] / h[case]["ttft_s"]
    line(f"time to first token, {case}", r, "<= 0.7", r <= 0.7)
r = e["decode"]["tokens_per_s"] / h["decode"]["tokens_per_s"]
line("decode tokens/s", r, ">= 1.5", r >= 1.5)
r = e["memory"]["peak_over_weights"]
line("engine peak RSS / weights on disk", r, "<= 1.3", r <= 1.3)
print(f"{'  (transformers peak RSS / weights)':<44} {h['memory']['peak_over_weights']:8.3f}")
r = e["window_moved"]["ratio_to_cold"]
line("engine moved window / cold window", r, "<= 0.3", r <= 0.3)
print(f"{'  (transformers moved / cold)':<44} {h['window_moved']['ratio_to_cold']:8.3f}")
for case in ("ttft_image", "ttft_video8", "window_cold"):
    if e[case]["prompt_tokens"] != h[case]["prompt_tokens"]:
        print(f"WARNING: {case}: prompt tokens differ (engine {e[case]['prompt_tokens']}, "
              f"transformers {h[case]['prompt_tokens']})")
PY
echo "# results in $out"
