#pragma once
// Internal: the parts of the Arrow columnar format specification
// (Schema.fbs, Message.fbs, File.fbs) that the Feather reader and writer use.
// Field ids are flatbuffer field indices; the vtable slot is 4 + 2 * id.
#include <cstdint>

namespace selfens::io::arrow {

inline constexpr char kMagic[] = "ARROW1";  // 6 bytes at both ends of a file
inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;
inline constexpr int16_t kMetadataV5 = 4;  // MetadataVersion.V5

// union Type (Schema.fbs): the value of Field.type_type.
enum TypeId : uint8_t {
  kNone = 0, kNull = 1, kInt = 2, kFloatingPoint = 3, kBinary = 4, kUtf8 = 5,
  kBool = 6, kDecimal = 7, kDate = 8, kTime = 9, kTimestamp = 10,
  kInterval = 11, kList = 12, kStruct = 13, kUnion = 14,
  kFixedSizeBinary = 15, kFixedSizeList = 16, kMap = 17, kDuration = 18,
  kLargeBinary = 19, kLargeUtf8 = 20, kLargeList = 21, kRunEndEncoded = 22,
  kBinaryView = 23, kUtf8View = 24, kListView = 25, kLargeListView = 26,
};

// union MessageHeader (Message.fbs).
enum HeaderId : uint8_t { kHeaderSchema = 1, kHeaderDictionaryBatch = 2, kHeaderRecordBatch = 3 };

// enum CompressionType : byte.
enum Codec : int8_t { kLz4Frame = 0, kZstd = 1 };

// enum Precision : short (FloatingPoint).
enum Precision : int16_t { kHalf = 0, kSingle = 1, kDouble = 2 };

// Table field ids.
namespace field {
inline constexpr int kFooterVersion = 0, kFooterSchema = 1, kFooterDictionaries = 2,
                     kFooterRecordBatches = 3;
inline constexpr int kSchemaEndianness = 0, kSchemaFields = 1, kSchemaMetadata = 2;
inline constexpr int kFieldName = 0, kFieldNullable = 1, kFieldTypeType = 2, kFieldType = 3,
                     kFieldDictionary = 4, kFieldChildren = 5;
inline constexpr int kKeyValueKey = 0, kKeyValueValue = 1;
inline constexpr int kIntBitWidth = 0, kIntSigned = 1;
inline constexpr int kFloatPrecision = 0;
inline constexpr int kMessageVersion = 0, kMessageHeaderType = 1, kMessageHeader = 2,
                     kMessageBodyLength = 3;
inline constexpr int kBatchLength = 0, kBatchNodes = 1, kBatchBuffers = 2,
                     kBatchCompression = 3;
inline constexpr int kCompressionCodec = 0, kCompressionMethod = 1;
}  // namespace field

// Structs, in their little-endian flatbuffer layout.
struct alignas(8) Block {  // File.fbs: where one message lies in the file
  int64_t offset;           // of the message's first byte (continuation marker)
  int32_t metadata_length;  // prefix + flatbuffer + padding, multiple of 8
  int32_t pad;
  int64_t body_length;
};
static_assert(sizeof(Block) == 24);

struct alignas(8) FieldNode {  // Message.fbs: one array of a record batch
  int64_t length;
  int64_t null_count;
};
static_assert(sizeof(FieldNode) == 16);

struct alignas(8) BufferSpec {  // Message.fbs "Buffer": relative to the body
  int64_t offset;
  int64_t length;
};
static_assert(sizeof(BufferSpec) == 16);

}  // namespace selfens::io::arrow
