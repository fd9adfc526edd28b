#pragma once
// Internal: bounds-checked reading of a flatbuffer from untrusted bytes.
// Every access checks that it stays inside the buffer and throws InputError
// "ORIGIN: WHAT: problem" otherwise, so no separate verification pass is
// needed. Offsets to tables, vectors and strings only point forward, so a
// buffer cannot describe a cycle.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/check.h"

namespace selfens::io {

struct FbBuffer {
  const uint8_t* data;
  size_t size;
  const std::string* origin;  // for errors
  const char* what;           // e.g. "footer", "record batch 2 metadata"

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(*origin + ": " + what + ": " + problem);
  }
  void need(uint64_t pos, uint64_t len) const {
    if (pos > size || len > size - pos) fail("offset out of bounds");
  }
  template <class T>
  T load(uint64_t pos) const {
    need(pos, sizeof(T));
    T v;
    std::memcpy(&v, data + pos, sizeof(T));
    return v;
  }
  // Follows the uoffset stored at `pos`.
  uint64_t deref(uint64_t pos) const { return pos + load<uint32_t>(pos); }
};

// A vector: `count` elements starting at `pos` (after the length word).
struct FbVector {
  uint64_t pos = 0;
  uint32_t count = 0;
};

class FbTable {
 public:
  FbTable(const FbBuffer& buf, uint64_t pos) : buf_(&buf), pos_(pos) {
    int32_t soff = buf.load<int32_t>(pos);
    int64_t vt = static_cast<int64_t>(pos) - soff;
    if (vt < 0) buf.fail("bad vtable offset");
    vtable_ = static_cast<uint64_t>(vt);
    vt_size_ = buf.load<uint16_t>(vtable_);
    table_size_ = buf.load<uint16_t>(vtable_ + 2);
    if (vt_size_ < 4 || vt_size_ % 2 != 0) buf.fail("bad vtable size");
    buf.need(vtable_, vt_size_);
    buf.need(pos_, table_size_);
  }
  static FbTable root(const FbBuffer& buf) { return FbTable(buf, buf.deref(0)); }

  bool has(int id) const { return field_pos(id, 1) != 0; }

  template <class T>
  T scalar(int id, T def) const {
    uint64_t p = field_pos(id, sizeof(T));
    return p == 0 ? def : buf_->load<T>(p);
  }
  // A sub-table; `present` false when absent.
  FbTable table(int id, bool* present) const {
    uint64_t p = field_pos(id, 4);
    *present = p != 0;
    return p == 0 ? *this : FbTable(*buf_, buf_->deref(p));
  }
  std::string_view string(int id) const {
    uint64_t p = field_pos(id, 4);
    return p == 0 ? std::string_view() : string_at(buf_->deref(p));
  }
  // Vector of `elem_size`-byte elements (4 for tables/strings).
  FbVector vector(int id, size_t elem_size) const {
    uint64_t p = field_pos(id, 4);
    if (p == 0) return {};
    uint64_t v = buf_->deref(p);
    uint32_t n = buf_->load<uint32_t>(v);
    buf_->need(v + 4, uint64_t{n} * elem_size);
    return {v + 4, n};
  }
  FbTable table_at(const FbVector& v, uint32_t i) const {
    return FbTable(*buf_, buf_->deref(v.pos + 4ull * i));
  }
  std::string_view string_at_index(const FbVector& v, uint32_t i) const {
    return string_at(buf_->deref(v.pos + 4ull * i));
  }
  template <class T>  // a struct element of a vector of structs
  T struct_at(const FbVector& v, uint32_t i) const {
    return buf_->load<T>(v.pos + sizeof(T) * uint64_t{i});
  }
  const FbBuffer& buffer() const { return *buf_; }

 private:
  // Position of field `id` (0 when absent); checks it lies in the table.
  uint64_t field_pos(int id, size_t len) const {
    uint64_t slot = 4 + 2 * static_cast<uint64_t>(id);
    if (slot + 2 > vt_size_) return 0;
    uint16_t off = buf_->load<uint16_t>(vtable_ + slot);
    if (off == 0) return 0;
    if (off + len > table_size_) buf_->fail("field outside its table");
    return pos_ + off;
  }
  std::string_view string_at(uint64_t p) const {
    uint32_t n = buf_->load<uint32_t>(p);
    buf_->need(p + 4, n);
    return {reinterpret_cast<const char*>(buf_->data + p + 4), n};
  }

  const FbBuffer* buf_;
  uint64_t pos_;
  uint64_t vtable_ = 0;
  uint16_t vt_size_ = 0;
  uint16_t table_size_ = 0;
};

}  // namespace selfens::io
