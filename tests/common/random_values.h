#pragma once
// Uniform random test values in [-a, a], drawn from `rng`.
#include <random>
#include <vector>

namespace selfens::test {

inline std::vector<float> random_values(std::mt19937& rng, size_t n, float a = 1.0f) {
  std::uniform_real_distribution<float> u(-a, a);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

}  // namespace selfens::test
