#pragma once
// A minimal PNG encoder for the mask pictures: 8-bit RGB, no interlace,
// filter 0, the zlib stream made of stored (uncompressed) deflate blocks.
// No dependency beyond the standard library; any PNG reader opens it.
#include <cstdint>
#include <string>
#include <vector>

namespace selfens::report {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // [height, width, 3] RGB, row-major

  RgbImage(int w, int h, uint8_t r = 255, uint8_t g = 255, uint8_t b = 255);
  void set(int x, int y, uint32_t rgb);  // 0xRRGGBB; outside the image: ignored
  void fill_rect(int x, int y, int w, int h, uint32_t rgb);
};

// The PNG file bytes of `image`.
std::string encode_png(const RgbImage& image);

// Draws `text` (characters 0-9, A-Z, '+', '-', '=' ; others blank) with a
// 3x5 pixel font, each font pixel `scale` x `scale`, top-left at (x, y).
void draw_text(RgbImage& image, int x, int y, const std::string& text, uint32_t rgb,
               int scale = 2);
int text_width(const std::string& text, int scale = 2);  // pixels

}  // namespace selfens::report
