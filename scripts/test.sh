#!/usr/bin/env bash
# The test command: builds selfens, fetches the default model and the test
# assets if missing, and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/fetch_model.sh
[ -x scripts/fetch_test_assets.sh ] && scripts/fetch_test_assets.sh
cd "${SELFENS_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
