#include "io/compression.h"

#include <lz4frame.h>
#include <zstd.h>

#include "io/arrow_format.h"
#include "util/check.h"

namespace selfens::io {
namespace {

void lz4_frame(const uint8_t* src, size_t n, std::vector<uint8_t>& out, const std::string& origin) {
  LZ4F_dctx* ctx = nullptr;
  SELFENS_CHECK(!LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)),
                "LZ4F_createDecompressionContext failed");
  size_t written = 0, read = 0;
  size_t ret = 1;
  // A buffer may hold several concatenated frames; stop when input or output ends.
  while (read < n && written < out.size()) {
    size_t dst_size = out.size() - written, src_size = n - read;
    ret = LZ4F_decompress(ctx, out.data() + written, &dst_size, src + read, &src_size, nullptr);
    if (LZ4F_isError(ret)) break;
    written += dst_size;
    read += src_size;
    if (dst_size == 0 && src_size == 0) break;  // no progress
  }
  LZ4F_freeDecompressionContext(ctx);
  SELFENS_REQUIRE(!LZ4F_isError(ret),
                  origin + ": corrupt LZ4 buffer: " + LZ4F_getErrorName(ret));
  SELFENS_REQUIRE(written == out.size(), origin + ": LZ4 buffer decompresses to " +
                                             std::to_string(written) + " bytes, expected " +
                                             std::to_string(out.size()));
}

void zstd(const uint8_t* src, size_t n, std::vector<uint8_t>& out, const std::string& origin) {
  size_t ret = ZSTD_decompress(out.data(), out.size(), src, n);
  SELFENS_REQUIRE(!ZSTD_isError(ret), origin + ": corrupt ZSTD buffer: " + ZSTD_getErrorName(ret));
  SELFENS_REQUIRE(ret == out.size(), origin + ": ZSTD buffer decompresses to " +
                                         std::to_string(ret) + " bytes, expected " +
                                         std::to_string(out.size()));
}

}  // namespace

std::vector<uint8_t> decompress_buffer(int codec, const uint8_t* src, size_t src_size,
                                       size_t expected, const std::string& origin) {
  std::vector<uint8_t> out(expected);
  if (expected == 0) return out;
  if (codec == arrow::kLz4Frame) {
    lz4_frame(src, src_size, out, origin);
  } else if (codec == arrow::kZstd) {
    zstd(src, src_size, out, origin);
  } else {
    throw InputError(origin + ": compressed Feather (codec " + std::to_string(codec) +
                     ") is not supported; re-save with compression='uncompressed'");
  }
  return out;
}

}  // namespace selfens::io
