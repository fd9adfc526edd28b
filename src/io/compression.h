#pragma once
// Internal: decompression of Arrow IPC body buffers (BodyCompression).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace selfens::io {

// Decompresses one buffer of `codec` (arrow::Codec) into exactly
// `expected` bytes. Throws InputError "ORIGIN: problem" when the data is
// corrupt or decompresses to another size.
std::vector<uint8_t> decompress_buffer(int codec, const uint8_t* src, size_t src_size,
                                       size_t expected, const std::string& origin);

}  // namespace selfens::io
