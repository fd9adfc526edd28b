#pragma once
// The original's post-processing: prediction = generation.strip().split('\n')[0],
// after a think block where the model opens one (Qwen3, DeepSeek-R1 distills:
// a generation that starts with "<think>" answers after its "</think>").
#include <string>
#include <string_view>

namespace selfens {

// Python str.strip(): removes leading/trailing whitespace (ASCII whitespace,
// \x1c-\x1f, and the Unicode spaces U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
std::string python_strip(std::string_view s);
// generation.strip().split('\n')[0]; for a generation that starts (after
// whitespace) with "<think>", the same of the text after the first
// "</think>", and "" while the block is still open (cut by max_new_tokens).
std::string prediction_from_generation(std::string_view generation);
// True once prediction_from_generation can no longer change as tokens are
// appended: the answer part has a newline after some non-space text. (Only
// a token holding a newline can make it true.)
bool prediction_final(std::string_view generation);

}  // namespace selfens
