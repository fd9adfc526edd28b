#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root, with build-gpu/bin
# carried from the build machine (tools/gpu/build_for_gpu.sh):
#   nvidia-smi, then gpu_backend_check on op grids and models, both dtypes.
# Writes gpu_backend_check.json and gpu_backend_check.log to $OUT when set.
# Extra models: SELFENS_GPU_MODELS="path1 path2" (e.g. a GGUF file).
# Exit status: that of gpu_backend_check (0 all passed, 1 a check failed).
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=${SELFENS_GPU_BIN:-build-gpu/bin}/gpu_backend_check
out=${OUT:-}

nvidia-smi || echo "nvidia-smi failed"

source tools/gpu/find_cublas.sh "$bin"
# The default feed-forward path is checked (gate and up kept fp32, the SiLU
# product written for the down product only); SELFENS_CUDA_BF16_FFN=1 checks
# the bf16 one (run_speed_ab.sh's default CHECK_SETTINGS runs both).
echo "== ldd $bin"
ldd "$bin"

models=(tests/fixtures/models/tiny-llama3 tests/fixtures/models/tiny-qwen2 tests/fixtures/models/tiny-qwen3 synthetic:smollm2
        synthetic:hd128)
gguf=$HOME/.cache/selfens/models/SmolLM2-135M-Instruct.Q4_1.gguf
[[ -f "$gguf" ]] && models+=("$gguf")
for m in ${SELFENS_GPU_MODELS:-}; do models+=("$m"); done
args=()
for m in "${models[@]}"; do args+=(--model "$m"); done

json=${out:+$out/gpu_backend_check.json}
log=${out:+$out/gpu_backend_check.log}
echo "== $bin --dtype all --steps 20 ${args[*]}"
if [[ -n "$out" ]]; then
  mkdir -p "$out"
  "$bin" --dtype all --steps 20 --json "$json" "${args[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
else
  "$bin" --dtype all --steps 20 "${args[@]}"
  rc=$?
fi
echo "== gpu_backend_check exit status $rc"
exit "$rc"
