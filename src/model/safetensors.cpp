#include "model/safetensors.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "model/dequant.h"
#include "util/check.h"

namespace selfens {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeader = 100u << 20;  // the format's own limit (100 MB)

// Bytes per element of a safetensors dtype; 0 when unknown.
uint64_t dtype_size(const std::string& d) {
  static const std::unordered_map<std::string, uint64_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"F64", 8},  {"I64", 8}, {"U64", 8}};
  const auto it = sizes.find(d);
  return it == sizes.end() ? 0 : it->second;
}

SafetensorsTensor parse_entry(const std::string& name, const json& e, const uint8_t* base,
                              uint64_t data_size, const std::string& origin) {
  const std::string where = origin + ": tensor '" + name + "': ";
  SELFENS_REQUIRE(e.is_object(), where + "header entry is not an object");
  SafetensorsTensor t;
  t.name = name;
  const auto dt = e.find("dtype");
  SELFENS_REQUIRE(dt != e.end() && dt->is_string(), where + "missing dtype");
  t.dtype = dt->get<std::string>();
  const uint64_t esize = dtype_size(t.dtype);
  SELFENS_REQUIRE(esize != 0, where + "unknown dtype '" + t.dtype + "'");
  const auto sh = e.find("shape");
  SELFENS_REQUIRE(sh != e.end() && sh->is_array(), where + "missing shape");
  uint64_t n = 1;
  for (const json& d : *sh) {
    SELFENS_REQUIRE(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0),
                    where + "shape entries must be non-negative integers");
    const uint64_t v = d.get<uint64_t>();
    SELFENS_REQUIRE(v < (uint64_t{1} << 62) && !__builtin_mul_overflow(n, v, &n) &&
                        n < (uint64_t{1} << 62),
                    where + "shape overflows");
    t.shape.push_back(static_cast<int64_t>(v));
  }
  SELFENS_REQUIRE(!__builtin_mul_overflow(n, esize, &t.nbytes), where + "shape overflows");
  const auto off = e.find("data_offsets");
  SELFENS_REQUIRE(off != e.end() && off->is_array() && off->size() == 2 &&
                      (*off)[0].is_number_unsigned() && (*off)[1].is_number_unsigned(),
                  where + "data_offsets must be [begin, end]");
  const uint64_t begin = (*off)[0].get<uint64_t>(), end = (*off)[1].get<uint64_t>();
  SELFENS_REQUIRE(begin <= end && end <= data_size,
                  where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                      "] lie outside the data (" + std::to_string(data_size) + " bytes)");
  SELFENS_REQUIRE(end - begin == t.nbytes,
                  where + "data_offsets span " + std::to_string(end - begin) + " bytes but shape x " +
                      t.dtype + " needs " + std::to_string(t.nbytes));
  t.data = base + begin;
  return t;
}

std::vector<SafetensorsTensor> parse(const uint8_t* data, size_t size, const std::string& origin) {
  SELFENS_REQUIRE(size >= 8, origin + ": truncated safetensors file (" + std::to_string(size) +
                                 " bytes, no header length)");
  uint64_t header_len;
  std::memcpy(&header_len, data, 8);
  SELFENS_REQUIRE(header_len <= size - 8 && header_len <= kMaxHeader,
                  origin + ": header length " + std::to_string(header_len) +
                      " exceeds the file size (" + std::to_string(size) + " bytes)");
  json header;
  try {
    header = json::parse(data + 8, data + 8 + header_len);
  } catch (const json::exception& e) {
    throw InputError(origin + ": bad JSON header: " + e.what());
  }
  SELFENS_REQUIRE(header.is_object(), origin + ": JSON header is not an object");
  const uint8_t* base = data + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;
  std::vector<SafetensorsTensor> out;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    out.push_back(parse_entry(name, entry, base, data_size, origin));
  }
  return out;
}

HostTensor convert(const SafetensorsTensor& t, const std::string& origin) {
  HostTensor h;
  h.shape = t.shape;
  const uint64_t esize = dtype_size(t.dtype);
  h.data.resize(static_cast<size_t>(t.nbytes / esize));
  const size_t n = h.data.size();
  if (t.dtype == "F32") {
    if (n) std::memcpy(h.data.data(), t.data, n * 4);
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    const bool f16 = t.dtype == "F16";
    for (size_t i = 0; i < n; ++i) {
      uint16_t v;
      std::memcpy(&v, t.data + 2 * i, 2);
      h.data[i] = f16 ? fp16_to_fp32(v) : bf16_to_fp32(v);
    }
  } else {
    throw InputError(origin + ": tensor '" + t.name + "' has dtype " + t.dtype +
                     "; weights must be F32, F16 or BF16");
  }
  return h;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  tensors_ = parse(file_.data(), file_.size(), path);
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

HostTensor SafetensorsFile::to_fp32(const SafetensorsTensor& t) const { return convert(t, path()); }

void parse_safetensors_bytes(const uint8_t* data, size_t size, const std::string& origin) {
  for (const SafetensorsTensor& t : parse(data, size, origin))
    if (t.dtype == "F32" || t.dtype == "F16" || t.dtype == "BF16") (void)convert(t, origin);
}

}  // namespace selfens
