#!/usr/bin/env bash
# Builds engine_torch_test and engine_bench against a libtorch folder (TORCH_ROOT: site-packages/
# torch of PyPI's torch wheel, the same version as the GPU machine's Python torch) and packs them
# for bench/engine/device_check.sh into BUNDLE (default .devbundle/, to be git-ignored): the two
# stripped binaries, the shared libraries they need that are neither libtorch's (the GPU
# machine's torch provides those) nor the C/C++ runtime's (libboost_json...), pure-Python wheels
# that machine lacks unpacked under py/ (PY_WHEELS: num2words for transformers' SmolVLM
# processor), and BUILD_INFO.
#   bench/engine/make_device_bundle.sh TORCH_ROOT [BUILD_DIR]   (BUILD_DIR: build-cuda)
# Env: BUNDLE, PY_WHEELS (wheel files, space-separated).
# Running the binaries here needs libtorch's CUDA libraries (libcudart.so.13...) where its RPATH
# looks, TORCH_ROOT/../nvidia/*/lib, even on a machine without a GPU (docs/engine.md).
set -euo pipefail
torch_root=$(cd "${1:?usage: make_device_bundle.sh TORCH_ROOT [BUILD_DIR]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${2:-$root/build-cuda}
bundle=${BUNDLE:-$root/.devbundle}

nice -n 10 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DSIGHTLINE_TORCH_ROOT="$torch_root" -DSIGHTLINE_TESTS=ON -DSIGHTLINE_BENCH=ON
nice -n 10 cmake --build "$build" --target engine_torch_test engine_bench

rm -rf "$bundle"
mkdir -p "$bundle/lib"
for bin in engine_torch_test engine_bench; do
  strip -o "$bundle/$bin" "$build/$bin"
done
# What the dynamic linker resolves outside libtorch's folders and the C/C++ runtime.
ldd "$bundle/engine_torch_test" "$bundle/engine_bench" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
  while read -r name path; do
    case $name in
      libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | libutil.so* | libstdc++.so* | libgcc_s.so* | ld-linux*) ;;
      *)
        case $(readlink -f "$path") in
          "$(readlink -f "$torch_root")"/* | */nvidia/*) ;;
          *) cp -L "$path" "$bundle/lib/$name" ;;
        esac
        ;;
    esac
  done
for wheel in ${PY_WHEELS:-}; do
  mkdir -p "$bundle/py"
  unzip -q -o "$wheel" -d "$bundle/py"
done
{
  echo "commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (with changes)')"
  echo "built $(date -u +%FT%TZ) on $(uname -m), $(c++ --version | head -1)"
  echo "libtorch $torch_root $(grep -h '^__version__' "$torch_root/version.py" 2>/dev/null || true)"
  echo "libs: $(cd "$bundle/lib" && echo *)"
  echo "py: $(ls "$bundle/py" 2>/dev/null | tr '\n' ' ')"
} > "$bundle/BUILD_INFO"
cat "$bundle/BUILD_INFO"
du -sh "$bundle"
