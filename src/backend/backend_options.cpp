#include "backend/backend_options.h"

#include <cstdlib>
#include <string>

#include "util/check.h"

namespace selfens {
namespace {

// A non-negative integer from the environment, or `fallback` when unset.
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > (1 << 30))
    throw InputError(std::string(name) + ": expected a non-negative integer, got '" + v + "'");
  return int(x);
}

}  // namespace

BackendOptions backend_options_from_environment() {
  BackendOptions o;
  if (const char* isa = std::getenv("SELFENS_CPU_ISA")) o.cpu_isa = isa;
  o.cpu_int8 = env_int("SELFENS_CPU_INT8", 0) != 0;
  const char* round16 = std::getenv("SELFENS_CPU_ROUND16");
  const char* round16_at = std::getenv("SELFENS_CPU_ROUND16_AT");
  o.cpu_round16 = parse_round16(round16 ? round16 : "", round16_at ? round16_at : "");
  o.cuda_graphs = env_int("SELFENS_CUDA_GRAPHS", 1) != 0;
  o.cuda_profile = env_int("SELFENS_CUDA_PROFILE", 0);
  o.cuda_device_sampling = env_int("SELFENS_CUDA_SAMPLE", 1) != 0;
  o.cuda_cascade_min_entries = env_int("SELFENS_CUDA_CASCADE", o.cuda_cascade_min_entries);
  o.cuda_cascade_group_rows = env_int("SELFENS_CUDA_CASCADE_GROUP_ROWS", o.cuda_cascade_group_rows);
  o.cuda_attn_blocks = env_int("SELFENS_CUDA_ATTN_BLOCKS", o.cuda_attn_blocks);
  o.cuda_split_target_blocks = env_int("SELFENS_CUDA_SPLIT", -1);
  o.cuda_products_only = env_int("SELFENS_CUDA_PRODUCTS_ONLY", o.cuda_products_only) != 0;
  o.cuda_fused_norm = env_int("SELFENS_CUDA_FUSED_NORM", 1) != 0;
  o.cuda_add_in_products = env_int("SELFENS_CUDA_ADD_IN_PRODUCTS", o.cuda_add_in_products) != 0;
  o.cuda_decode_attention = env_int("SELFENS_CUDA_DECODE_ATTN", o.cuda_decode_attention) != 0;
  o.cuda_bf16_ffn = env_int("SELFENS_CUDA_BF16_FFN", 0);
  if (o.cuda_bf16_ffn > 2)
    throw InputError("SELFENS_CUDA_BF16_FFN: expected 0, 1 or 2, got '" +
                     std::to_string(o.cuda_bf16_ffn) + "'");
  o.cuda_kv_f32 = env_int("SELFENS_CUDA_KV_F32", 0) != 0;
  o.cuda_fp8_fast_accum = env_int("SELFENS_CUDA_FP8_FAST_ACCUM", 0) != 0;
  o.hold_finished = env_int("SELFENS_HOLD_FINISHED", -1);
  o.trace_steps = env_int("SELFENS_TRACE_STEPS", 0) != 0;
  return o;
}

}  // namespace selfens
