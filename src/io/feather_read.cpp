// Feather v2 reader: footer, schema, record batch messages, body buffers.
// Every position read from the file is checked against the file's bounds.
#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <variant>

#include "io/arrow_format.h"
#include "io/arrow_reader.h"
#include "io/compression.h"
#include "io/flatbuf_view.h"
#include "util/check.h"

namespace selfens::io {
namespace {

using detail::ArrayData;
using detail::Bytes;
using detail::FieldInfo;

constexpr int kMaxFieldDepth = 32;
constexpr int64_t kMaxRows = int64_t{1} << 40;

[[noreturn]] void fail(const std::string& origin, const std::string& problem) {
  throw InputError(origin + ": " + problem);
}

FieldInfo parse_field(const FbTable& t, int depth, const std::string& origin) {
  if (depth > kMaxFieldDepth) fail(origin, "schema nests deeper than " + std::to_string(kMaxFieldDepth));
  FieldInfo f;
  f.name = std::string(t.string(arrow::field::kFieldName));
  f.type = t.scalar<uint8_t>(arrow::field::kFieldTypeType, 0);
  bool has_type = false;
  FbTable type = t.table(arrow::field::kFieldType, &has_type);
  if (has_type && f.type == arrow::kInt) {
    f.bit_width = type.scalar<int32_t>(arrow::field::kIntBitWidth, 0);
    f.is_signed = type.scalar<uint8_t>(arrow::field::kIntSigned, 0) != 0;
  } else if (has_type && f.type == arrow::kFloatingPoint) {
    f.precision = type.scalar<int16_t>(arrow::field::kFloatPrecision, 0);
  }
  f.dictionary = t.has(arrow::field::kFieldDictionary);
  FbVector kids = t.vector(arrow::field::kFieldChildren, 4);
  for (uint32_t i = 0; i < kids.count; ++i)
    f.children.push_back(parse_field(t.table_at(kids, i), depth + 1, origin));
  return f;
}

struct Schema {
  std::vector<FieldInfo> fields;
  Metadata metadata;
};

Schema parse_schema(const FbTable& t, const std::string& origin) {
  SELFENS_REQUIRE(t.scalar<int16_t>(arrow::field::kSchemaEndianness, 0) == 0,
                  origin + ": big-endian Arrow files are not supported");
  Schema s;
  FbVector fields = t.vector(arrow::field::kSchemaFields, 4);
  for (uint32_t i = 0; i < fields.count; ++i)
    s.fields.push_back(parse_field(t.table_at(fields, i), 0, origin));
  FbVector kvs = t.vector(arrow::field::kSchemaMetadata, 4);
  for (uint32_t i = 0; i < kvs.count; ++i) {
    FbTable kv = t.table_at(kvs, i);
    s.metadata.emplace_back(std::string(kv.string(arrow::field::kKeyValueKey)),
                            std::string(kv.string(arrow::field::kKeyValueValue)));
  }
  return s;
}

// Buffers per array of each type (Arrow columnar format, "Buffer Layout"),
// or -1 for the types this reader cannot even step over.
int buffer_count(const FieldInfo& f) {
  if (f.dictionary) return 2;  // the indices
  switch (f.type) {
    case arrow::kNull:
    case arrow::kRunEndEncoded: return 0;
    case arrow::kStruct:
    case arrow::kFixedSizeList: return 1;
    case arrow::kInt: case arrow::kFloatingPoint: case arrow::kBool: case arrow::kDecimal:
    case arrow::kDate: case arrow::kTime: case arrow::kTimestamp: case arrow::kInterval:
    case arrow::kDuration: case arrow::kFixedSizeBinary:
    case arrow::kList: case arrow::kLargeList: case arrow::kMap: return 2;
    case arrow::kBinary: case arrow::kUtf8: case arrow::kLargeBinary:
    case arrow::kLargeUtf8: return 3;
    default: return -1;  // union, views
  }
}

bool has_child_arrays(const FieldInfo& f) {
  if (f.dictionary) return false;
  switch (f.type) {
    case arrow::kList: case arrow::kLargeList: case arrow::kFixedSizeList:
    case arrow::kMap: case arrow::kStruct: case arrow::kRunEndEncoded: return true;
    default: return false;
  }
}

// Splits one record batch body into arrays, decompressing when needed.
class BatchReader {
 public:
  BatchReader(const FbTable& batch, Bytes body, const std::string& origin, uint64_t* budget)
      : origin_(origin), body_(body), budget_(budget) {
    nodes_ = batch.vector(arrow::field::kBatchNodes, sizeof(arrow::FieldNode));
    buffers_ = batch.vector(arrow::field::kBatchBuffers, sizeof(arrow::BufferSpec));
    bool compressed = false;
    FbTable comp = batch.table(arrow::field::kBatchCompression, &compressed);
    if (compressed) {
      codec_ = comp.scalar<int8_t>(arrow::field::kCompressionCodec, 0);
      SELFENS_REQUIRE(comp.scalar<int8_t>(arrow::field::kCompressionMethod, 0) == 0,
                      origin + ": unknown body compression method");
    }
    batch_ = &batch;
  }

