#!/usr/bin/env bash
# Configures and builds selfens (Release) into build/ (or $SELFENS_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${SELFENS_BUILD_DIR:-build}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
