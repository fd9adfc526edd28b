#pragma once
// Builders of small GGUF and safetensors files for the model tests.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

namespace selfens::test {

// Appends little-endian values to a byte buffer.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  Bytes& put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(T));
    return *this;
  }
  Bytes& str(const std::string& s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
};

struct GgufTensorSpec {
  std::string name;
  std::vector<int64_t> ne;  // ggml order
  uint32_t type = 0;        // ggml type id
  std::vector<uint8_t> data;
};

// A GGUF v3 file: metadata is pre-encoded (key, type, value bytes).
class GgufBuilder {
 public:
  GgufBuilder& kv_u32(const std::string& k, uint32_t v) { return kv(k, 4, Bytes().put(v)); }
  GgufBuilder& kv_f32(const std::string& k, float v) { return kv(k, 6, Bytes().put(v)); }
  GgufBuilder& kv_str(const std::string& k, const std::string& v) { return kv(k, 8, Bytes().str(v)); }
  GgufBuilder& kv(const std::string& k, uint32_t type, const Bytes& value) {
    meta_.str(k).put(type).raw(value.b.data(), value.b.size());
    ++n_kv_;
    return *this;
  }
  GgufBuilder& tensor(GgufTensorSpec t) {
    tensors_.push_back(std::move(t));
    return *this;
  }
  GgufBuilder& f32_tensor(const std::string& name, std::vector<int64_t> ne, const std::vector<float>& v) {
    std::vector<uint8_t> d(v.size() * 4);
    std::memcpy(d.data(), v.data(), d.size());
    return tensor({name, std::move(ne), 0, std::move(d)});
  }

  std::vector<uint8_t> build(uint32_t alignment = 32) const {
    Bytes out;
    out.put<uint32_t>(0x46554747).put<uint32_t>(3).put<uint64_t>(tensors_.size()).put<uint64_t>(n_kv_);
    out.raw(meta_.b.data(), meta_.b.size());
    uint64_t off = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      out.str(t.name).put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
      for (int64_t d : t.ne) out.put<uint64_t>(static_cast<uint64_t>(d));
      out.put<uint32_t>(t.type).put<uint64_t>(off);
      offsets.push_back(off);
      off += (t.data.size() + alignment - 1) / alignment * alignment;
    }
    while (out.b.size() % alignment) out.b.push_back(0);
    for (const auto& t : tensors_) {
      out.raw(t.data.data(), t.data.size());
      while (out.b.size() % alignment) out.b.push_back(0);
    }
    return out.b;
  }

 private:
  Bytes meta_;
  uint64_t n_kv_ = 0;
  std::vector<GgufTensorSpec> tensors_;
};

struct StTensor {
  std::string dtype;  // "F32", "F16", "BF16"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

inline std::vector<uint8_t> build_safetensors(const std::map<std::string, StTensor>& tensors) {
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t off = 0;
  for (const auto& [name, t] : tensors) {
    header += ",\"" + name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i) header += ",";
      header += std::to_string(t.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + t.data.size()) + "]}";
    off += t.data.size();
  }
  header += "}";
  Bytes out;
  out.put<uint64_t>(header.size()).raw(header.data(), header.size());
  for (const auto& [name, t] : tensors) out.raw(t.data.data(), t.data.size());
  return out.b;
}

inline void write_file(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline void write_text(const std::filesystem::path& p, const std::string& s) {
  std::ofstream f(p);
  f << s;
}

// A fresh empty directory under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("selfens_model_test_" + name + "_" +
                                                     std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

}  // namespace selfens::test
