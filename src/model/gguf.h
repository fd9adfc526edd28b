#pragma once
// GGUF v3 reader (llama.cpp's model file format): header, metadata of every
// value type, tensor infos, alignment, memory-mapped tensor data, and
// dequantization to fp32 (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K).
// Every malformed input throws InputError naming the file and the problem.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "model/model.h"
#include "util/mapped_file.h"

namespace selfens {

enum class GgufType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11,
  kFloat64 = 12,
};

struct GgufValue;
using GgufArray = std::vector<GgufValue>;
struct GgufValue {
  GgufType type = GgufType::kUint8;
  // Integers widen to int64/uint64, floats to double.
  std::variant<int64_t, uint64_t, double, bool, std::string, GgufArray> value;
};

// ggml tensor types (subset that can be dequantized here).
enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8, kQ4_K = 12, kQ5_K = 13,
  kQ6_K = 14, kBF16 = 30,
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> ne;   // ggml order: ne[0] is the fastest-varying dim
  uint32_t type = 0;         // raw ggml type id
  uint64_t offset = 0;       // relative to the data section
  uint64_t nbytes = 0;       // computed from type and ne
  const uint8_t* data = nullptr;  // points into the mapped file
};

class GgufFile {
 public:
  explicit GgufFile(const std::string& path);  // parses and validates
  const std::string& path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  const GgufValue* find(const std::string& key) const;
  // Typed getters throw InputError naming file and key when missing or mistyped.
  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;
  std::vector<double> get_float_array(const std::string& key) const;
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return kv_; }

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // fp32 copy in row-major order with shape reversed from ne (outermost first).
  HostTensor dequantize(const GgufTensorInfo& info) const;

 private:
  MappedFile file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<GgufTensorInfo> tensors_;
};

// Parses a GGUF from memory without a file (for fuzzing). Throws InputError.
void parse_gguf_bytes(const uint8_t* data, size_t size, const std::string& origin);

}  // namespace selfens