  ArrayData read(const FieldInfo& f) {
    SELFENS_REQUIRE(next_node_ < nodes_.count,
                    origin_ + ": record batch has fewer field nodes than the schema needs");
    auto node = batch_->struct_at<arrow::FieldNode>(nodes_, next_node_++);
    SELFENS_REQUIRE(node.length >= 0 && node.length <= kMaxRows && node.null_count >= 0 &&
                        node.null_count <= node.length,
                    origin_ + ": column '" + f.name + "': bad field node length or null count");
    int n = buffer_count(f);
    SELFENS_REQUIRE(n >= 0, origin_ + ": column '" + f.name + "' has unsupported Arrow type " +
                                detail::arrow_type_name(f));
    ArrayData a{&f, node.length, node.null_count, {}, {}};
    for (int i = 0; i < n; ++i) a.buffers.push_back(next_buffer());
    if (has_child_arrays(f))
      for (const FieldInfo& c : f.children) a.children.push_back(read(c));
    return a;
  }

 private:
  Bytes next_buffer() {
    SELFENS_REQUIRE(next_buffer_ < buffers_.count,
                    origin_ + ": record batch has fewer buffers than the schema needs");
    auto spec = batch_->struct_at<arrow::BufferSpec>(buffers_, next_buffer_++);
    SELFENS_REQUIRE(spec.offset >= 0 && spec.length >= 0 &&
                        static_cast<uint64_t>(spec.offset) <= body_.size &&
                        static_cast<uint64_t>(spec.length) <= body_.size - spec.offset,
                    origin_ + ": buffer " + std::to_string(next_buffer_ - 1) +
                        " lies outside the record batch body");
    Bytes b{body_.data + spec.offset, static_cast<size_t>(spec.length)};
    return codec_ < 0 ? b : decompress(b);
  }

  // A compressed buffer: int64 uncompressed length (-1: stored raw), data.
  Bytes decompress(Bytes b) {
    if (b.size == 0) return b;
    SELFENS_REQUIRE(b.size >= 8, origin_ + ": compressed buffer shorter than its length prefix");
    int64_t n;
    std::memcpy(&n, b.data, 8);
    if (n == -1) return {b.data + 8, b.size - 8};
    SELFENS_REQUIRE(n >= 0 && static_cast<uint64_t>(n) <= *budget_,
                    origin_ + ": compressed buffer claims an implausible size " + std::to_string(n));
    *budget_ -= static_cast<uint64_t>(n);
    storage_.push_back(decompress_buffer(codec_, b.data + 8, b.size - 8, static_cast<size_t>(n), origin_));
    return {storage_.back().data(), storage_.back().size()};
  }

  const std::string& origin_;
  Bytes body_;
  uint64_t* budget_;  // bytes that decompression may still allocate
  const FbTable* batch_ = nullptr;
  FbVector nodes_, buffers_;
  uint32_t next_node_ = 0, next_buffer_ = 0;
  int codec_ = -1;
  std::deque<std::vector<uint8_t>> storage_;  // decompressed buffers
};

template <class V>
void append(V& dst, V&& src) {
  if (dst.empty()) {
    dst = std::move(src);
  } else {
    dst.insert(dst.end(), std::make_move_iterator(src.begin()), std::make_move_iterator(src.end()));
  }
}

void append_column(ColumnData& dst, ColumnData&& src) {
  std::visit([&](auto& d) { append(d, std::move(std::get<std::decay_t<decltype(d)>>(src))); }, dst);
}

ColumnData empty_column(ColumnType t) {
  switch (t) {
    case ColumnType::kUtf8: return Strings{};
    case ColumnType::kInt64: return std::vector<int64_t>{};
    case ColumnType::kFloat64: return std::vector<double>{};
    case ColumnType::kBool: return std::vector<bool>{};
    case ColumnType::kListUtf8: return std::vector<Strings>{};
    case ColumnType::kListListUtf8: return std::vector<std::vector<Strings>>{};
    case ColumnType::kListInt64: return std::vector<std::vector<int64_t>>{};
    case ColumnType::kListFloat64: return std::vector<std::vector<double>>{};
  }
  SELFENS_CHECK(false, "unknown column type");
}

struct FileReader {
  const uint8_t* data;
  size_t size;
  const std::string& origin;
  uint64_t data_end = 0;  // start of the footer
  uint64_t budget = 0;

  void check_frame() {
    SELFENS_REQUIRE(!(size >= 4 && std::memcmp(data, "FEA1", 4) == 0),
                    origin + ": Feather v1 file is not supported; re-save it with pandas >= 1.0");
    SELFENS_REQUIRE(size >= 8 + 10 && std::memcmp(data, arrow::kMagic, 6) == 0,
                    origin + ": not a Feather v2 / Arrow IPC file (no ARROW1 magic at the start)");
    SELFENS_REQUIRE(std::memcmp(data + size - 6, arrow::kMagic, 6) == 0,
                    origin + ": truncated Arrow file (no ARROW1 magic at the end)");
    int32_t footer_len;
    std::memcpy(&footer_len, data + size - 10, 4);
    SELFENS_REQUIRE(footer_len > 0 && static_cast<uint64_t>(footer_len) <= size - 18,
                    origin + ": bad footer length " + std::to_string(footer_len));
    data_end = size - 10 - static_cast<uint64_t>(footer_len);
  }

