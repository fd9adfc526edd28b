#pragma once
// Paged KV cache bookkeeping (DESIGN section 3): a fixed pool of pages of
// `page_size` tokens each; every span owns a list of pages; freeing a span
// returns its pages. The K/V data itself lives in the backend (device
// memory), indexed by page id; this class only decides which page holds
// which token, like flashinfer's host-side page table.
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "plan/span_graph.h"
#include "util/check.h"

namespace selfens {

// Thrown when a span needs more pages than the pool has free.
class KvCapacityError : public InputError {
 public:
  using InputError::InputError;
};

struct KvStats {
  int64_t capacity_pages = 0;
  int64_t used_pages = 0;
  int64_t peak_pages = 0;
  int32_t page_size = 0;  // tokens per page
};

// Where one token's K/V lives.
struct KvSlot {
  int32_t page = 0;    // page id in [0, capacity)
  int32_t offset = 0;  // token index within the page
};

class KvPages {
 public:
  KvPages(int64_t capacity_pages, int32_t page_size);

  // Makes room for `n_tokens` tokens in `span` (allocating pages as needed),
  // for every (span, n_tokens) pair at once: either all succeed or none is
  // changed and KvCapacityError says how many pages were missing.
  void reserve(std::span<const std::pair<SpanId, int32_t>> requests);
  void reserve(SpanId span, int32_t n_tokens);
  void free_span(SpanId span);  // no-op for a span that holds no pages
  const std::vector<int32_t>& pages(SpanId span) const;  // empty when none
  KvSlot slot(SpanId span, int32_t index) const;  // index < reserved tokens
  int32_t page_size() const { return page_size_; }
  int64_t capacity() const { return capacity_; }
  KvStats stats() const;

 private:
  int64_t capacity_;
  int32_t page_size_;
  std::vector<int32_t> free_;  // stack of free page ids
  std::unordered_map<SpanId, std::vector<int32_t>> owned_;
  int64_t peak_ = 0;
};

}  // namespace selfens
