#include "plan/span_graph.h"

#include <algorithm>

#include "util/check.h"

namespace selfens {

namespace {
std::string span_name(SpanId id) { return "span " + std::to_string(id); }
}  // namespace

SpanId SpanGraph::create(std::span<const SpanId> parents, int32_t start_pos,
                         std::span<const KeyBias> bias) {
  SELFENS_REQUIRE(start_pos >= 0, "plan: start_pos must be >= 0, got " +
                                      std::to_string(start_pos));
  for (size_t i = 0; i < parents.size(); ++i) {
    SELFENS_REQUIRE(exists(parents[i]),
                    "plan: parent " + span_name(parents[i]) + " does not exist");
    for (size_t j = 0; j < i; ++j)
      SELFENS_REQUIRE(parents[i] != parents[j],
                      "plan: parent " + span_name(parents[i]) + " given twice");
  }
  Span s;
  s.id = next_id_;
  s.parents.assign(parents.begin(), parents.end());
  s.start_pos = start_pos;
  // Bias keys must be ancestors of the new span.
  std::vector<SpanId> order;
  std::unordered_map<SpanId, bool> seen;
  for (SpanId p : parents) collect_ancestors(p, order, seen);
  for (const KeyBias& b : bias) {
    SELFENS_REQUIRE(seen.count(b.key) != 0,
                    "plan: bias key " + span_name(b.key) +
                        " is not an ancestor of the new span");
  }
  s.bias.assign(bias.begin(), bias.end());
  for (SpanId p : parents) spans_.at(p).n_children += 1;
  spans_.emplace(s.id, std::move(s));
  return next_id_++;
}

void SpanGraph::destroy(SpanId id) {
  const Span& s = get(id);
  SELFENS_REQUIRE(s.n_children == 0, "plan: cannot free " + span_name(id) +
                                         ": " + std::to_string(s.n_children) +
                                         " live child span(s) still use it");
  for (SpanId p : s.parents) spans_.at(p).n_children -= 1;
  spans_.erase(id);
}

bool SpanGraph::exists(SpanId id) const { return spans_.count(id) != 0; }

const Span& SpanGraph::get(SpanId id) const {
  auto it = spans_.find(id);
  SELFENS_REQUIRE(it != spans_.end(), "plan: unknown " + span_name(id));
  return it->second;
}

void SpanGraph::append(SpanId id, int32_t n_tokens) {
  SELFENS_REQUIRE(exists(id), "plan: unknown " + span_name(id));
  SELFENS_CHECK(n_tokens >= 0, "negative append");
  spans_.at(id).length += n_tokens;
}

void SpanGraph::collect_ancestors(SpanId id, std::vector<SpanId>& order,
                                  std::unordered_map<SpanId, bool>& seen) const {
  if (seen.count(id)) return;
  seen[id] = true;
  for (SpanId p : spans_.at(id).parents) collect_ancestors(p, order, seen);
  order.push_back(id);
}

std::vector<VisibleSpan> SpanGraph::visible(SpanId query) const {
  const Span& q = get(query);
  std::vector<SpanId> order;
  std::unordered_map<SpanId, bool> seen;
  for (SpanId p : q.parents) collect_ancestors(p, order, seen);
  std::vector<VisibleSpan> out;
  out.reserve(order.size() + 1);
  for (SpanId k : order) {
    float bias = 0.0f, scale = 1.0f;
    for (const KeyBias& b : q.bias)
      if (b.key == k) {
        bias += b.bias;
        scale *= b.scale;
      }
    out.push_back({k, bias, scale, false});
  }
  out.push_back({query, 0.0f, 1.0f, true});
  return out;
}

DenseMask build_dense_mask(const SpanGraph& graph, std::span<const SpanId> spans) {
  std::vector<SpanSegment> segments;
  for (SpanId id : spans) {
    for (const SpanSegment& seen : segments)
      SELFENS_REQUIRE(seen.id != id, "plan: span listed twice in mask");
    segments.push_back({id, 0, graph.get(id).length});
  }
  return build_dense_mask(graph, segments);
}

DenseMask build_dense_mask(const SpanGraph& graph, std::span<const SpanSegment> segments) {
  DenseMask m;
  std::vector<int32_t> index;  // [n] token index within its span
  for (const SpanSegment& seg : segments) {
    const Span& s = graph.get(seg.id);
    SELFENS_REQUIRE(seg.from >= 0 && seg.length >= 0 && seg.from + seg.length <= s.length,
                    "plan: segment outside its span");
    for (int i = seg.from; i < seg.from + seg.length; ++i) {
      m.position.push_back(s.start_pos + i);
      m.span_of.push_back(seg.id);
      index.push_back(i);
    }
    m.n += seg.length;
  }
  m.mask.assign(size_t(m.n) * m.n, 0);
  m.bias.assign(size_t(m.n) * m.n, 0.0f);
  m.scale.assign(size_t(m.n) * m.n, 1.0f);
  for (int q = 0; q < m.n; ++q) {
    const std::vector<VisibleSpan> visible = graph.visible(m.span_of[q]);
    for (int k = 0; k < m.n; ++k) {
      for (const VisibleSpan& v : visible) {
        if (v.id != m.span_of[k] || (v.self && index[k] > index[q])) continue;
        const size_t at = size_t(q) * m.n + k;
        m.mask[at] = 1;
        m.bias[at] = v.bias;
        m.scale[at] = v.scale;
      }
    }
  }
  return m;
}

std::string render_mask(const DenseMask& mask) {
  std::string out;
  out.reserve(size_t(mask.n) * (mask.n + 1));
  for (int q = 0; q < mask.n; ++q) {
    for (int k = 0; k < mask.n; ++k) out += mask.visible(q, k) ? '#' : '.';
    out += '\n';
  }
  return out;
}

}  // namespace selfens
