// Feather v2 writer: an uncompressed Arrow IPC file, metadata built with the
// flatbuffers builder, buffers padded to 64 bytes.
#include <flatbuffers/flatbuffers.h>

#include <climits>
#include <cstring>
#include <type_traits>

#include "io/arrow_format.h"
#include "io/atomic_file.h"
#include "io/feather.h"
#include "util/check.h"

namespace selfens::io {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;
using flatbuffers::uoffset_t;

constexpr size_t kAlign = 64;  // body buffers start on 64-byte boundaries

constexpr flatbuffers::voffset_t slot(int id) {
  return static_cast<flatbuffers::voffset_t>(4 + 2 * id);
}

// The Arrow type of a column: `depth` list levels around a leaf type.
struct ArrowShape {
  arrow::TypeId leaf;
  int depth;
};

ArrowShape shape_of(ColumnType t) {
  switch (t) {
    case ColumnType::kUtf8: return {arrow::kUtf8, 0};
    case ColumnType::kInt64: return {arrow::kInt, 0};
    case ColumnType::kFloat64: return {arrow::kFloatingPoint, 0};
    case ColumnType::kBool: return {arrow::kBool, 0};
    case ColumnType::kListUtf8: return {arrow::kUtf8, 1};
    case ColumnType::kListListUtf8: return {arrow::kUtf8, 2};
    case ColumnType::kListInt64: return {arrow::kInt, 1};
    case ColumnType::kListFloat64: return {arrow::kFloatingPoint, 1};
  }
  SELFENS_CHECK(false, "unknown column type");
}

Offset<void> type_table(FlatBufferBuilder& fbb, arrow::TypeId id) {
  uoffset_t start = fbb.StartTable();
  if (id == arrow::kInt) {
    fbb.AddElement<int32_t>(slot(arrow::field::kIntBitWidth), 64, 0);
    fbb.AddElement<uint8_t>(slot(arrow::field::kIntSigned), 1, 0);
  } else if (id == arrow::kFloatingPoint) {
    fbb.AddElement<int16_t>(slot(arrow::field::kFloatPrecision), arrow::kDouble, 0);
  }
  return Offset<void>(fbb.EndTable(start));
}

Offset<void> field_table(FlatBufferBuilder& fbb, const std::string& name, ArrowShape shape) {
  std::vector<Offset<void>> children;
  if (shape.depth > 0) children.push_back(field_table(fbb, "item", {shape.leaf, shape.depth - 1}));
  arrow::TypeId id = shape.depth > 0 ? arrow::kList : shape.leaf;
  auto name_off = fbb.CreateString(name);
  auto type_off = type_table(fbb, id);
  auto children_off = fbb.CreateVector(children);
  uoffset_t start = fbb.StartTable();
  fbb.AddOffset(slot(arrow::field::kFieldName), name_off);
  fbb.AddElement<uint8_t>(slot(arrow::field::kFieldNullable), 1, 0);
  fbb.AddElement<uint8_t>(slot(arrow::field::kFieldTypeType), id, 0);
  fbb.AddOffset(slot(arrow::field::kFieldType), type_off);
  fbb.AddOffset(slot(arrow::field::kFieldChildren), children_off);
  return Offset<void>(fbb.EndTable(start));
}

Offset<void> schema_table(FlatBufferBuilder& fbb, const Table& table) {
  std::vector<Offset<void>> fields;
  for (const Column& c : table.columns()) fields.push_back(field_table(fbb, c.name, shape_of(c.type())));
  std::vector<Offset<void>> kvs;
  for (const auto& [k, v] : table.metadata) {
    auto ko = fbb.CreateString(k);
    auto vo = fbb.CreateString(v);
    uoffset_t start = fbb.StartTable();
    fbb.AddOffset(slot(arrow::field::kKeyValueKey), ko);
    fbb.AddOffset(slot(arrow::field::kKeyValueValue), vo);
    kvs.push_back(Offset<void>(fbb.EndTable(start)));
  }
  auto fields_off = fbb.CreateVector(fields);
  auto kvs_off = fbb.CreateVector(kvs);
  uoffset_t start = fbb.StartTable();
  fbb.AddOffset(slot(arrow::field::kSchemaFields), fields_off);
  fbb.AddOffset(slot(arrow::field::kSchemaMetadata), kvs_off);
  return Offset<void>(fbb.EndTable(start));
}

// The body of one record batch: buffers plus the nodes/buffers tables.
class BodyWriter {
 public:
  std::string body;
  std::vector<arrow::FieldNode> nodes;
  std::vector<arrow::BufferSpec> buffers;

