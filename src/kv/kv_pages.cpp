#include "kv/kv_pages.h"

#include <algorithm>

namespace selfens {

KvPages::KvPages(int64_t capacity_pages, int32_t page_size)
    : capacity_(capacity_pages), page_size_(page_size) {
  SELFENS_REQUIRE(capacity_pages >= 0 && capacity_pages < (int64_t(1) << 31),
                  "kv: page capacity must be in [0, 2^31), got " +
                      std::to_string(capacity_pages));
  SELFENS_REQUIRE(page_size > 0, "kv: page size must be > 0, got " +
                                     std::to_string(page_size));
  free_.resize(size_t(capacity_pages));
  // Low page ids are handed out first (pop from the back).
  for (int64_t i = 0; i < capacity_pages; ++i)
    free_[size_t(i)] = int32_t(capacity_pages - 1 - i);
}

void KvPages::reserve(std::span<const std::pair<SpanId, int32_t>> requests) {
  // Several requests may name one span: keep the largest.
  std::unordered_map<SpanId, int32_t> want;
  for (const auto& [span, n] : requests) {
    SELFENS_CHECK(n >= 0, "negative token count");
    want[span] = std::max(want[span], n);
  }
  int64_t needed = 0;
  for (const auto& [span, n] : want) {
    const int64_t have = int64_t(pages(span).size());
    const int64_t need = (int64_t(n) + page_size_ - 1) / page_size_;
    needed += std::max<int64_t>(0, need - have);
  }
  if (needed > int64_t(free_.size())) {
    throw KvCapacityError(
        "kv: out of KV cache pages: need " + std::to_string(needed) +
        " more page(s) of " + std::to_string(page_size_) + " tokens, " +
        std::to_string(free_.size()) + " free of " + std::to_string(capacity_) +
        " (raise the KV capacity or lower the batch size)");
  }
  for (const auto& [span, n] : want) {
    std::vector<int32_t>& list = owned_[span];
    const size_t need = (size_t(n) + page_size_ - 1) / page_size_;
    while (list.size() < need) {
      list.push_back(free_.back());
      free_.pop_back();
    }
  }
  peak_ = std::max(peak_, capacity_ - int64_t(free_.size()));
}

void KvPages::reserve(SpanId span, int32_t n_tokens) {
  const std::pair<SpanId, int32_t> one{span, n_tokens};
  reserve(std::span(&one, 1));
}

void KvPages::free_span(SpanId span) {
  auto it = owned_.find(span);
  if (it == owned_.end()) return;
  // Push in reverse so the span's first page is reused first.
  for (auto p = it->second.rbegin(); p != it->second.rend(); ++p) free_.push_back(*p);
  owned_.erase(it);
}

const std::vector<int32_t>& KvPages::pages(SpanId span) const {
  static const std::vector<int32_t> kNone;
  auto it = owned_.find(span);
  return it == owned_.end() ? kNone : it->second;
}

KvSlot KvPages::slot(SpanId span, int32_t index) const {
  const std::vector<int32_t>& list = pages(span);
  const size_t page = size_t(index) / size_t(page_size_);
  SELFENS_CHECK(index >= 0 && page < list.size(), "kv slot outside reserved pages");
  return {list[page], int32_t(index % page_size_)};
}

KvStats KvPages::stats() const {
  KvStats s;
  s.capacity_pages = capacity_;
  s.used_pages = capacity_ - int64_t(free_.size());
  s.peak_pages = peak_;
  s.page_size = page_size_;
  return s;
}

}  // namespace selfens
