// build_tokenizer(): the byte-level BPE tokenizer behind Tokenizer, made
// from a TokenizerSpec. Encoding: added tokens are split out of the raw text
// first (leftmost, longest), the rest is normalized (NFC where the family
// asks), pre-tokenized and BPE-merged piece by piece.
#include <algorithm>
#include <array>
#include <unordered_map>

#include "tokenizer/bpe.h"
#include "tokenizer/tokenizer_spec.h"
#include "tokenizer/unicode_text.h"
#include "util/check.h"

namespace selfens {
namespace {

using tok::PreTokenizer;

// GPT-2's byte <-> printable character table: bytes that are printable
// Latin-1 map to themselves, the rest to U+0100 upwards in byte order.
struct ByteLevel {
  std::array<uint32_t, 256> to_char{};
  std::vector<int16_t> to_byte = std::vector<int16_t>(0x200, -1);  // by code point
  ByteLevel() {
    uint32_t extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_char[b] = printable ? b : 256 + extra++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
    }
  }
};
const ByteLevel& byte_level() {
  static const ByteLevel bl;
  return bl;
}

std::string utf8_of(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// A token string -> its bytes, as the ByteLevel decoder of `tokenizers`
// does: every character through the table, or, when one is not in it, the
// token's own UTF-8.
std::string token_bytes(const std::string& token) {
  const ByteLevel& bl = byte_level();
  std::string out;
  for (size_t i = 0; i < token.size();) {
    uint32_t cp;
    i += tok::utf8_step(token, i, &cp);
    if (cp >= bl.to_byte.size() || bl.to_byte[cp] < 0) return token;
    out += static_cast<char>(bl.to_byte[cp]);
  }
  return out;
}

class BpeTokenizer final : public Tokenizer {
 public:
  explicit BpeTokenizer(TokenizerSpec spec);

  std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::string token_text(int32_t id) const override {
    return id >= 0 && id < vocab_size() ? bytes_[id] : std::string();
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(bytes_.size()); }
  int32_t bos_id() const override { return spec_.bos_id; }
  std::vector<int32_t> eos_ids() const override { return spec_.eos_ids; }
  bool is_special(int32_t id) const override {
    return id >= 0 && id < vocab_size() && special_[id];
  }

 private:
  void encode_text(std::string_view text, std::vector<int32_t>* out) const;
  size_t match_added(std::string_view text, size_t i) const;  // index into added, or npos

  TokenizerSpec spec_;                      // vocab and merges emptied after build
  std::vector<std::string> bytes_;          // decoded bytes by id
  std::vector<char> special_;               // by id
  std::unique_ptr<tok::BpeModel> model_;
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> whole_;  // ignore_merges
  std::array<std::vector<uint32_t>, 256> added_by_byte_;  // added indices, longest first
};

BpeTokenizer::BpeTokenizer(TokenizerSpec spec) : spec_(std::move(spec)) {
  const std::string& src = spec_.source;
  size_t n = spec_.vocab.size();
  for (const AddedToken& a : spec_.added) {
    SELFENS_REQUIRE(a.id >= 0, src + ": added token '" + a.content + "' has a negative id");
    SELFENS_REQUIRE(!a.content.empty(), src + ": added token " + std::to_string(a.id) + " is empty");
    n = std::max(n, static_cast<size_t>(a.id) + 1);
  }
  SELFENS_REQUIRE(n > 0, src + ": empty vocabulary");
  spec_.vocab.resize(n);
  for (const AddedToken& a : spec_.added) {
    if (spec_.vocab[a.id].empty()) spec_.vocab[a.id] = a.content;
  }
  std::unordered_map<std::string, int32_t, tok::StringHash, std::equal_to<>> ids;
  ids.reserve(n);
  bytes_.resize(n);
  special_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (spec_.vocab[i].empty()) continue;
    ids.emplace(spec_.vocab[i], static_cast<int32_t>(i));
    bytes_[i] = token_bytes(spec_.vocab[i]);
  }
  for (const AddedToken& a : spec_.added) special_[a.id] = a.special ? 1 : 0;

  std::vector<int32_t> byte_ids(256, -1);
  for (int b = 0; b < 256; ++b) {
    auto it = ids.find(utf8_of(byte_level().to_char[b]));
    if (it != ids.end()) byte_ids[b] = it->second;
  }
  tok::PairMap merges;
  merges.reserve(spec_.merges.size());
  for (size_t r = 0; r < spec_.merges.size(); ++r) {
    const auto& [a, b] = spec_.merges[r];
    auto ia = ids.find(a), ib = ids.find(b), iab = ids.find(a + b);
    SELFENS_REQUIRE(ia != ids.end() && ib != ids.end() && iab != ids.end(),
                    src + ": merge " + std::to_string(r) + " '" + a + " " + b +
                        "' uses a token that is not in the vocabulary");
    merges.insert(ia->second, ib->second, static_cast<int32_t>(r), iab->second);
  }
  model_ = std::make_unique<tok::BpeModel>(std::move(byte_ids), std::move(merges), spec_.unk_id);
  if (spec_.ignore_merges) {
    for (size_t i = 0; i < n; ++i) {
      if (!spec_.vocab[i].empty()) whole_.emplace(bytes_[i], static_cast<int32_t>(i));
    }
  }
  for (uint32_t k = 0; k < spec_.added.size(); ++k)
    added_by_byte_[static_cast<uint8_t>(spec_.added[k].content[0])].push_back(k);
  for (auto& v : added_by_byte_) {
    std::stable_sort(v.begin(), v.end(), [&](uint32_t x, uint32_t y) {
      return spec_.added[x].content.size() > spec_.added[y].content.size();
    });
  }
  for (int32_t id : spec_.prefix_ids) SELFENS_REQUIRE(id >= 0 && static_cast<size_t>(id) < n,
                                                      src + ": post-processor token id out of range");
  for (int32_t id : spec_.suffix_ids) SELFENS_REQUIRE(id >= 0 && static_cast<size_t>(id) < n,
                                                      src + ": post-processor token id out of range");
  spec_.vocab.clear();
  spec_.vocab.shrink_to_fit();
  spec_.merges.clear();
  spec_.merges.shrink_to_fit();
}

size_t BpeTokenizer::match_added(std::string_view text, size_t i) const {
  for (uint32_t k : added_by_byte_[static_cast<uint8_t>(text[i])]) {
    const std::string& c = spec_.added[k].content;
    if (text.compare(i, c.size(), c) == 0) return k;
  }
  return std::string_view::npos;
}

// Whitespace (Rust char::is_whitespace) before byte `end` / from byte `begin`.
size_t strip_left(std::string_view t, size_t lo, size_t end) {
  while (end > lo) {
    size_t b = end - 1;
    while (b > lo && (static_cast<uint8_t>(t[b]) & 0xC0) == 0x80) --b;
    uint32_t cp;
    tok::utf8_step(t, b, &cp);
    if (!tok::is_unicode_whitespace(cp)) break;
    end = b;
  }
  return end;
}
size_t strip_right(std::string_view t, size_t begin) {
  while (begin < t.size()) {
    uint32_t cp;
    const int len = tok::utf8_step(t, begin, &cp);
    if (!tok::is_unicode_whitespace(cp)) break;
    begin += len;
  }
  return begin;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special) out.insert(out.end(), spec_.prefix_ids.begin(), spec_.prefix_ids.end());
  size_t seg = 0;  // start of the text not yet encoded
  for (size_t i = 0; i < text.size();) {
    const size_t k = added_by_byte_[static_cast<uint8_t>(text[i])].empty()
                         ? std::string_view::npos : match_added(text, i);
    if (k == std::string_view::npos) {
      ++i;
      continue;
    }
    const AddedToken& a = spec_.added[k];
    const size_t begin = a.lstrip ? strip_left(text, seg, i) : i;
    const size_t end = a.rstrip ? strip_right(text, i + a.content.size()) : i + a.content.size();
    encode_text(text.substr(seg, begin - seg), &out);
    out.push_back(a.id);
    seg = i = end;
  }
  encode_text(text.substr(seg), &out);
  if (add_special) out.insert(out.end(), spec_.suffix_ids.begin(), spec_.suffix_ids.end());
  return out;
}

void BpeTokenizer::encode_text(std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  std::string buf;
  if (spec_.nfc) {
    buf = tok::nfc(text);
    text = buf;
  }
  if (spec_.add_prefix_space && text[0] != ' ') {
    std::string spaced(1, ' ');
    spaced.append(text);
    buf.swap(spaced);
    text = buf;
  }
  thread_local std::vector<tok::Piece> pieces;
  pieces.clear();
  tok::pretokenize(spec_.pre, text, &pieces);
  for (const tok::Piece& p : pieces) {
    const std::string_view piece = text.substr(p.begin, p.end - p.begin);
    if (!whole_.empty()) {
      auto it = whole_.find(piece);
      if (it != whole_.end()) {
        out->push_back(it->second);
        continue;
      }
    }
    model_->encode_piece(piece, out);
  }
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string raw;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;  // as `tokenizers`: unknown ids vanish
    if (skip_special && special_[id]) continue;
    raw += bytes_[id];
  }
  return tok::utf8_lossy(raw);
}

}  // namespace

std::unique_ptr<Tokenizer> build_tokenizer(TokenizerSpec spec) {
  return std::make_unique<BpeTokenizer>(std::move(spec));
}

}  // namespace selfens
