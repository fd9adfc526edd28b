#include "report/png.h"

#include <array>
#include <cctype>

#include "util/check.h"

namespace selfens::report {

namespace {

uint32_t crc32(const std::string& bytes, size_t from) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = from; i < bytes.size(); ++i)
    c = table[(c ^ uint8_t(bytes[i])) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t adler32(const std::string& bytes) {
  uint32_t a = 1, b = 0;
  for (unsigned char ch : bytes) {
    a = (a + ch) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += char((v >> s) & 0xFF);
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, uint32_t(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out += data;
  put_be32(out, crc32(out, start));
}

// zlib stream of stored deflate blocks (each at most 65535 bytes).
std::string zlib_stored(const std::string& raw) {
  std::string z = "\x78\x01";
  size_t at = 0;
  do {
    const size_t len = std::min<size_t>(65535, raw.size() - at);
    const bool last = at + len == raw.size();
    z += char(last ? 1 : 0);
    z += char(len & 0xFF);
    z += char(len >> 8);
    z += char(~len & 0xFF);
    z += char((~len >> 8) & 0xFF);
    z.append(raw, at, len);
    at += len;
  } while (at < raw.size());
  put_be32(z, adler32(raw));
  return z;
}

// 3x5 glyphs, one row per 3-bit value (bit 2 = left column).
const std::array<uint8_t, 5>* glyph(char c) {
  static const std::array<std::array<uint8_t, 5>, 10> digits = {{
      {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
      {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
  }};
  static const std::array<std::array<uint8_t, 5>, 26> letters = {{
      {2, 5, 7, 5, 5}, {6, 5, 6, 5, 6}, {3, 4, 4, 4, 3}, {6, 5, 5, 5, 6}, {7, 4, 6, 4, 7},
      {7, 4, 6, 4, 4}, {3, 4, 5, 5, 3}, {5, 5, 7, 5, 5}, {7, 2, 2, 2, 7}, {1, 1, 1, 5, 2},
      {5, 5, 6, 5, 5}, {4, 4, 4, 4, 7}, {5, 7, 7, 5, 5}, {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2},
      {6, 5, 6, 4, 4}, {2, 5, 5, 6, 3}, {6, 5, 6, 5, 5}, {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2},
      {5, 5, 5, 5, 7}, {5, 5, 5, 5, 2}, {5, 5, 7, 7, 5}, {5, 5, 2, 5, 5}, {5, 5, 2, 2, 2},
      {7, 1, 2, 4, 7},
  }};
  static const std::array<uint8_t, 5> plus = {0, 2, 7, 2, 0}, minus = {0, 0, 7, 0, 0},
                                      equals = {0, 7, 0, 7, 0};
  const char u = char(std::toupper(static_cast<unsigned char>(c)));
  if (u >= '0' && u <= '9') return &digits[u - '0'];
  if (u >= 'A' && u <= 'Z') return &letters[u - 'A'];
  if (u == '+') return &plus;
  if (u == '-') return &minus;
  if (u == '=') return &equals;
  return nullptr;
}

}  // namespace

RgbImage::RgbImage(int w, int h, uint8_t r, uint8_t g, uint8_t b) : width(w), height(h) {
  SELFENS_REQUIRE(w > 0 && h > 0 && size_t(w) * h <= (size_t(1) << 28),
                  "png: image size " + std::to_string(w) + "x" + std::to_string(h) +
                      " out of range");
  pixels.resize(size_t(w) * h * 3);
  for (size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = r;
    pixels[i + 1] = g;
    pixels[i + 2] = b;
  }
}

void RgbImage::set(int x, int y, uint32_t rgb) {
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  uint8_t* p = &pixels[(size_t(y) * width + x) * 3];
  p[0] = uint8_t(rgb >> 16);
  p[1] = uint8_t(rgb >> 8);
  p[2] = uint8_t(rgb);
}

void RgbImage::fill_rect(int x, int y, int w, int h, uint32_t rgb) {
  for (int yy = y; yy < y + h; ++yy)
    for (int xx = x; xx < x + w; ++xx) set(xx, yy, rgb);
}

std::string encode_png(const RgbImage& image) {
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, uint32_t(image.width));
  put_be32(ihdr, uint32_t(image.height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, filter 0, no interlace
  put_chunk(out, "IHDR", ihdr);
  std::string raw;
  const size_t row = size_t(image.width) * 3;
  raw.reserve((row + 1) * image.height);
  for (int y = 0; y < image.height; ++y) {
    raw += '\0';  // filter type None
    raw.append(reinterpret_cast<const char*>(&image.pixels[y * row]), row);
  }
  put_chunk(out, "IDAT", zlib_stored(raw));
  put_chunk(out, "IEND", "");
  return out;
}

void draw_text(RgbImage& image, int x, int y, const std::string& text, uint32_t rgb,
               int scale) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto* g = glyph(text[i]);
    if (!g) continue;
    const int gx = x + int(i) * 4 * scale;
    for (int r = 0; r < 5; ++r)
      for (int c = 0; c < 3; ++c)
        if ((*g)[r] & (4 >> c)) image.fill_rect(gx + c * scale, y + r * scale, scale, scale, rgb);
  }
}

int text_width(const std::string& text, int scale) {
  return text.empty() ? 0 : int(text.size()) * 4 * scale - scale;
}

}  // namespace selfens::report
