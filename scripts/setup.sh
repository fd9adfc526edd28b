#!/usr/bin/env bash
# The set-up command: installs dependencies, builds, fetches the default model
# (SmolLM2-135M-Instruct) and runs the main job on the embedded demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/fetch_model.sh
tools/lemma/fetch_lemma_resources.sh
build/selfens run --model smollm2_135m_it --prompt "The capital of France is" --max-new-tokens 12
build/selfens generate --method flex_attention --num_paraphrases 5 --dataset demo