  Table read() {
    check_frame();
    budget = std::max<uint64_t>(uint64_t{64} << 20, uint64_t{4096} * size);
    FbBuffer fb{data + data_end, size - 10 - data_end, &origin, "footer"};
    FbTable footer = FbTable::root(fb);
    bool has_schema = false;
    FbTable schema_t = footer.table(arrow::field::kFooterSchema, &has_schema);
    SELFENS_REQUIRE(has_schema, origin + ": footer has no schema");
    Schema schema = parse_schema(schema_t, origin);

    Table table(origin);
    table.metadata = std::move(schema.metadata);
    std::vector<std::optional<ColumnType>> types;
    std::vector<ColumnData> cols;
    for (const FieldInfo& f : schema.fields) {
      types.push_back(detail::column_type_of(f, origin));
      cols.push_back(empty_column(types.back().value_or(ColumnType::kUtf8)));
    }
    FbVector blocks = footer.vector(arrow::field::kFooterRecordBatches, sizeof(arrow::Block));
    std::vector<size_t> nulls(schema.fields.size(), 0);
    for (uint32_t i = 0; i < blocks.count; ++i)
      read_batch(footer.struct_at<arrow::Block>(blocks, i), i, schema, types, cols, nulls);
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      const std::string& name = schema.fields[i].name;
      SELFENS_REQUIRE(!table.has(name), origin + ": duplicate column '" + name + "'");
      if (types[i]) {
        table.set(name, std::move(cols[i]));
        if (nulls[i] > 0) table.add_null_count(name, nulls[i]);
      } else {
        table.add_skipped({name, detail::arrow_type_name(schema.fields[i])});
      }
    }
    return table;
  }

  void read_batch(const arrow::Block& b, uint32_t index, const Schema& schema,
                  const std::vector<std::optional<ColumnType>>& types, std::vector<ColumnData>& cols,
                  std::vector<size_t>& nulls) {
    std::string where = "record batch " + std::to_string(index);
    SELFENS_REQUIRE(b.offset >= 8 && b.metadata_length >= 8 && b.body_length >= 0 &&
                        static_cast<uint64_t>(b.offset) <= data_end &&
                        static_cast<uint64_t>(b.metadata_length) <= data_end - b.offset &&
                        static_cast<uint64_t>(b.body_length) <=
                            data_end - b.offset - b.metadata_length,
                    origin + ": " + where + " block lies outside the file");
    uint64_t meta_start = static_cast<uint64_t>(b.offset) + 4;
    uint32_t len;
    std::memcpy(&len, data + b.offset, 4);
    if (len == arrow::kContinuation) {
      std::memcpy(&len, data + b.offset + 4, 4);
      meta_start += 4;
    }
    uint64_t meta_end = static_cast<uint64_t>(b.offset) + b.metadata_length;
    SELFENS_REQUIRE(len <= meta_end - meta_start,
                    origin + ": " + where + " metadata is longer than its block");
    std::string what = where + " metadata";
    FbBuffer fb{data + meta_start, len, &origin, what.c_str()};
    FbTable msg = FbTable::root(fb);
    SELFENS_REQUIRE(msg.scalar<uint8_t>(arrow::field::kMessageHeaderType, 0) == arrow::kHeaderRecordBatch,
                    origin + ": " + where + " is not a record batch message");
    bool has_header = false;
    FbTable batch = msg.table(arrow::field::kMessageHeader, &has_header);
    SELFENS_REQUIRE(has_header, origin + ": " + where + " has no header");
    int64_t rows = batch.scalar<int64_t>(arrow::field::kBatchLength, 0);
    Bytes body{data + meta_end, static_cast<size_t>(b.body_length)};
    BatchReader reader(batch, body, origin, &budget);
    for (size_t i = 0; i < schema.fields.size(); ++i) {
      ArrayData a = reader.read(schema.fields[i]);
      SELFENS_REQUIRE(a.length == rows, origin + ": " + where + ": column '" +
                                            schema.fields[i].name + "' has " +
                                            std::to_string(a.length) + " rows, the batch " +
                                            std::to_string(rows));
      if (types[i]) append_column(cols[i], detail::decode_column(a, *types[i], origin));
      nulls[i] += static_cast<size_t>(a.null_count);
    }
  }
};

}  // namespace

Table read_feather_bytes(const uint8_t* data, size_t size, const std::string& origin) {
  FileReader reader{data, size, origin};
  return reader.read();
}

Table read_feather(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  SELFENS_REQUIRE(in.good(), path.string() + ": cannot open");
  std::streamoff size = in.tellg();
  SELFENS_REQUIRE(size >= 0, path.string() + ": cannot read");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  SELFENS_REQUIRE(in.good() || size == 0, path.string() + ": read error");
  return read_feather_bytes(bytes.data(), bytes.size(), path.string());
}

}  // namespace selfens::io
