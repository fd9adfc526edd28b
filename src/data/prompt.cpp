#include "data/prompt.h"

#include "util/check.h"
#include "util/python_random.h"

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

std::vector<uint32_t> python_random_sample(uint64_t seed, uint32_t n, uint32_t k) {
  std::vector<uint32_t> picks;
  for (uint64_t i : PythonRandom(seed).sample(n, k)) picks.push_back(static_cast<uint32_t>(i));
  return picks;
}

}  // namespace selfens::data
