#include "methods/prompt_tokens.h"

#include <algorithm>

#include "util/check.h"

namespace selfens {
namespace {

// How many leading tokens of ids decode to at most `bytes` bytes.
size_t tokens_within(const Tokenizer& tok, const std::vector<int32_t>& ids, size_t bytes) {
  size_t used = 0, k = 0;
  for (; k < ids.size(); ++k) {
    used += tok.token_text(ids[k]).size();
    if (used > bytes) break;
  }
  return k;
}

int find_cue_len(const Tokenizer& tok, const std::vector<int32_t>& view) {
  std::string tail;
  for (int k = 1; k <= 4 && k <= static_cast<int>(view.size()); ++k) {
    tail = tok.token_text(view[view.size() - k]) + tail;
    if (tail == "A:") return k;
  }
  return 1;
}

}  // namespace

int64_t TokenizedRun::max_view_len() const {
  int64_t m = 0;
  for (const auto& q : views)
    for (const auto& v : q) m = std::max<int64_t>(m, static_cast<int64_t>(v.size()));
  return m;
}

TokenizedRun tokenize_run(const Tokenizer& tokenizer,
                          const std::vector<std::vector<std::string>>& prompts,
                          const std::string& prefix_text) {
  SELFENS_CHECK(!prompts.empty() && !prompts[0].empty(), "tokenize_run needs prompts");
  std::vector<std::vector<std::vector<int32_t>>> full(prompts.size());
  for (size_t q = 0; q < prompts.size(); ++q)
    for (const auto& p : prompts[q]) full[q].push_back(tokenizer.encode(p, true));

  // P = the longest common token prefix, capped at the shared prefix text.
  const auto& first = full[0][0];
  int bos = tokenizer.bos_id() >= 0 && !first.empty() && first[0] == tokenizer.bos_id() ? 1 : 0;
  size_t common = bos + tokens_within(tokenizer, {first.begin() + bos, first.end()}, prefix_text.size());
  for (const auto& q : full)
    for (const auto& ids : q) {
      size_t k = 0;
      while (k < common && k < ids.size() && ids[k] == first[k]) ++k;
      common = k;
    }

  TokenizedRun run;
  run.prefix.assign(first.begin(), first.begin() + common);
  run.views.resize(full.size());
  for (size_t q = 0; q < full.size(); ++q)
    for (auto& ids : full[q]) {
      SELFENS_CHECK(ids.size() > common, "a prompt has no tokens after the shared prefix");
      run.views[q].emplace_back(ids.begin() + common, ids.end());
    }
  run.cue_len = find_cue_len(tokenizer, run.views[0][0]);
  const auto& ref = run.views[0][0];
  std::vector<int32_t> cue(ref.end() - run.cue_len, ref.end());
  for (const auto& q : run.views)
    for (const auto& v : q) {
      bool same = v.size() > static_cast<size_t>(run.cue_len) &&
                  std::equal(cue.begin(), cue.end(), v.end() - run.cue_len);
      if (!same) {  // prompts that do not share the cue: G starts with the last token
        run.cue_len = 1;
        break;
      }
    }
  return run;
}

}  // namespace selfens
