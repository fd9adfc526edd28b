#pragma once
// One forward call's input, as parallel arrays (like llama.cpp's batch): each
// row appends one token to one span. Rows may come from many spans and many
// questions (prefill of some spans, decode of others). Rows of one span are
// appended in batch order and are causal among themselves.
#include <cstdint>
#include <span>
#include <vector>

#include "plan/span_graph.h"

namespace selfens {

struct StepBatch {
  std::vector<int32_t> token;        // [n] token ids
  std::vector<SpanId> span;          // [n] span the token is appended to
  std::vector<int32_t> pos;          // [n] position, or -1: start_pos + index (the only
                                     //     value accepted; given ones are checked)
  std::vector<uint8_t> need_logits;  // [n] 1: return this row's logits

  void add(int32_t token_id, SpanId span_id, bool logits = false, int32_t position = -1) {
    token.push_back(token_id);
    span.push_back(span_id);
    pos.push_back(position);
    need_logits.push_back(logits ? 1 : 0);
  }
  // Appends tokens to one span; only the last row asks for logits when
  // `logits_last` is set.
  void add_tokens(std::span<const int32_t> tokens, SpanId span_id, bool logits_last) {
    for (size_t i = 0; i < tokens.size(); ++i)
      add(tokens[i], span_id, logits_last && i + 1 == tokens.size());
  }
  void clear() {
    token.clear();
    span.clear();
    pos.clear();
    need_logits.clear();
  }
  size_t size() const { return token.size(); }
  bool empty() const { return token.empty(); }
};

// Logits of the rows that asked for them, in batch order.
struct Logits {
  int32_t rows = 0;
  int32_t vocab = 0;
  std::vector<float> data;         // [rows, vocab] fp32
  std::vector<int32_t> batch_row;  // [rows] the batch row each came from

  std::span<const float> row(int32_t i) const {
    return {data.data() + size_t(i) * size_t(vocab), size_t(vocab)};
  }
};

}  // namespace selfens
