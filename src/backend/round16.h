#pragma once
// Round16: the CPU backend rounding its values to a 16-bit type where the
// CUDA backend's 16-bit modes hold them (SELFENS_CPU_ROUND16=bf16|fp16,
// SELFENS_CPU_ROUND16_AT=<parts>). A diagnostic: it tells on the CPU, part
// by part, how often each rounding of the GPU's bf16 path flips a
// prediction, without a GPU (docs/decisions.md, "Where bf16's
// disagreement comes from"). Off by default; a run with it records its
// precision (backend_precision).
//
// Parts, as the CUDA 16-bit modes round them:
//   weights  the decoder layers' matrices (q k v o gate up down)
//   table    the embedding table and the output head (2-D, not in a layer)
//   inputs   the inputs of the layers' products (norm, attention and SiLU outputs)
//   head     the input of the output head's product (the final norm's output)
//   kv       K and V as they are stored
//   q        the scaled query, as the attention's products read it
//   p        the softmax weights multiplying V (the sum l stays unrounded)
#include <cstddef>
#include <string>

namespace selfens {

struct Round16 {
  enum class Type { kNone, kBf16, kFp16 };
  Type type = Type::kNone;
  bool weights = false, table = false, inputs = false, head = false;
  bool kv = false, q = false, p = false;

  bool active() const { return type != Type::kNone; }
  float operator()(float x) const;  // x itself when the type is kNone
  // Rounds x[0, n) in place, after check_range(x, n, 1, part).
  void apply(float* x, size_t n, const char* part) const;
  // fp16: a finite value of x * scale beyond fp16's range (65504) is an
  // InputError naming `part`, as the CUDA fp16 mode stops on an overflow
  // rather than compute with infinities. bf16 has fp32's range.
  void check_range(const float* x, size_t n, float scale, const char* part) const;
  // "bf16 at weights,table,...": what a run's precision records; "" when off.
  std::string describe() const;
};

// From SELFENS_CPU_ROUND16's value ("", "bf16" or "fp16") and
// SELFENS_CPU_ROUND16_AT's (parts separated by ',' or '+'; "" or "all":
// every part; "none": no part, but the products through fp32 BLAS as with
// parts). InputError naming the variable and the bad value. Parsed once,
// into BackendOptions::cpu_round16.
Round16 parse_round16(const std::string& type, const std::string& parts);

}  // namespace selfens
