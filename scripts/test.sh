#!/usr/bin/env bash
# The test command: everything a change must pass, in the order a failure is cheapest to see.
#   1. scripts/setup.sh          packages, test venv, release build in build/ (idempotent)
#   2. unit tests                ctest in build/
#   3. sanitizers                unit tests built with ASan+UBSan in build-asan/, ctest
#   4. threads                   unit tests built with TSan in build-tsan/, ctest
#   5. fuzzing, bounded          fuzz/run.sh: libFuzzer targets (clang) in build-fuzz/, 30 s each
#   6. end-to-end                tests/e2e with the real build/sightline and real sources
# Exits non-zero if any step fails; an empty test selection is a failure, never a pass.
#
# Knobs (environment): SKIP_SETUP=1 (packages/venv already there), SKIP_ASAN=1, SKIP_TSAN=1,
# SKIP_FUZZ=1,
# FUZZ_SECONDS (per fuzz target, default 30), SKIP_E2E=1,
# E2E_ASAN=1 (also run the e2e suite against a sanitizer build of the server),
# BUILD_DIR (default build), ASAN_DIR (default build-asan), TSAN_DIR (default build-tsan),
# JOBS (default nproc),
# E2E_ARGS (extra pytest arguments, e.g. "-k frames -x").
set -euo pipefail
cd "$(dirname "$0")/.."
# Objects of another clone of the project on this machine hash alike (CMakeLists.txt: ccache).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$PWD")}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
exec </dev/null            # CI has no stdin; nothing here may ever wait for input

BUILD_DIR="${BUILD_DIR:-build}"
ASAN_DIR="${ASAN_DIR:-build-asan}"
TSAN_DIR="${TSAN_DIR:-build-tsan}"
JOBS="${JOBS:-$(nproc)}"
E2E_MIN_TESTS=150          # the suite has more; fewer means tests silently went missing

t_start=$SECONDS
# The unit test executables a build directory defines (not the server or tools).
unit_test_targets() {
  ninja -C "$1" -t targets all | sed -n 's/^\([A-Za-z0-9_]*_test\): CXX_EXECUTABLE_LINKER.*/\1/p' | sort -u
}
step() { printf '\n==== %s (%ds elapsed) ====\n' "$*" "$((SECONDS - t_start))"; }
failures=()

step "setup"
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  scripts/setup.sh
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"

step "unit tests ($BUILD_DIR)"
if ! ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "$JOBS" --timeout 300; then
  failures+=("unit tests")
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  step "unit tests under ASan+UBSan ($ASAN_DIR)"
  # -O0 -g1: quickest to build, line numbers in reports. -Wno-mismatched-new-delete: GCC 12
  # misreports Boost.Asio's coroutine frame allocator once sanitizers change inlining (GCC bug
  # 109224); it is a false positive, and -Werror would stop the build on it.
  cmake -S . -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
    -DCMAKE_CXX_FLAGS="-Wno-mismatched-new-delete" \
    -DSIGHTLINE_SANITIZE=ON -DSIGHTLINE_BENCH=OFF -DSIGHTLINE_TESTS=ON >/dev/null
  # Only the unit test executables (and what they link), not the server or tools.
  mapfile -t unit_targets < <(unit_test_targets "$ASAN_DIR")
  if [ "${#unit_targets[@]}" -eq 0 ]; then
    echo "no unit test targets found in $ASAN_DIR" >&2
    failures+=("asan build")
  elif ! cmake --build "$ASAN_DIR" -j "$JOBS" --target "${unit_targets[@]}"; then
    failures+=("asan build")
  else
    export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    if ! ctest --test-dir "$ASAN_DIR" --output-on-failure --no-tests=error -j "$JOBS" --timeout 600; then
      failures+=("unit tests under sanitizers")
    fi
  fi
fi

if [ "${SKIP_TSAN:-0}" != 1 ]; then
  step "unit tests under ThreadSanitizer ($TSAN_DIR)"
  # -O1: TSan at -O0 is several times slower. FFmpeg's own thread pool is not instrumented;
  # tests/tsan.supp says why its reports are suppressed. The libtorch forward pass
  # (engine_torch_test) is left out: libtorch and its OpenMP pool are not built with TSan, so
  # every parallel tensor op would report races inside them; the engine's own threading (vision
  # cache, concurrent requests) is in engine_test, which runs here with a fake model.
  cmake -S . -B "$TSAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -Wno-mismatched-new-delete -Wno-tsan" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DSIGHTLINE_ENGINE_TORCH=OFF \
    -DSIGHTLINE_BENCH=OFF -DSIGHTLINE_TESTS=ON >/dev/null
  mapfile -t tsan_targets < <(unit_test_targets "$TSAN_DIR")
  if [ "${#tsan_targets[@]}" -eq 0 ]; then
    echo "no unit test targets found in $TSAN_DIR" >&2
    failures+=("tsan build")
  elif ! cmake --build "$TSAN_DIR" -j "$JOBS" --target "${tsan_targets[@]}"; then
    failures+=("tsan build")
  elif ! TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp}" \
       ctest --test-dir "$TSAN_DIR" --output-on-failure --no-tests=error -j "$JOBS" --timeout 600; then
    failures+=("unit tests under ThreadSanitizer")
  fi
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz targets, ${FUZZ_SECONDS:-30}s each (build-fuzz)"
  # Builds with clang-16 in build-fuzz/ and runs every target from fuzz/corpus seeds into a
  # scratch corpus; any crash, leak, timeout or sanitizer report fails (fuzz/README.md).
  if ! JOBS="$JOBS" FUZZ_SECONDS="${FUZZ_SECONDS:-30}" fuzz/run.sh; then
    failures+=("fuzz targets")
  fi
fi

if [ "${SKIP_E2E:-0}" != 1 ]; then
  step "end-to-end (tests/e2e against $BUILD_DIR/sightline)"
  export SIGHTLINE_BIN="$PWD/$BUILD_DIR/sightline"
  # The collection floor applies to full runs only (a -k selection is meant to be smaller).
  [ -n "${E2E_ARGS:-}" ] || export SIGHTLINE_E2E_MIN_TESTS="${SIGHTLINE_E2E_MIN_TESTS:-$E2E_MIN_TESTS}"
  # shellcheck disable=SC2086  # E2E_ARGS is a list of words on purpose
  if ! timeout --kill-after=30 2400 .venv/bin/pytest tests/e2e -q --durations=15 ${E2E_ARGS:-}; then
    failures+=("end-to-end tests")
  fi
fi

if [ "${E2E_ASAN:-0}" = 1 ] && [ "${SKIP_ASAN:-0}" != 1 ]; then
  # Opt-in: the same suite against a sanitizer build of the server (the harness fails a test
  # whose server log holds a sanitizer report). About as long again as the e2e step.
  step "end-to-end against $ASAN_DIR/sightline (ASan+UBSan)"
  if ! cmake --build "$ASAN_DIR" -j "$JOBS" --target sightline; then
    failures+=("asan server build")
  elif ! SIGHTLINE_BIN="$PWD/$ASAN_DIR/sightline" ASAN_OPTIONS="abort_on_error=0:detect_leaks=1" \
       timeout --kill-after=30 2400 .venv/bin/pytest tests/e2e -q ${E2E_ARGS:-}; then
    failures+=("end-to-end tests against the sanitizer build")
  fi
fi

step "done"
if [ "${#failures[@]}" -ne 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all tests passed in $((SECONDS - t_start))s"
