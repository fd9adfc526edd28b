#include "model/gguf.h"

#include <cstring>
#include <limits>
#include <unordered_set>

#include "model/dequant.h"
#include "util/check.h"

namespace selfens {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;        // nested arrays deeper are rejected

// Bounds-checked little-endian cursor over the file bytes.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& origin)
      : data_(data), size_(size), origin_(origin) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    SELFENS_REQUIRE(n <= remaining(),
                    origin_ + ": truncated file: " + what + " needs " + std::to_string(n) +
                        " bytes at offset " + std::to_string(pos_) + " but only " +
                        std::to_string(remaining()) + " remain");
  }

  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& what) {
    const auto len = read<uint64_t>(what + " length");
    need(len, what + " (string of " + std::to_string(len) + " bytes)");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& origin_;
};

// Smallest encoded size of one value of a type (bounds array counts).
uint64_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::kUint8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUint16: case GgufType::kInt16: return 2;
    case GgufType::kUint32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUint64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    case GgufType::kString: return 8;
    case GgufType::kArray: return 12;
  }
  return 1;
}

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

GgufValue read_value(Reader& r, GgufType type, const std::string& key, int depth,
                     const std::string& origin);

GgufArray read_array(Reader& r, const std::string& key, int depth, const std::string& origin) {
  SELFENS_REQUIRE(depth < kMaxArrayDepth,
                  origin + ": metadata key '" + key + "': arrays nested too deeply");
  const auto elem = r.read<uint32_t>("array type of '" + key + "'");
  SELFENS_REQUIRE(valid_value_type(elem), origin + ": metadata key '" + key +
                                              "': unknown array element type " +
                                              std::to_string(elem));
  const auto count = r.read<uint64_t>("array length of '" + key + "'");
  const auto etype = static_cast<GgufType>(elem);
  SELFENS_REQUIRE(count <= r.remaining() / min_value_bytes(etype),
                  origin + ": metadata key '" + key + "': array of " + std::to_string(count) +
                      " elements extends beyond the end of the file");
  GgufArray out;
  out.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) out.push_back(read_value(r, etype, key, depth + 1, origin));
  return out;
}

GgufValue read_value(Reader& r, GgufType type, const std::string& key, int depth,
                     const std::string& origin) {
  const std::string what = "value of '" + key + "'";
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kUint8: v.value = uint64_t{r.read<uint8_t>(what)}; break;
    case GgufType::kInt8: v.value = int64_t{r.read<int8_t>(what)}; break;
    case GgufType::kUint16: v.value = uint64_t{r.read<uint16_t>(what)}; break;
    case GgufType::kInt16: v.value = int64_t{r.read<int16_t>(what)}; break;
    case GgufType::kUint32: v.value = uint64_t{r.read<uint32_t>(what)}; break;
    case GgufType::kInt32: v.value = int64_t{r.read<int32_t>(what)}; break;
    case GgufType::kUint64: v.value = r.read<uint64_t>(what); break;
    case GgufType::kInt64: v.value = r.read<int64_t>(what); break;
    case GgufType::kFloat32: v.value = double{r.read<float>(what)}; break;
    case GgufType::kFloat64: v.value = r.read<double>(what); break;
    case GgufType::kBool: {
      const auto b = r.read<uint8_t>(what);
      SELFENS_REQUIRE(b <= 1, origin + ": metadata key '" + key + "': bool value " +
                                  std::to_string(b) + " is not 0 or 1");
      v.value = b == 1;
      break;
    }
    case GgufType::kString: v.value = r.read_string(what); break;
    case GgufType::kArray: v.value = read_array(r, key, depth, origin); break;
  }
  return v;
}

struct Parsed {
  uint32_t version = 0;
  uint64_t alignment = 32;
  std::vector<std::pair<std::string, GgufValue>> kv;
  std::vector<GgufTensorInfo> tensors;
};

void read_metadata(Reader& r, uint64_t n_kv, Parsed& p, const std::string& origin) {
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = r.read_string("metadata key #" + std::to_string(i));
    SELFENS_REQUIRE(seen.insert(key).second, origin + ": duplicate metadata key '" + key + "'");
    const auto type = r.read<uint32_t>("type of '" + key + "'");
    SELFENS_REQUIRE(valid_value_type(type), origin + ": metadata key '" + key +
                                                "': unknown value type " + std::to_string(type));
    GgufValue v = read_value(r, static_cast<GgufType>(type), key, 0, origin);
    p.kv.emplace_back(std::move(key), std::move(v));
  }
}

