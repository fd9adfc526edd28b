// PythonRandom and sha512 against values computed with CPython 3.11
// (random.seed(s); random.getrandbits(32) x 3; random.sample(range(12), 12);
// random.sample(range(1000), 7); hashlib.sha512(...).hexdigest()).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "util/check.h"
#include "util/python_random.h"
#include "util/sha512.h"

namespace selfens {
namespace {

std::string hex_prefix(const std::array<uint8_t, 64>& d, size_t bytes) {
  std::string s;
  char buf[3];
  for (size_t i = 0; i < bytes; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", d[i]);
    s += buf;
  }
  return s;
}

TEST(Sha512, KnownDigests) {
  EXPECT_EQ(hex_prefix(sha512("abc"), 16), "ddaf35a193617abacc417349ae204131");
  EXPECT_EQ(hex_prefix(sha512(""), 16), "cf83e1357eefb8bdf1542850d66d8007");
  EXPECT_EQ(hex_prefix(sha512(std::string(200, 'a')), 16), "4b11459c33f52a22ee8236782714c150");
}

struct StringSeedCase {
  std::string seed;
  std::vector<uint32_t> bits;
  std::vector<uint64_t> perm12, sample1000;
};

TEST(PythonRandom, StringSeedsAsCPython) {
  const StringSeedCase cases[] = {
      {"4a1c0c8b-1f6e-4c2e-9a55-000000000001",
       {3346524601u, 4016491363u, 140842927u},
       {0, 8, 11, 3, 4, 6, 9, 7, 10, 2, 5, 1},
       {535, 907, 826, 223, 521, 918, 276}},
      {"", {4124137760u, 1951988028u, 2557274880u}, {7, 9, 3, 6, 10, 8, 2, 4, 0, 5, 1, 11},
       {882, 49, 470, 399, 314, 197, 839}},
      {"\u00e9\u20ac unicode \u2713",
       {669364921u, 586952734u, 3275302119u},
       {2, 11, 3, 9, 1, 10, 4, 0, 8, 6, 7, 5},
       {58, 703, 16, 773, 743, 79, 542}},
      {std::string(200, 'x'),
       {3650749297u, 2945716951u, 743268842u},
       {10, 2, 5, 3, 9, 11, 0, 1, 7, 6, 8, 4},
       {343, 898, 164, 755, 475, 609, 212}},
  };
  for (const auto& c : cases) {
    PythonRandom bits(c.seed);
    for (uint32_t want : c.bits) EXPECT_EQ(bits.next32(), want) << c.seed;
    PythonRandom r(c.seed);
    EXPECT_EQ(r.sample(12, 12), c.perm12) << c.seed;  // pool algorithm
    EXPECT_EQ(r.sample(1000, 7), c.sample1000) << c.seed;  // set algorithm, same stream
  }
}

// Seeds shaped like MyriadLAMA uuids (15 hex digits, '-', 15 more): the
// order the original's loader would draw 11 auto templates in.
TEST(PythonRandom, UuidShapedSeeds) {
  EXPECT_EQ(PythonRandom("q-000000000000001-aaaaaaaaaaaaaaa").sample(11, 11),
            (std::vector<uint64_t>{6, 0, 8, 10, 9, 5, 4, 7, 2, 1, 3}));
  EXPECT_EQ(PythonRandom("q-000000000000002-bbbbbbbbbbbbbbb").sample(11, 11),
            (std::vector<uint64_t>{10, 2, 9, 4, 5, 3, 6, 0, 1, 8, 7}));
  EXPECT_THROW(PythonRandom(1).sample(3, 4), InputError);
}

// Populations beyond 32 bits (the permutations synced samples draw from):
// random.seed("abc"); getrandbits(40), getrandbits(64), getrandbits(33);
// random.sample(range(19*18*17*16*15), 5); random.sample(range(2**40 + 7), 4).
TEST(PythonRandom, WideDrawsAsCPython) {
  PythonRandom r("abc");
  EXPECT_EQ(r.bits(40), 1089942546431ull);
  EXPECT_EQ(r.bits(64), 8489244102664399922ull);
  EXPECT_EQ(r.bits(33), 7342386315ull);
  EXPECT_EQ(PythonRandom("abc").sample(19 * 18 * 17 * 16 * 15, 5),
            (std::vector<uint64_t>{1170565, 965115, 743076, 743687, 337656}));
  EXPECT_EQ(PythonRandom("abc").sample((uint64_t{1} << 40) + 7, 4),
            (std::vector<uint64_t>{1011714632754, 781293385085, 356247415405, 121402159198}));
}

}  // namespace
}  // namespace selfens
