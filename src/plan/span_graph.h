#pragma once
// The attention plan (DESIGN section 2): a graph of spans.
//
// A span is a run of tokens with consecutive positions start_pos + i. A query
// token at index i of span S sees every token of every ancestor of S (parents,
// their parents, ...) and tokens 0..i of S itself. An optional score bias per
// (query span, key span) is added to the attention logits of those keys.
//
// The graph is host-side bookkeeping only (no KV data): the engine asks it,
// per query span, which key spans are visible and with what bias.
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace selfens {

using SpanId = int32_t;
constexpr SpanId kNoSpan = -1;

// A transform of the attention scores of a query span on one key span:
// score = q.k / sqrt(d) * scale + bias.
struct KeyBias {
  SpanId key = kNoSpan;  // an ancestor of the query span
  float bias = 0.0f;     // added, e.g. -log N
  float scale = 1.0f;    // multiplies q.k / sqrt(d): 1 / temperature
};

struct Span {
  SpanId id = kNoSpan;
  std::vector<SpanId> parents;  // direct parents, in the order given
  int32_t start_pos = 0;        // position of token 0
  int32_t length = 0;           // tokens appended so far
  std::vector<KeyBias> bias;    // biases when this span is the query
  int32_t n_children = 0;       // live spans that name this one as a parent
};

// A key span visible to a query span, in attention order.
struct VisibleSpan {
  SpanId id = kNoSpan;
  float bias = 0.0f;
  float scale = 1.0f;
  bool self = false;  // the query span itself (causal within)
};

class SpanGraph {
 public:
  // Creates a span; parents must exist and be distinct; each bias key must be
  // an ancestor (or the span itself is not allowed). Throws InputError.
  SpanId create(std::span<const SpanId> parents, int32_t start_pos,
                std::span<const KeyBias> bias = {});
  // Destroys a span; it must have no live children. Throws InputError.
  void destroy(SpanId id);
  bool exists(SpanId id) const;
  const Span& get(SpanId id) const;  // throws InputError when unknown
  void append(SpanId id, int32_t n_tokens);  // length += n_tokens
  // Ancestors (deduplicated, every ancestor before its descendants, parents
  // in the order given) followed by the span itself.
  std::vector<VisibleSpan> visible(SpanId query) const;
  size_t size() const { return spans_.size(); }

 private:
  void collect_ancestors(SpanId id, std::vector<SpanId>& order,
                         std::unordered_map<SpanId, bool>& seen) const;
  std::unordered_map<SpanId, Span> spans_;
  SpanId next_id_ = 0;
};

// The plan as a dense matrix over the tokens of `spans` laid end to end (in
// the order given, each span's tokens 0..length-1). Row = query token,
// column = key token. For tests (naive reference) and for pictures.
struct DenseMask {
  int n = 0;                     // total tokens
  std::vector<uint8_t> mask;     // [n, n] 1 = visible
  std::vector<float> bias;       // [n, n] score bias (0 where not visible)
  std::vector<float> scale;      // [n, n] score scale (1 where not visible)
  std::vector<int32_t> position; // [n] start_pos + index
  std::vector<SpanId> span_of;   // [n] span of each token
  bool visible(int q, int k) const { return mask[size_t(q) * n + k] != 0; }
};

// Keys of a query span that are not among `spans` are simply absent.
DenseMask build_dense_mask(const SpanGraph& graph, std::span<const SpanId> spans);

// Tokens [from, from + length) of a span: a display segment (a prompt and the
// answer appended to the same span are two segments of it).
struct SpanSegment {
  SpanId id = kNoSpan;
  int32_t from = 0;
  int32_t length = 0;
};
// The same over segments laid end to end in the order given; a token sees
// the tokens of its span's ancestors and those of its own span up to itself,
// wherever their segments sit.
DenseMask build_dense_mask(const SpanGraph& graph, std::span<const SpanSegment> segments);

// The mask as text: one line per query token, '#' visible, '.' not.
std::string render_mask(const DenseMask& mask);

}  // namespace selfens
