#!/usr/bin/env bash
# Installs everything sightline needs on Debian 12 and builds it. Idempotent: safe to re-run.
#   scripts/setup.sh            system packages + python test venv + release build
#   SKIP_APT=1 scripts/setup.sh skip the apt step (packages already there)
set -euo pipefail
cd "$(dirname "$0")/.."
# Objects of another clone of the project on this machine hash alike (CMakeLists.txt: ccache).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$PWD")}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libturbojpeg0-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev llvm-16
  ffmpeg
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0 python3-gi
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-nice libnice-dev gir1.2-gst-plugins-bad-1.0 gir1.2-gst-plugins-base-1.0
  chromium fonts-liberation
  python3-venv curl ccache
  wrk
  libtorch-dev libopenblas0-pthread
)

need_apt() {
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 0
  done
  return 1
}

if [ "${SKIP_APT:-0}" != 1 ] && need_apt; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}"
fi

# Python virtualenv for the test suite and benchmarks (never used by the server itself).
if [ ! -x .venv/bin/python ] || ! cmp -s tests/requirements.txt .venv/.requirements 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r tests/requirements.txt
  cp tests/requirements.txt .venv/.requirements
fi

# Node packages for the end-to-end suite (the official openai SDK, the Overshoot browser SDK that
# test_overshoot_sdk.py loads into Chromium). Installed from the lockfile,
# only when node_modules is missing or the lockfile changed since the last install.
JS_DIR=tests/e2e/js
if command -v npm >/dev/null 2>&1; then
  if [ ! -d "$JS_DIR/node_modules" ] || ! cmp -s "$JS_DIR/package-lock.json" "$JS_DIR/node_modules/.lockfile-installed" 2>/dev/null; then
    (cd "$JS_DIR" && npm ci --no-audit --no-fund)
    cp "$JS_DIR/package-lock.json" "$JS_DIR/node_modules/.lockfile-installed"
  fi
else
  echo "setup.sh: npm not found; the JS SDK end-to-end test will be skipped" >&2
fi

BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build
