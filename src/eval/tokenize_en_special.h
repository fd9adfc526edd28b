#pragma once
// Internal to the English tokenizer: its table of special cases.
#include <string>
#include <unordered_map>
#include <vector>

#include "eval/tokenize_en.h"

namespace selfens::eval {

// Key: the exact chunk text; value: the tokens it splits into.
using SpecialTable = std::unordered_map<std::u32string, std::vector<std::u32string>>;

// Built once on first use (thread-safe static).
const SpecialTable& english_special_cases();

}  // namespace selfens::eval
