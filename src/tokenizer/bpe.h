#pragma once
// The BPE model of a byte-level tokenizer: merges of token-id pairs by rank
// in a flat hash table, applied lowest rank first (leftmost on ties) exactly
// as Hugging Face `tokenizers` does, with a cache of piece -> ids.
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace selfens::tok {

// Open-addressing map (left id, right id) -> (rank, merged id).
class PairMap {
 public:
  struct Entry {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t id = 0;
  };
  void reserve(size_t n);
  void insert(int32_t a, int32_t b, int32_t rank, int32_t id);  // later insert wins
  const Entry* find(int32_t a, int32_t b) const {
    const uint64_t key = pack(a, b);
    for (size_t i = slot(key);; i = (i + 1) & mask_) {
      const Entry& e = table_[i];
      if (e.key == key) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static uint64_t pack(int32_t a, int32_t b) {
    return (uint64_t{static_cast<uint32_t>(a)} << 32) | static_cast<uint32_t>(b);
  }
  size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull) >> shift_; }
  std::vector<Entry> table_{Entry{}};
  size_t mask_ = 0;
  int shift_ = 63;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class BpeModel {
 public:
  // byte_ids[b]: id of the one-byte token (-1 when the vocab lacks it).
  BpeModel(std::vector<int32_t> byte_ids, PairMap merges, int32_t unk_id);
  // Appends the ids of one pre-token piece (raw bytes).
  void encode_piece(std::string_view piece, std::vector<int32_t>* out) const;

 private:
  void merge_small(std::vector<int32_t>* sym) const;
  void merge_large(std::vector<int32_t>* sym) const;

  std::vector<int32_t> byte_ids_;  // (256,) int32
  PairMap merges_;
  int32_t unk_id_ = -1;

  // piece -> (offset, count) into cache_ids_; cleared when it grows too big.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, StringHash,
                             std::equal_to<>> cache_;
  mutable std::vector<int32_t> cache_ids_;
};

}  // namespace selfens::tok
