#include "util/fingerprint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "util/mapped_file.h"
#include "util/check.h"

namespace selfens {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kPrime = 0x100000001b3ull;
constexpr uint64_t kModelEdge = 4ull << 20;

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

Fingerprint& Fingerprint::add(std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h_ = (h_ ^ w) * kPrime;
  }
  for (; i < bytes.size(); ++i) h_ = (h_ ^ bytes[i]) * kPrime;
  return *this;
}

Fingerprint& Fingerprint::add(std::string_view text) {
  add(static_cast<uint64_t>(text.size()));
  return add(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Fingerprint& Fingerprint::add(uint64_t value) {
  h_ = (h_ ^ value) * kPrime;
  return *this;
}

Fingerprint& Fingerprint::add_file(const fs::path& path, uint64_t edge) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  SELFENS_REQUIRE(!ec, path.string() + ": cannot read: " + ec.message());
  add(size);
  if (size == 0) return *this;
  MappedFile file(path.string());
  std::span<const uint8_t> all(file.data(), file.size());
  if (edge == UINT64_MAX || size <= 2 * edge) return add(all);
  add(all.first(edge));
  return add(all.last(edge));
}

std::string Fingerprint::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mix(h_)));
  return buf;
}

std::string model_fingerprint(const fs::path& model_path) {
  Fingerprint f;
  if (!fs::is_directory(model_path)) return f.add_file(model_path, kModelEdge).hex();
  if (fs::exists(model_path / "config.json")) f.add_file(model_path / "config.json");
  std::vector<fs::path> weights;
  for (const auto& e : fs::directory_iterator(model_path))
    if (e.path().extension() == ".safetensors") weights.push_back(e.path());
  std::sort(weights.begin(), weights.end());
  for (const auto& w : weights) f.add(w.filename().string()).add_file(w, kModelEdge);
  return f.hex();
}

}  // namespace selfens
