#!/usr/bin/env bash
# The set-up command: installs dependencies, builds, fetches the default model
# (SmolLM2-135M-Instruct) and the lemma tables, runs the main job on the
# embedded demo data (flex_attention, N=5) next to origin, and prints the
# analysis report (also written as datasets/demo/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/fetch_model.sh
tools/lemma/fetch_lemma_resources.sh
build/selfens generate --method flex_attention --num_paraphrases 5 --dataset demo
build/selfens generate --method origin --dataset demo
build/selfens analyze --dataset demo --html datasets/demo/report.html