// Element count and byte size of a tensor, rejecting overflow and partial blocks.
void size_tensor(GgufTensorInfo& t, const GgmlTypeTraits& tt, const std::string& origin) {
  const std::string where = origin + ": tensor '" + t.name + "': ";
  int64_t n = 1;
  for (int64_t d : t.ne) {
    SELFENS_REQUIRE(d >= 0 && !__builtin_mul_overflow(n, d, &n) &&
                        n <= (int64_t{1} << 56),
                    where + "dimensions overflow");
  }
  SELFENS_REQUIRE((t.ne.empty() || t.ne[0] % tt.block_size == 0) && n % tt.block_size == 0,
                  where + "first dimension " + std::to_string(t.ne.empty() ? 0 : t.ne[0]) +
                      " is not a multiple of the " + tt.name + " block size " +
                      std::to_string(tt.block_size));
  t.nbytes = static_cast<uint64_t>(n / tt.block_size) * static_cast<uint64_t>(tt.block_bytes);
}

void read_tensor_infos(Reader& r, uint64_t n_tensors, Parsed& p, const std::string& origin) {
  std::unordered_set<std::string> seen;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = r.read_string("tensor info #" + std::to_string(i) + " name");
    SELFENS_REQUIRE(seen.insert(t.name).second,
                    origin + ": duplicate tensor name '" + t.name + "'");
    const auto n_dims = r.read<uint32_t>("n_dims of tensor '" + t.name + "'");
    SELFENS_REQUIRE(n_dims <= kMaxDims, origin + ": tensor '" + t.name + "' has " +
                                            std::to_string(n_dims) + " dimensions (at most 4)");
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = r.read<uint64_t>("dimensions of tensor '" + t.name + "'");
      SELFENS_REQUIRE(ne <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                      origin + ": tensor '" + t.name + "': dimension too large");
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    t.type = r.read<uint32_t>("type of tensor '" + t.name + "'");
    const GgmlTypeTraits tt = ggml_type_traits(t.type);
    SELFENS_REQUIRE(tt.name != nullptr, origin + ": tensor '" + t.name +
                                            "' has unknown ggml type " + std::to_string(t.type));
    t.offset = r.read<uint64_t>("offset of tensor '" + t.name + "'");
    size_tensor(t, tt, origin);
    p.tensors.push_back(std::move(t));
  }
}

void read_alignment(Parsed& p, const std::string& origin) {
  for (const auto& [key, v] : p.kv) {
    if (key != "general.alignment") continue;
    SELFENS_REQUIRE(v.type == GgufType::kUint32,
                    origin + ": general.alignment must be a uint32");
    const uint64_t a = std::get<uint64_t>(v.value);
    SELFENS_REQUIRE(a != 0 && (a & (a - 1)) == 0,
                    origin + ": general.alignment " + std::to_string(a) + " is not a power of two");
    p.alignment = a;
  }
}

// Places every tensor inside the data section, which starts at the first
// multiple of the alignment after the tensor infos.
void place_tensors(const uint8_t* data, size_t size, size_t infos_end, Parsed& p,
                   const std::string& origin) {
  const uint64_t data_offset = (infos_end + p.alignment - 1) / p.alignment * p.alignment;
  for (auto& t : p.tensors) {
    const std::string where = origin + ": tensor '" + t.name + "': ";
    SELFENS_REQUIRE(t.offset % p.alignment == 0,
                    where + "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                        std::to_string(p.alignment));
    uint64_t begin = 0, end = 0;
    const bool ok = !__builtin_add_overflow(data_offset, t.offset, &begin) &&
                    !__builtin_add_overflow(begin, t.nbytes, &end) && end <= size;
    SELFENS_REQUIRE(ok, where + "data (offset " + std::to_string(t.offset) + ", " +
                            std::to_string(t.nbytes) + " bytes) extends beyond the end of the file (" +
                            std::to_string(size) + " bytes)");
    t.data = data + begin;
  }
}

Parsed parse(const uint8_t* data, size_t size, const std::string& origin) {
  Reader r(data, size, origin);
  Parsed p;
  const auto magic = r.read<uint32_t>("magic");
  SELFENS_REQUIRE(magic == kMagic, origin + ": not a GGUF file (bad magic)");
  p.version = r.read<uint32_t>("version");
  SELFENS_REQUIRE(p.version == 2 || p.version == 3,
                  origin + ": unsupported GGUF version " + std::to_string(p.version) +
                      " (supported: 2, 3; big-endian files are not supported)");
  const auto n_tensors = r.read<uint64_t>("tensor count");
  const auto n_kv = r.read<uint64_t>("metadata count");
  SELFENS_REQUIRE(n_kv <= r.remaining() / 12,
                  origin + ": truncated file: metadata count " + std::to_string(n_kv) + " exceeds the file size");
  read_metadata(r, n_kv, p, origin);
  SELFENS_REQUIRE(n_tensors <= r.remaining() / 24,
                  origin + ": truncated file: tensor count " + std::to_string(n_tensors) + " exceeds the file size");
  read_tensor_infos(r, n_tensors, p, origin);
  read_alignment(p, origin);
  place_tensors(data, size, r.pos(), p, origin);
  return p;
}

const char* type_name(GgufType t) {
  static const char* names[] = {"uint8", "int8",  "uint16", "int16", "uint32", "int32", "float32",
                                "bool",  "string", "array", "uint64", "int64", "float64"};
  return names[static_cast<uint32_t>(t)];
}

int64_t value_as_int(const GgufValue& v, const std::string& what) {
  if (const auto* i = std::get_if<int64_t>(&v.value)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&v.value)) {
    SELFENS_REQUIRE(*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                    what + ": value too large");
    return static_cast<int64_t>(*u);
  }
  throw InputError(what + ": expected an integer, found " + type_name(v.type));
}

