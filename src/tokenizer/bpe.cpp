#include "tokenizer/bpe.h"

#include <climits>
#include <queue>

namespace selfens::tok {

void PairMap::reserve(size_t n) {
  size_t cap = 16;
  int bits = 4;
  while (cap < 2 * n) {
    cap *= 2;
    ++bits;
  }
  table_.assign(cap, Entry{});
  mask_ = cap - 1;
  shift_ = 64 - bits;
}

void PairMap::insert(int32_t a, int32_t b, int32_t rank, int32_t id) {
  const uint64_t key = pack(a, b);
  for (size_t i = slot(key);; i = (i + 1) & mask_) {
    Entry& e = table_[i];
    if (e.key == key || e.key == kEmpty) {
      e = {key, rank, id};
      return;
    }
  }
}

BpeModel::BpeModel(std::vector<int32_t> byte_ids, PairMap merges, int32_t unk_id)
    : byte_ids_(std::move(byte_ids)), merges_(std::move(merges)), unk_id_(unk_id) {}

namespace {
constexpr size_t kSmallWord = 48;        // above this the heap merge is used
constexpr size_t kMaxCachedPiece = 256;  // bytes
constexpr size_t kMaxCacheEntries = 1 << 18;
}  // namespace

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>* out) const {
  if (piece.size() == 1) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(piece[0])];
    if (id >= 0) out->push_back(id);
    else if (unk_id_ >= 0) out->push_back(unk_id_);
    return;
  }
  const bool cacheable = piece.size() <= kMaxCachedPiece;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(piece);
    if (it != cache_.end()) {
      const int32_t* p = cache_ids_.data() + it->second.first;
      out->insert(out->end(), p, p + it->second.second);
      return;
    }
  }
  thread_local std::vector<int32_t> sym;
  sym.clear();
  for (char ch : piece) {
    const int32_t id = byte_ids_[static_cast<uint8_t>(ch)];
    if (id >= 0) sym.push_back(id);
    else if (unk_id_ >= 0) sym.push_back(unk_id_);
  }
  if (sym.size() <= kSmallWord) merge_small(&sym);
  else merge_large(&sym);
  out->insert(out->end(), sym.begin(), sym.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) {
      cache_.clear();
      cache_ids_.clear();
    }
    const auto off = static_cast<uint32_t>(cache_ids_.size());
    cache_ids_.insert(cache_ids_.end(), sym.begin(), sym.end());
    cache_.emplace(std::string(piece), std::make_pair(off, static_cast<uint32_t>(sym.size())));
  }
}

// Short words: rank of every adjacent pair in an array; merge the lowest
// (leftmost on ties) and refresh its two neighbours.
void BpeModel::merge_small(std::vector<int32_t>* sym) const {
  std::vector<int32_t>& s = *sym;
  if (s.size() < 2) return;
  int32_t rank[kSmallWord];    // rank of pair (s[k], s[k+1])
  int32_t merged[kSmallWord];  // its merged id
  auto look = [&](size_t k) {
    const PairMap::Entry* e = merges_.find(s[k], s[k + 1]);
    rank[k] = e ? e->rank : INT_MAX;
    merged[k] = e ? e->id : -1;
  };
  size_t n = s.size();
  for (size_t k = 0; k + 1 < n; ++k) look(k);
  while (n > 1) {
    size_t best = 0;
    for (size_t k = 1; k + 1 < n; ++k) {
      if (rank[k] < rank[best]) best = k;
    }
    if (rank[best] == INT_MAX) break;
    s[best] = merged[best];
    for (size_t k = best + 1; k + 1 < n; ++k) {
      s[k] = s[k + 1];
      rank[k] = rank[k + 1];
      merged[k] = merged[k + 1];
    }
    --n;
    if (best + 1 < n) look(best);
    if (best > 0) look(best - 1);
  }
  s.resize(n);
}

// Long words: a linked list of symbols and a min-heap of (rank, position),
// as `tokenizers` does; stale heap entries are skipped.
void BpeModel::merge_large(std::vector<int32_t>* sym) const {
  std::vector<int32_t>& s = *sym;
  const size_t n = s.size();
  std::vector<int32_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (size_t k = 0; k < n; ++k) {
    prev[k] = static_cast<int32_t>(k) - 1;
    next[k] = k + 1 < n ? static_cast<int32_t>(k + 1) : -1;
  }
  struct Item {
    int32_t rank, pos, id;
    bool operator>(const Item& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
  auto push = [&](int32_t pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (const PairMap::Entry* e = merges_.find(s[pos], s[next[pos]]))
      heap.push({e->rank, pos, e->id});
  };
  for (size_t k = 0; k + 1 < n; ++k) push(static_cast<int32_t>(k));
  while (!heap.empty()) {
    const Item top = heap.top();
    heap.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int32_t right = next[top.pos];
    const PairMap::Entry* e = merges_.find(s[top.pos], s[right]);
    if (!e || e->id != top.id) continue;  // the pair changed since it was pushed
    s[top.pos] = top.id;
    alive[right] = 0;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    push(prev[top.pos]);
    push(top.pos);
  }
  size_t w = 0;
  for (size_t k = 0; k < n; ++k) {
    if (alive[k]) s[w++] = s[k];
  }
  s.resize(w);
}

}  // namespace selfens::tok
