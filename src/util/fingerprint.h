#pragma once
// Content fingerprints that say whether two runs read the same inputs: a
// 64-bit hash (FNV-1a over 8-byte words, then a final mix), printed as 16
// hex digits. Not cryptographic: it tells a changed file from the same one.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace selfens {

class Fingerprint {
 public:
  Fingerprint& add(std::span<const uint8_t> bytes);
  Fingerprint& add(std::string_view text);  // the length too, so "ab"+"c" != "a"+"bc"
  Fingerprint& add(uint64_t value);
  // A file: its size, then its whole content, or its first and last `edge`
  // bytes when it is larger than 2 * edge (weight files of many GB).
  // InputError naming the path when it cannot be read.
  Fingerprint& add_file(const std::filesystem::path& path, uint64_t edge = UINT64_MAX);
  std::string hex() const;  // 16 lowercase hex digits

 private:
  uint64_t h_ = 0xcbf29ce484222325ull;
};

// The fingerprint of a model: for a file (GGUF), its size and first and last
// 4 MiB; for a Hugging Face directory, config.json whole and every
// *.safetensors file's size and first and last 4 MiB, in name order.
std::string model_fingerprint(const std::filesystem::path& model_path);

}  // namespace selfens