double value_as_float(const GgufValue& v, const std::string& what) {
  if (const auto* d = std::get_if<double>(&v.value)) return *d;
  if (std::holds_alternative<int64_t>(v.value) || std::holds_alternative<uint64_t>(v.value))
    return static_cast<double>(value_as_int(v, what));
  throw InputError(what + ": expected a number, found " + type_name(v.type));
}

const GgufArray& value_as_array(const GgufValue& v, const std::string& what) {
  const auto* a = std::get_if<GgufArray>(&v.value);
  SELFENS_REQUIRE(a != nullptr, what + ": expected an array, found " + type_name(v.type));
  return *a;
}

}  // namespace

GgufFile::GgufFile(const std::string& path) : file_(path) {
  Parsed p = parse(file_.data(), file_.size(), path);
  version_ = p.version;
  alignment_ = p.alignment;
  kv_ = std::move(p.kv);
  tensors_ = std::move(p.tensors);
}

const GgufValue* GgufFile::find(const std::string& key) const {
  for (const auto& [k, v] : kv_)
    if (k == key) return &v;
  return nullptr;
}

namespace {
const GgufValue& must_find(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  SELFENS_REQUIRE(v != nullptr, f.path() + ": missing metadata key '" + key + "'");
  return *v;
}
}  // namespace

std::string GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = must_find(*this, key);
  const auto* s = std::get_if<std::string>(&v.value);
  SELFENS_REQUIRE(s != nullptr, path() + ": metadata key '" + key + "': expected a string, found " +
                                    type_name(v.type));
  return *s;
}

int64_t GgufFile::get_int(const std::string& key) const {
  return value_as_int(must_find(*this, key), path() + ": metadata key '" + key + "'");
}

double GgufFile::get_float(const std::string& key) const {
  return value_as_float(must_find(*this, key), path() + ": metadata key '" + key + "'");
}

bool GgufFile::get_bool(const std::string& key) const {
  const GgufValue& v = must_find(*this, key);
  const auto* b = std::get_if<bool>(&v.value);
  SELFENS_REQUIRE(b != nullptr, path() + ": metadata key '" + key + "': expected a bool, found " +
                                    type_name(v.type));
  return *b;
}

std::vector<std::string> GgufFile::get_string_array(const std::string& key) const {
  const std::string what = path() + ": metadata key '" + key + "'";
  std::vector<std::string> out;
  for (const GgufValue& e : value_as_array(must_find(*this, key), what)) {
    const auto* s = std::get_if<std::string>(&e.value);
    SELFENS_REQUIRE(s != nullptr, what + ": expected an array of strings");
    out.push_back(*s);
  }
  return out;
}

std::vector<int64_t> GgufFile::get_int_array(const std::string& key) const {
  const std::string what = path() + ": metadata key '" + key + "'";
  std::vector<int64_t> out;
  for (const GgufValue& e : value_as_array(must_find(*this, key), what))
    out.push_back(value_as_int(e, what));
  return out;
}

std::vector<double> GgufFile::get_float_array(const std::string& key) const {
  const std::string what = path() + ": metadata key '" + key + "'";
  std::vector<double> out;
  for (const GgufValue& e : value_as_array(must_find(*this, key), what))
    out.push_back(value_as_float(e, what));
  return out;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {
HostTensor dequantize_tensor(const GgufTensorInfo& info, const std::string& origin) {
  const GgmlTypeTraits tt = ggml_type_traits(info.type);
  SELFENS_REQUIRE(tt.dequantizable,
                  origin + ": tensor '" + info.name + "' has type " + tt.name +
                      ", which selfens cannot dequantize (supported: " +
                      dequantizable_type_names() + ")");
  HostTensor t;
  t.shape.assign(info.ne.rbegin(), info.ne.rend());
  int64_t n = 1;
  for (int64_t d : info.ne) n *= d;
  t.data.resize(static_cast<size_t>(n));
  if (n > 0) dequantize_row(info.type, info.data, t.data.data(), n);
  return t;
}
}  // namespace

HostTensor GgufFile::dequantize(const GgufTensorInfo& info) const {
  return dequantize_tensor(info, path());
}

void parse_gguf_bytes(const uint8_t* data, size_t size, const std::string& origin) {
  Parsed p = parse(data, size, origin);
  // Exercise dequantization too: every tensor lies inside the input, so the
  // output is bounded by a small multiple of the input size.
  for (const auto& t : p.tensors)
    if (ggml_type_traits(t.type).dequantizable) (void)dequantize_tensor(t, origin);
}

}  // namespace selfens
