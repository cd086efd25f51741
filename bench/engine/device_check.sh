#!/usr/bin/env bash
# The engine on a GPU machine in one go (issue 9: the forward pass on CUDA), with binaries built
# elsewhere by bench/engine/make_device_bundle.sh against the same libtorch as that machine's
# Python torch (PyPI's wheel), run with that torch's libraries:
#   1. parity: engine_torch_test on DEVICE (SIGHTLINE_TEST_DEVICE): the tiny fixture checkpoints'
#      logits against transformers' committed reference, and the greedy tokens end to end. When
#      it fails, once more with TF32 off (NVIDIA_TF32_OVERRIDE=0), to tell rounding from a bug;
#   2. a full-size random SmolVLM2-256M checkpoint, made there by make_bench_checkpoint.py (too
#      big to travel) unless CKPT names one;
#   3. bench/engine/run.sh (engine_bench, then hf_bench.py, then ratios.py) on DEVICE for each of
#      PRECISIONS;
#   4. parity on the CPU with the same libraries, if time is left.
# Each step has a timeout, cut to what is left of BUDGET_S; a step that fails is reported and
# the next one runs. The whole log goes to $OUT/device_check.log (and stdout), the JSON lines
# and logs to $OUT/results.tgz. Exit status: 0 when every step that ran passed.
#   bench/engine/device_check.sh
# Env: BUNDLE (.devbundle), PYTHON (/opt/torch/.venv/bin/python3 if there, else python3), DEVICE
# (cuda), PRECISIONS ("bf16 f32"), THREADS (8), DECODE_TOKENS (128), CKPT (made in /tmp when
# unset), BUDGET_S (420), BENCH_TIMEOUT_S (200, per precision), TORCH_LIB (PYTHON's torch/lib),
# OUT (/tmp/device-check).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=${BUNDLE:-$root/.devbundle}
py=${PYTHON:-python3}
[[ -z ${PYTHON:-} && -x /opt/torch/.venv/bin/python3 ]] && py=/opt/torch/.venv/bin/python3  # the GPU image's torch
device=${DEVICE:-cuda}
precisions=${PRECISIONS:-bf16 f32}
threads=${THREADS:-8}
budget=${BUDGET_S:-420}
out=${OUT:-/tmp/device-check}
work=$(mktemp -d /tmp/device-check.XXXXXX)
mkdir -p "$out"
exec > >(tee "$out/device_check.log") 2>&1
tee_pid=$!
export PYTHONUNBUFFERED=1 DECODE_TOKENS=${DECODE_TOKENS:-128}
failed=()

# step NAME MAX_S CMD...: runs CMD under a timeout of MAX_S, or of what is left of the budget
# (less 15 s to pack the results) when that is less; skipped when under 20 s are left.
step() {
  local name=$1 max=$2
  shift 2
  local left=$((budget - SECONDS - 15))
  ((left < max)) && max=$left
  if ((max < 20)); then
    echo "=== $name: SKIPPED (${left}s of the budget left)"
    failed+=("$name(skipped)")
    return 1
  fi
  echo "=== $name (timeout ${max}s, ${SECONDS}s in)"
  local t0=$SECONDS rc=0
  timeout -k 5 "$max" "$@" || rc=$?
  echo "=== $name: rc=$rc in $((SECONDS - t0))s"
  ((rc == 0)) || failed+=("$name(rc=$rc)")
  return $rc
}

set -x
uname -a
nvidia-smi -L || true
"$py" -c 'import sys, torch, transformers; print(sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available(), "transformers", transformers.__version__)'
torch_lib=${TORCH_LIB:-$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
export LD_LIBRARY_PATH=$torch_lib:$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Python packages the machine lacks (num2words, which transformers' SmolVLM processor needs).
[[ -d $bundle/py ]] && export PYTHONPATH=$bundle/py${PYTHONPATH:+:$PYTHONPATH}
cat "$bundle/BUILD_INFO" || true
chmod +x "$bundle/engine_torch_test" "$bundle/engine_bench"  # in case the copy lost the mode
# The binaries call libtorch's C++ API: built against one version, run with another they may not
# even start.
built=$(grep -o "__version__ = '[^']*'" "$bundle/BUILD_INFO" | cut -d"'" -f2)
[[ -f $torch_lib/../version.py ]] && running=$(grep -o "__version__ = '[^']*'" "$torch_lib/../version.py" | cut -d"'" -f2)
[[ ${built:-?} == "${running:-?}" ]] || echo "WARNING: built against libtorch ${built:-?}, running with ${running:-?}"
ldd "$bundle/engine_torch_test" "$bundle/engine_bench" | grep -E "not found|torch|c10|boost" || true
export SIGHTLINE_ENGINE_FIXTURES=$root/tests/fixtures/engine

if ! SIGHTLINE_TEST_DEVICE=$device step "parity on $device" 120 "$bundle/engine_torch_test" --gtest_color=no; then
  NVIDIA_TF32_OVERRIDE=0 SIGHTLINE_TEST_DEVICE=$device step "parity on $device, TF32 off" 120 \
    "$bundle/engine_torch_test" --gtest_color=no
fi

ckpt=${CKPT:-}
if [[ -z $ckpt ]]; then
  ckpt=/tmp/smolvlm2-256m
  step "make the 256M checkpoint" 180 "$py" "$root/tools/reference/make_bench_checkpoint.py" "$ckpt" --size 256m
  ls -la "$ckpt" || true
fi

for precision in $precisions; do
  OUT=$work/bench-$precision ENGINE_BENCH=$bundle/engine_bench PYTHON=$py \
    step "bench $precision on $device" "${BENCH_TIMEOUT_S:-200}" bash "$here/run.sh" "$ckpt" "$threads" "$precision" "$device"
done

step "parity on cpu" 90 "$bundle/engine_torch_test" --gtest_color=no --gtest_brief=1

set +x
for precision in $precisions; do
  [[ -f $work/bench-$precision/ratios.txt ]] && echo "## $precision on $device" && cat "$work/bench-$precision/ratios.txt"
done
cp "$out/device_check.log" "$work/" 2>/dev/null
tar -C "$work" -czf "$out/results.tgz" . || true
echo "=== done in ${SECONDS}s; failed: ${failed[*]:-none}"
status=0
((${#failed[@]} == 0)) || status=1
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null  # the log complete before the caller collects it
exit $status
