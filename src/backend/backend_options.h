#pragma once
// Settings of a backend, passed from the engine (EngineOptions::tuning)
// rather than read inside the backend. Defaults come from the environment
// (backend_options_from_environment), so the SELFENS_* switches documented
// in README.md keep working; a program may set them directly.
#include <string>

#include "backend/round16.h"

namespace selfens {

struct BackendOptions {
  int threads = 0;                      // CPU threads; <= 0: all cores
  // SELFENS_CPU_ISA: the CPU backend's few-row products with avx512, avx2
  // or scalar code; empty: the best this CPU runs (quant_matvec.h).
  std::string cpu_isa;
  // SELFENS_CPU_INT8=1: those products with activations rounded to int8 per
  // 32-value block (integer dot products; logits move, beyond the goldens'
  // tolerance). Off: fp32 activations.
  bool cpu_int8 = false;
  // SELFENS_CPU_ROUND16=bf16|fp16 and SELFENS_CPU_ROUND16_AT=<parts>: the
  // CPU backend rounds to that type where the CUDA 16-bit modes do
  // (round16.h; a diagnostic of their disagreement). Default: off.
  Round16 cpu_round16;
  int cuda_device = 0;                  // the GPU (CUDA index) a CUDA backend runs on
  bool cuda_graphs = true;              // SELFENS_CUDA_GRAPHS=0: no CUDA graphs
  int cuda_profile = 0;                 // SELFENS_CUDA_PROFILE: 0 off, 1 synced, 2 events, 3 isolated
  bool cuda_device_sampling = true;     // SELFENS_CUDA_SAMPLE=0: the host draws sampled tokens
  int cuda_cascade_min_entries = 32;    // SELFENS_CUDA_CASCADE: cascade P from N sharing entries (0: off)
  int cuda_cascade_group_rows = 4;      // SELFENS_CUDA_CASCADE_GROUP_ROWS: groups of more entries
                                        // keep the prefix in their own tiles (0: any joins)
  int cuda_attn_blocks = 3;             // SELFENS_CUDA_ATTN_BLOCKS: 3 caps the tensor-core
                                        // attention's registers for 3 blocks per multiprocessor
                                        // (0: as the compiler chooses, 2 blocks)
  int cuda_split_target_blocks = -1;    // SELFENS_CUDA_SPLIT: split decode keys below B blocks
                                        // (-1: two per multiprocessor, 0: off)
  bool cuda_products_only = true;       // SELFENS_CUDA_PRODUCTS_ONLY=0: activations only products
                                        // read keep their fp32 values too (Tensor::products_only)
  bool cuda_fused_norm = true;          // SELFENS_CUDA_FUSED_NORM=0: residual add and norm apart
  // SELFENS_CUDA_ADD_IN_PRODUCTS=1: the residual adds in the o and down
  // products' epilogues (Backend::adds_in_products), not in add_rmsnorm.
  // Off until checked on a GPU.
  bool cuda_add_in_products = false;
  // SELFENS_CUDA_DECODE_ATTN=1: decode steps' attention (one row per tile)
  // on the CUDA-core kernel instead of the tensor-core one. Off until
  // checked on a GPU.
  bool cuda_decode_attention = false;
  // SELFENS_CUDA_BF16_FFN: 1 the 16-bit modes' gate/up products come out
  // in the 16-bit type (as a bf16 transformers model computes them), 2 only
  // in calls of more than 1024 rows (cuda::kPrefillRows, prefill), 0 never
  // (default). Both measured slower on an H100 (docs/performance.md).
  int cuda_bf16_ffn = 0;
  // SELFENS_CUDA_KV_F32=1: in the bf16 mode, keep K/V in fp32 and attend
  // with the fp32 kernel (as cuda-f32 does): where bf16's disagreement with
  // the CPU comes from, at the cost of the tensor-core attention.
  bool cuda_kv_f32 = false;
  // SELFENS_CUDA_FP8_FAST_ACCUM=1: --device cuda-fp8's products accumulate
  // as the tensor cores do, without cuBLAS's periodic promotion to fp32
  // (faster prefill products; logits move further).
  bool cuda_fp8_fast_accum = false;
  // SELFENS_HOLD_FINISHED: 1 finished questions pad the batch until an
  // eighth of it is free (methods/scheduler.h), 0 never; unset (-1): where
  // the backend replays the graphs of shapes it has seen.
  int hold_finished = -1;
  bool trace_steps = false;             // SELFENS_TRACE_STEPS=1: a stderr line per forward call
};

// The defaults above, overridden by each SELFENS_* variable that is set
// (InputError naming a variable with a malformed value: exit status 2).
BackendOptions backend_options_from_environment();

}  // namespace selfens
