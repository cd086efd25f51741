#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ and runs each for a bounded time. Used by
# scripts/test.sh (30 s a target); fuzz/README.md has the longer run.
#   fuzz/run.sh                       every target
#   fuzz/run.sh ovs_ref chat_json     some of them (names without _fuzz)
# Environment: FUZZ_SECONDS (default 30, per target), FUZZ_RSS_MB (2048), FUZZ_INPUT_TIMEOUT
# (10: seconds one input may take), FUZZ_DIR (build-fuzz), FUZZ_WORK (scratch folder; default
# a fresh mktemp -d, removed afterwards unless FUZZ_KEEP=1), JOBS (default nproc),
# FUZZ_BUILD=0 (skip the build).
# Exits non-zero on any crash, leak, timeout, out-of-memory or sanitizer report: the input that
# caused it is kept in the scratch folder (its path is printed) and shown as hex.
# Nothing under fuzz/ is written: the seeds in fuzz/corpus/<name>/ are read, and what the
# fuzzer learns goes to the scratch corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

ALL_TARGETS=(ovs_ref http_request chat_json)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${ALL_TARGETS[@]}")
FUZZ_DIR="${FUZZ_DIR:-build-fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
FUZZ_RSS_MB="${FUZZ_RSS_MB:-2048}"
FUZZ_INPUT_TIMEOUT="${FUZZ_INPUT_TIMEOUT:-10}"
JOBS="${JOBS:-$(nproc)}"
CC_FUZZ="${CC_FUZZ:-clang-16}"
CXX_FUZZ="${CXX_FUZZ:-clang++-16}"

for t in "${targets[@]}"; do
  if [ ! -f "fuzz/${t}_fuzz.cpp" ]; then
    echo "fuzz/run.sh: no target '$t' (known: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
done

if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  if ! command -v "$CXX_FUZZ" >/dev/null; then
    echo "fuzz/run.sh: $CXX_FUZZ not found (scripts/setup.sh installs clang-16, libclang-rt-16-dev, llvm-16)" >&2
    exit 2
  fi
  # -O1: quick enough to build, several times faster to fuzz than -O0. Line tables only: stacks
  # with file:line at a fraction of -g's size. Debug keeps assert() on. No libtorch: Debian's
  # libtorch 1.13 headers do not compile with clang in C++20 (c10::IValue incomplete inside
  # std::vector), and no fuzz target reaches the forward pass (the engine backend links without
  # it and says so at load).
  CC="$CC_FUZZ" CXX="$CXX_FUZZ" cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" \
    -DSIGHTLINE_FUZZ=ON -DSIGHTLINE_TESTS=OFF -DSIGHTLINE_BENCH=OFF \
    -DSIGHTLINE_ENGINE_TORCH=OFF >/dev/null
  cmake --build "$FUZZ_DIR" -j "$JOBS" --target "${targets[@]/%/_fuzz}"
fi

work="${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/sightline-fuzz.XXXXXX")}"
mkdir -p "$work"
if [ "${FUZZ_KEEP:-0}" != 1 ] && [ -z "${FUZZ_WORK:-}" ]; then
  trap 'rm -rf "$work"' EXIT
fi

# Sanitizer settings of their own: the ones scripts/test.sh exports for the unit tests
# (abort_on_error, strict_string_checks) are not meant for libFuzzer.
export ASAN_OPTIONS="${FUZZ_ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Stacks with file:line need the symbolizer of the same LLVM (llvm-16, from scripts/setup.sh).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-16/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-16/bin/llvm-symbolizer
fi

failed=()
for t in "${targets[@]}"; do
  bin="$FUZZ_DIR/${t}_fuzz"
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  dict=(); [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")

  # Known-bad inputs of fixed bugs replay first, as plain test cases.
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    mapfile -t regs < <(find "fuzz/regressions/$t" -type f ! -name '*.md' | sort)
    if [ "${#regs[@]}" -gt 0 ] && ! "$bin" -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_INPUT_TIMEOUT" \
         "${regs[@]}" >"$dir/regressions.log" 2>&1; then
      echo "fuzz: $t fails on a regression input:" >&2
      tail -n 40 "$dir/regressions.log" >&2
      failed+=("$t (regressions)")
      continue
    fi
  fi

  start=$SECONDS
  # The scratch corpus comes first: libFuzzer writes what it finds to the first folder only.
  set +e
  "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb="$FUZZ_RSS_MB" \
    -timeout="$FUZZ_INPUT_TIMEOUT" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
    "${dict[@]}" "$dir/corpus" "fuzz/corpus/$t" >"$dir/log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1 || true)
  artifacts=$(find "$dir/artifacts" -type f | sort)
  if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
    echo "fuzz: $t FAILED (exit $rc) after $((SECONDS - start))s; log: $dir/log" >&2
    grep -v -E '^#[0-9]+|^INFO:|^\s*$' "$dir/log" | tail -n 60 >&2 || true
    for a in $artifacts; do
      echo "fuzz: input $a ($(stat -c %s "$a") bytes):" >&2
      head -c 512 "$a" | od -A d -t x1z | head -n 20 >&2
    done
    failed+=("$t")
  else
    echo "fuzz: $t ok: ${runs:-?} inputs in $((SECONDS - start))s, ${cov:-cov: ?}," \
         "corpus $(find "$dir/corpus" -type f | wc -l) new + $(find "fuzz/corpus/$t" -type f | wc -l) seeds"
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (scratch folder kept: $work)" >&2
  trap - EXIT
  exit 1
fi
