#pragma once
// The original's post-processing: prediction = generation.strip().split('\n')[0].
#include <string>
#include <string_view>

namespace selfens {

// Python str.strip(): removes leading/trailing whitespace (ASCII whitespace,
// \x1c-\x1f, and the Unicode spaces U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
std::string python_strip(std::string_view s);
// generation.strip().split('\n')[0]
std::string prediction_from_generation(std::string_view generation);

}  // namespace selfens
