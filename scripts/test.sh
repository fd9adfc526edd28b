#!/usr/bin/env bash
# The test command: builds selfens, fetches the default model and the test
# assets if missing, and runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/fetch_model.sh
tools/lemma/fetch_lemma_resources.sh
if [ -x scripts/fetch_test_assets.sh ]; then scripts/fetch_test_assets.sh; fi
cd "${SELFENS_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