  void node(size_t length) { nodes.push_back({static_cast<int64_t>(length), 0}); }
  void buffer(const void* data, size_t n) {
    int64_t offset = static_cast<int64_t>(body.size());
    body.append(static_cast<const char*>(data), n);
    body.resize((body.size() + kAlign - 1) / kAlign * kAlign, '\0');
    buffers.push_back({offset, static_cast<int64_t>(n)});
  }
  void no_validity() { buffers.push_back({static_cast<int64_t>(body.size()), 0}); }

  void offsets(const std::vector<int64_t>& ends, const std::string& column) {
    std::vector<int32_t> out{0};
    for (int64_t e : ends) {
      SELFENS_REQUIRE(e <= INT32_MAX, column + ": more than 2^31 values or bytes in one batch; "
                                      "write with a smaller max_rows_per_batch");
      out.push_back(static_cast<int32_t>(e));
    }
    buffer(out.data(), out.size() * sizeof(int32_t));
  }

  void array(const std::vector<const std::string*>& v, const std::string& column) {
    node(v.size());
    no_validity();
    std::vector<int64_t> ends;
    std::string data;
    for (const std::string* s : v) {
      data += *s;
      ends.push_back(static_cast<int64_t>(data.size()));
    }
    offsets(ends, column);
    buffer(data.data(), data.size());
  }
  template <class T>
    requires std::is_arithmetic_v<T>
  void array(const std::vector<const T*>& v, const std::string&) {
    node(v.size());
    no_validity();
    std::vector<T> data;
    for (const T* x : v) data.push_back(*x);
    buffer(data.data(), data.size() * sizeof(T));
  }
  template <class T>
  void array(const std::vector<const std::vector<T>*>& rows, const std::string& column) {
    node(rows.size());
    no_validity();
    std::vector<int64_t> ends;
    std::vector<const T*> items;
    for (const std::vector<T>* r : rows) {
      for (const T& x : *r) items.push_back(&x);
      ends.push_back(static_cast<int64_t>(items.size()));
    }
    offsets(ends, column);
    array(items, column);
  }
  void bools(const std::vector<bool>& v, size_t begin, size_t end) {
    node(end - begin);
    no_validity();
    std::vector<uint8_t> bits((end - begin + 7) / 8, 0);
    for (size_t i = begin; i < end; ++i)
      if (v[i]) bits[(i - begin) / 8] |= static_cast<uint8_t>(1u << ((i - begin) % 8));
    buffer(bits.data(), bits.size());
  }
};

void write_column(BodyWriter& w, const Column& c, size_t begin, size_t end,
                  const std::string& origin) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::vector<bool>>) {
          w.bools(v, begin, end);
        } else {
          std::vector<const typename V::value_type*> rows;
          for (size_t i = begin; i < end; ++i) rows.push_back(&v[i]);
          w.array(rows, origin + ": column '" + c.name + "'");
        }
      },
      c.data);
}

