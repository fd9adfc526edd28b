#include "data/prompt.h"

#include <array>
#include <unordered_set>

#include "util/check.h"

namespace selfens::data {

std::string build_prompt(std::string_view block, std::string_view question) {
  return prompt_parts(block, question).full();
}

PromptParts prompt_parts(std::string_view block, std::string_view question) {
  PromptParts p;
  p.prefix.reserve(block.size() + 2);
  p.prefix.append(block).append("\n\n");
  p.question_part.append("Q: ").append(question).append("\nA:");
  return p;
}

std::string format_example(std::string_view question, std::string_view answer) {
  std::string s = "Q: ";
  s.append(question).append("\nA: ").append(answer);
  return s;
}

std::string make_block(std::string_view instruction,
                       const std::vector<std::pair<std::string, std::string>>& examples) {
  std::string s(instruction);
  for (size_t i = 0; i < examples.size(); ++i) {
    s += "\n\n";
    s += format_example(examples[i].first, examples[i].second);
  }
  return s;
}

std::string block_from_file_text(std::string text, const std::string& source) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  SELFENS_REQUIRE(!text.empty(), source + ": empty few-shot block");
  return text;
}

namespace {

// CPython's Mersenne Twister (Modules/_randommodule.c), seeded as
// random.seed(int) does: init_by_array over the 32-bit words of |seed|.
class PyMt19937 {
 public:
  explicit PyMt19937(uint64_t seed) {
    std::array<uint32_t, 2> key{static_cast<uint32_t>(seed),
                                static_cast<uint32_t>(seed >> 32)};
    init_by_array(key.data(), key[1] != 0 ? 2 : 1);
  }

  uint32_t next() {
    if (mti_ >= kN) generate();
    uint32_t y = mt_[mti_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  // random._randbelow_with_getrandbits(n), n < 2^32.
  uint32_t below(uint32_t n) {
    int bits = 0;
    while (bits < 32 && (uint64_t{1} << bits) <= n) ++bits;  // n.bit_length()
    if (bits == 0) return 0;
    for (;;) {
      uint32_t r = next() >> (32 - bits);
      if (r < n) return r;
    }
  }

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;

  void init_genrand(uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < kN; ++i)
      mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
    mti_ = kN;
  }

  void init_by_array(const uint32_t* key, int len) {
    init_genrand(19650218u);
    int i = 1, j = 0;
    for (int k = kN > len ? kN : len; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
               static_cast<uint32_t>(j);
      if (++i >= kN) { mt_[0] = mt_[kN - 1]; i = 1; }
      if (++j >= len) j = 0;
    }
    for (int k = kN - 1; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
               static_cast<uint32_t>(i);
      if (++i >= kN) { mt_[0] = mt_[kN - 1]; i = 1; }
    }
    mt_[0] = 0x80000000u;
  }

  void generate() {
    static constexpr uint32_t kMag[2] = {0u, 0x9908b0dfu};
    int k = 0;
    for (; k < kN - kM; ++k) {
      uint32_t y = (mt_[k] & 0x80000000u) | (mt_[k + 1] & 0x7fffffffu);
      mt_[k] = mt_[k + kM] ^ (y >> 1) ^ kMag[y & 1u];
    }
    for (; k < kN - 1; ++k) {
      uint32_t y = (mt_[k] & 0x80000000u) | (mt_[k + 1] & 0x7fffffffu);
      mt_[k] = mt_[k + (kM - kN)] ^ (y >> 1) ^ kMag[y & 1u];
    }
    uint32_t y = (mt_[kN - 1] & 0x80000000u) | (mt_[0] & 0x7fffffffu);
    mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ kMag[y & 1u];
    mti_ = 0;
  }

  std::array<uint32_t, kN> mt_{};  // (624,) uint32 state
  int mti_ = kN;
};

// random.sample's switch between a pool and a set of picks.
uint64_t sample_setsize(uint32_t k) {
  uint64_t setsize = 21;
  if (k > 5) {
    uint64_t p = 1;  // 4 ** ceil(log(3k, 4)); 3k is never a power of 4
    while (p < uint64_t{3} * k) p *= 4;
    setsize += p;
  }
  return setsize;
}

}  // namespace

std::vector<uint32_t> python_random_sample(uint64_t seed, uint32_t n, uint32_t k) {
  SELFENS_REQUIRE(k <= n, "random sample: k=" + std::to_string(k) +
                              " larger than population " + std::to_string(n));
  PyMt19937 rng(seed);
  std::vector<uint32_t> out(k);
  if (n <= sample_setsize(k)) {
    std::vector<uint32_t> pool(n);
    for (uint32_t i = 0; i < n; ++i) pool[i] = i;
    for (uint32_t i = 0; i < k; ++i) {
      uint32_t j = rng.below(n - i);
      out[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
    return out;
  }
  std::unordered_set<uint32_t> picked;
  for (uint32_t i = 0; i < k; ++i) {
    uint32_t j = rng.below(n);
    while (picked.count(j)) j = rng.below(n);
    picked.insert(j);
    out[i] = j;
  }
  return out;
}

}  // namespace selfens::data
