#pragma once
// Safetensors reader: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the data. Memory-mapped; F32 / F16 / BF16 convert to fp32.
// Every malformed input throws InputError naming the file and the tensor.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/model.h"
#include "util/mapped_file.h"

namespace selfens {

struct SafetensorsTensor {
  std::string name;
  std::string dtype;           // "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;  // row-major, outermost first
  const uint8_t* data = nullptr;  // into the mapped file
  uint64_t nbytes = 0;            // numel * dtype size
};

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);  // parses and validates
  const std::string& path() const { return file_.path(); }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* find(const std::string& name) const;
  // fp32 copy of an F32 / F16 / BF16 tensor; other dtypes throw InputError.
  HostTensor to_fp32(const SafetensorsTensor& t) const;

 private:
  MappedFile file_;
  std::vector<SafetensorsTensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
};

// Parses a safetensors file from memory and converts its float tensors (for
// fuzzing). Throws InputError.
void parse_safetensors_bytes(const uint8_t* data, size_t size, const std::string& origin);

}  // namespace selfens
