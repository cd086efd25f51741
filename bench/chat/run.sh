#!/usr/bin/env bash
# Chat Completions overhead benchmark (see bench.py's docstring and docs/performance.md).
# Loopback only; about three minutes. Needs wrk (scripts/setup.sh installs it) and a built
# sightline (SIGHTLINE_BIN, default build/sightline). LiteLLM's proxy goes into its own venv,
# bench/.venv-litellm, made on first use from PyPI; set BENCH_SKIP_LITELLM=1 to leave it out.
#
# Environment: SIGHTLINE_BIN, BENCH_OUT (JSON results; default /tmp/sightline-bench-chat.json),
# BENCH_ROUNDS, BENCH_LATENCY_SECONDS, BENCH_SWEEP_SECONDS. Extra arguments go to bench.py.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${SIGHTLINE_BIN:-$root/build/sightline}"
out="${BENCH_OUT:-/tmp/sightline-bench-chat.json}"
venv="$root/bench/.venv-litellm"

if [[ ! -x "$bin" ]]; then
  echo "no sightline binary at $bin (build it, or set SIGHTLINE_BIN)" >&2
  exit 2
fi
if ! command -v wrk >/dev/null; then
  echo "wrk is not installed (Debian: apt-get install wrk)" >&2
  exit 2
fi

litellm=()
if [[ "${BENCH_SKIP_LITELLM:-0}" != 1 ]]; then
  if [[ ! -x "$venv/bin/litellm" ]]; then
    echo "installing LiteLLM's proxy into $venv ..." >&2
    python3 -m venv "$venv"
    # The venv is a build output: keep it out of git without touching the shared .gitignore.
    echo '*' > "$venv/.gitignore"
    if ! "$venv/bin/pip" install --quiet 'litellm[proxy]'; then
      echo "pip install 'litellm[proxy]' failed; running without LiteLLM" >&2
    fi
  fi
  [[ -f "$venv/.gitignore" ]] || echo '*' > "$venv/.gitignore"
  if [[ -x "$venv/bin/litellm" ]]; then
    litellm=(--litellm "$venv/bin/litellm")
    echo "LiteLLM $("$venv/bin/pip" show litellm 2>/dev/null | sed -n 's/^Version: //p')" >&2
  fi
fi

exec python3 "$here/bench.py" --sightline "$bin" "${litellm[@]}" --out "$out" \
  --rounds "${BENCH_ROUNDS:-3}" --latency-seconds "${BENCH_LATENCY_SECONDS:-4}" \
  --sweep-seconds "${BENCH_SWEEP_SECONDS:-4}" "$@"