std::string finish_message(FlatBufferBuilder& fbb, arrow::HeaderId type, Offset<void> header,
                           size_t body_length) {
  uoffset_t start = fbb.StartTable();
  fbb.AddElement<int16_t>(slot(arrow::field::kMessageVersion), arrow::kMetadataV5, 0);
  fbb.AddElement<uint8_t>(slot(arrow::field::kMessageHeaderType), type, 0);
  fbb.AddOffset(slot(arrow::field::kMessageHeader), header);
  fbb.AddElement<int64_t>(slot(arrow::field::kMessageBodyLength),
                          static_cast<int64_t>(body_length), 0);
  fbb.Finish(Offset<void>(fbb.EndTable(start)));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

template <class T>
void append_le(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Appends continuation marker, length, metadata, padding and body.
arrow::Block append_message(std::string& file, const std::string& meta, const std::string& body) {
  size_t padded = (meta.size() + 7) / 8 * 8;
  arrow::Block block{static_cast<int64_t>(file.size()), static_cast<int32_t>(8 + padded), 0,
                     static_cast<int64_t>(body.size())};
  append_le<uint32_t>(file, arrow::kContinuation);
  append_le<int32_t>(file, static_cast<int32_t>(padded));
  file += meta;
  file.resize(file.size() + padded - meta.size(), '\0');
  file += body;
  return block;
}

std::string record_batch_message(const BodyWriter& w, size_t rows) {
  FlatBufferBuilder fbb;
  auto nodes = fbb.CreateVectorOfStructs(w.nodes.data(), w.nodes.size());
  auto bufs = fbb.CreateVectorOfStructs(w.buffers.data(), w.buffers.size());
  uoffset_t start = fbb.StartTable();
  fbb.AddElement<int64_t>(slot(arrow::field::kBatchLength), static_cast<int64_t>(rows), 0);
  fbb.AddOffset(slot(arrow::field::kBatchNodes), nodes);
  fbb.AddOffset(slot(arrow::field::kBatchBuffers), bufs);
  return finish_message(fbb, arrow::kHeaderRecordBatch, Offset<void>(fbb.EndTable(start)),
                        w.body.size());
}

std::string footer(const Table& table, const std::vector<arrow::Block>& batches) {
  FlatBufferBuilder fbb;
  auto schema = schema_table(fbb, table);
  auto dicts = fbb.CreateVectorOfStructs<arrow::Block>(nullptr, 0);
  auto blocks = fbb.CreateVectorOfStructs(batches.data(), batches.size());
  uoffset_t start = fbb.StartTable();
  fbb.AddElement<int16_t>(slot(arrow::field::kFooterVersion), arrow::kMetadataV5, 0);
  fbb.AddOffset(slot(arrow::field::kFooterSchema), schema);
  fbb.AddOffset(slot(arrow::field::kFooterDictionaries), dicts);
  fbb.AddOffset(slot(arrow::field::kFooterRecordBatches), blocks);
  fbb.Finish(Offset<void>(fbb.EndTable(start)));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

}  // namespace

std::string feather_bytes(const Table& table, const FeatherWriteOptions& options) {
  std::string file(arrow::kMagic, 6);
  file.append(2, '\0');
  {
    FlatBufferBuilder fbb;
    auto schema = schema_table(fbb, table);
    append_message(file, finish_message(fbb, arrow::kHeaderSchema, schema, 0), "");
  }
  std::vector<arrow::Block> blocks;
  size_t rows = table.num_rows();
  size_t step = options.max_rows_per_batch == 0 ? rows : options.max_rows_per_batch;
  size_t begin = 0;
  do {  // at least one batch, so a 0-row table still has its (empty) batch
    size_t end = std::min(rows, begin + step);
    BodyWriter w;
    for (const Column& c : table.columns()) write_column(w, c, begin, end, table.origin());
    blocks.push_back(append_message(file, record_batch_message(w, end - begin), w.body));
    begin = end;
  } while (begin < rows);
  append_le<uint32_t>(file, arrow::kContinuation);  // end-of-stream marker
  append_le<int32_t>(file, 0);
  std::string foot = footer(table, blocks);
  file += foot;
  append_le<int32_t>(file, static_cast<int32_t>(foot.size()));
  file.append(arrow::kMagic, 6);
  return file;
}

void write_feather(const std::filesystem::path& path, const Table& table,
                   const FeatherWriteOptions& options) {
  atomic_write_file(path, feather_bytes(table, options));
}

}  // namespace selfens::io
