#pragma once
// CPython's `random` module, reproduced exactly where selfens must draw
// what the original drew (Modules/_randommodule.c and Lib/random.py,
// CPython 3.x): the Mersenne Twister seeded as random.seed(int) or
// random.seed(str) (version 2: the string's UTF-8 bytes followed by their
// SHA-512, read as one big-endian integer), _randbelow through getrandbits,
// and random.sample's two algorithms (a shrinking pool, or a set of picks
// for small k of large populations).
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace selfens {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed);        // random.seed(int), seed >= 0
  explicit PythonRandom(std::string_view seed);  // random.seed(str)

  uint32_t next32();         // getrandbits(32)
  uint64_t bits(int count);  // getrandbits(count), 0 < count <= 64
  // random._randbelow(n) for 0 < n < 2^64 (0 for n == 0).
  uint64_t below(uint64_t n);
  // random.sample(range(n), k): k distinct indices in draw order; also the
  // indices random.sample(seq, k) picks from a sequence of length n.
  // InputError when k > n.
  std::vector<uint64_t> sample(uint64_t n, uint64_t k);

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);
  void generate();

  std::array<uint32_t, kN> mt_{};
  int mti_ = kN;
};

}  // namespace selfens
