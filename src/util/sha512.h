#pragma once
// SHA-512 (FIPS 180-4), for Python's random.seed(str), which hashes the
// string with it (util/python_random.h). Not for security.
#include <array>
#include <cstdint>
#include <string_view>

namespace selfens {

std::array<uint8_t, 64> sha512(std::string_view bytes);

}  // namespace selfens
