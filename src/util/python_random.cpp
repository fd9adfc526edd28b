#include "util/python_random.h"

#include <string>
#include <unordered_set>

#include "util/check.h"
#include "util/sha512.h"

namespace selfens {
namespace {

// random.sample's switch between a pool and a set of picks.
uint64_t sample_setsize(uint64_t k) {
  uint64_t setsize = 21;
  if (k > 5) {
    uint64_t p = 1;  // 4 ** ceil(log(3k, 4)); 3k is never a power of 4
    while (p < uint64_t{3} * k) p *= 4;
    setsize += p;
  }
  return setsize;
}

// The 32-bit words of a big-endian byte string read as a non-negative
// integer, least significant first, without high zero words (at least one):
// init_by_array's key for random.seed(int).
std::vector<uint32_t> key_words(const std::vector<uint8_t>& big_endian) {
  std::vector<uint32_t> key;
  for (size_t end = big_endian.size(); end > 0;) {
    const size_t begin = end >= 4 ? end - 4 : 0;
    uint32_t w = 0;
    for (size_t i = begin; i < end; ++i) w = (w << 8) | big_endian[i];
    key.push_back(w);
    end = begin;
  }
  while (key.size() > 1 && key.back() == 0) key.pop_back();
  if (key.empty()) key.push_back(0);
  return key;
}

}  // namespace

PythonRandom::PythonRandom(uint64_t seed) {
  std::vector<uint8_t> bytes(8);
  for (int i = 0; i < 8; ++i) bytes[size_t(i)] = uint8_t(seed >> (56 - 8 * i));
  init_by_array(key_words(bytes));
}

PythonRandom::PythonRandom(std::string_view seed) {
  std::vector<uint8_t> bytes(seed.begin(), seed.end());
  const std::array<uint8_t, 64> digest = sha512(seed);
  bytes.insert(bytes.end(), digest.begin(), digest.end());
  init_by_array(key_words(bytes));
}

uint32_t PythonRandom::next32() {
  if (mti_ >= kN) generate();
  uint32_t y = mt_[size_t(mti_++)];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

// random.getrandbits(bits) for 0 < bits <= 64: 32-bit words, least
// significant first, the last one keeping its top bits.
uint64_t PythonRandom::bits(int count) {
  if (count <= 32) return next32() >> (32 - count);
  const uint64_t low = next32();
  return low | (uint64_t{next32() >> (64 - count)} << 32);
}

// random._randbelow_with_getrandbits(n): k = n.bit_length() bits until < n.
uint64_t PythonRandom::below(uint64_t n) {
  int count = 0;
  while (count < 64 && (uint64_t{1} << count) <= n) ++count;
  if (count == 0) return 0;
  for (;;) {
    const uint64_t r = bits(count);
    if (r < n) return r;
  }
}

std::vector<uint64_t> PythonRandom::sample(uint64_t n, uint64_t k) {
  SELFENS_REQUIRE(k <= n, "random sample: k=" + std::to_string(k) + " larger than population " +
                              std::to_string(n));
  std::vector<uint64_t> out(k);
  if (n <= sample_setsize(k)) {
    std::vector<uint64_t> pool(n);
    for (uint64_t i = 0; i < n; ++i) pool[i] = i;
    for (uint64_t i = 0; i < k; ++i) {
      const uint64_t j = below(n - i);
      out[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
    return out;
  }
  std::unordered_set<uint64_t> picked;
  for (uint64_t i = 0; i < k; ++i) {
    uint64_t j = below(n);
    while (picked.count(j)) j = below(n);
    picked.insert(j);
    out[i] = j;
  }
  return out;
}

void PythonRandom::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i)
    mt_[size_t(i)] = 1812433253u * (mt_[size_t(i - 1)] ^ (mt_[size_t(i - 1)] >> 30)) + uint32_t(i);
  mti_ = kN;
}

void PythonRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218u);
  const int len = int(key.size());
  int i = 1, j = 0;
  for (int k = kN > len ? kN : len; k; --k) {
    mt_[size_t(i)] = (mt_[size_t(i)] ^ ((mt_[size_t(i - 1)] ^ (mt_[size_t(i - 1)] >> 30)) * 1664525u)) +
                     key[size_t(j)] + uint32_t(j);
    if (++i >= kN) { mt_[0] = mt_[kN - 1]; i = 1; }
    if (++j >= len) j = 0;
  }
  for (int k = kN - 1; k; --k) {
    mt_[size_t(i)] =
        (mt_[size_t(i)] ^ ((mt_[size_t(i - 1)] ^ (mt_[size_t(i - 1)] >> 30)) * 1566083941u)) -
        uint32_t(i);
    if (++i >= kN) { mt_[0] = mt_[kN - 1]; i = 1; }
  }
  mt_[0] = 0x80000000u;
}

void PythonRandom::generate() {
  static constexpr uint32_t kMag[2] = {0u, 0x9908b0dfu};
  int k = 0;
  for (; k < kN - kM; ++k) {
    const uint32_t y = (mt_[size_t(k)] & 0x80000000u) | (mt_[size_t(k + 1)] & 0x7fffffffu);
    mt_[size_t(k)] = mt_[size_t(k + kM)] ^ (y >> 1) ^ kMag[y & 1u];
  }
  for (; k < kN - 1; ++k) {
    const uint32_t y = (mt_[size_t(k)] & 0x80000000u) | (mt_[size_t(k + 1)] & 0x7fffffffu);
    mt_[size_t(k)] = mt_[size_t(k + (kM - kN))] ^ (y >> 1) ^ kMag[y & 1u];
  }
  const uint32_t y = (mt_[kN - 1] & 0x80000000u) | (mt_[0] & 0x7fffffffu);
  mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ kMag[y & 1u];
  mti_ = 0;
}

}  // namespace selfens
