#!/usr/bin/env bash
# Runs every foundation benchmark in turn (about 10 minutes on a 2-core machine) and keeps the
# printed report and each benchmark's JSON under OUT (default bench/.cache/results-<time>).
# Usage: bench/foundation/run_all.sh [path/to/sightline]   (default $SIGHTLINE_BIN or build/sightline)
# Not a test: nothing here fails on a missed target; read the ratios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-${SIGHTLINE_BIN:-$repo/build/sightline}}"
py="${PYTHON:-$repo/.venv/bin/python}"
out="${OUT:-$repo/bench/.cache/results-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
for bench in ttff newest_latency ingest_cost memory long_segment; do
  extra=()
  [[ $bench == ingest_cost ]] && extra=(--perf)
  "$py" "$here/$bench.py" --bin "$bin" --workdir "$out/work" --json "$out/$bench.json" \
    "${extra[@]}" 2>&1 | tee "$out/$bench.txt"
  echo
done
echo "reports and JSON in $out"
