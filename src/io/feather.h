#pragma once
// Feather v2 (= Arrow IPC file format) tables: the result files of every
// stage. Written uncompressed; read back from our own files and from files
// pandas/pyarrow wrote (including LZ4_FRAME and ZSTD compressed bodies).
//
// Column types (the Arrow type written; types also accepted when reading):
//   utf8            std::vector<std::string>      utf8 (reads large_utf8)
//   int64           std::vector<int64_t>          int64 (reads int8..int64,
//                                                 uint8..uint64)
//   float64         std::vector<double>           double (reads float)
//   bool            std::vector<bool>             bool
//   list<utf8>      std::vector<std::vector<std::string>>   list<item: utf8>
//   list<list<utf8>> ... of std::vector<std::vector<std::string>>
//   list<int64>, list<float64>   (for confidence lists and the like)
// Lists read from list or large_list.
//
// Nulls: the writer never writes nulls. When reading, a null value becomes
// "" (utf8), 0 (int64), NaN (float64), false (bool) or an empty list, and
// Table::null_count(column) tells how many rows were null.
// Columns of other Arrow types (struct, dictionary, timestamp, ...) are kept
// out of the table and listed in Table::skipped(); asking for one gives an
// error that names its type.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace selfens::io {

enum class ColumnType : int {  // same order as the ColumnData alternatives
  kUtf8,
  kInt64,
  kFloat64,
  kBool,
  kListUtf8,
  kListListUtf8,
  kListInt64,
  kListFloat64,
};

// "utf8", "int64", "float64", "bool", "list<utf8>", "list<list<utf8>>", ...
std::string_view type_name(ColumnType type);

using Strings = std::vector<std::string>;
using ColumnData = std::variant<Strings,                            // utf8
                                std::vector<int64_t>,               // int64
                                std::vector<double>,                // float64
                                std::vector<bool>,                  // bool
                                std::vector<Strings>,               // list<utf8>
                                std::vector<std::vector<Strings>>,  // list<list<utf8>>
                                std::vector<std::vector<int64_t>>,  // list<int64>
                                std::vector<std::vector<double>>>;  // list<float64>

struct Column {
  std::string name;
  ColumnData data;

  ColumnType type() const { return static_cast<ColumnType>(data.index()); }
  size_t size() const;  // number of rows
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

// A column of a read file whose Arrow type has no ColumnData form.
struct SkippedColumn {
  std::string name;
  std::string arrow_type;  // e.g. "struct", "timestamp", "dictionary"
};

// Named columns of equal length plus key-value schema metadata. Errors name
// origin() (the file read, or what the caller set) and the column.
class Table {
 public:
  explicit Table(std::string origin = "table") : origin_(std::move(origin)) {}

  const std::string& origin() const { return origin_; }
  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  size_t num_columns() const { return columns_.size(); }
  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<SkippedColumn>& skipped() const { return skipped_; }

  bool has(std::string_view name) const { return find(name) != nullptr; }
  const Column* find(std::string_view name) const;  // nullptr when absent
  // Throws InputError "ORIGIN: column 'x' missing".
  const Column& column(std::string_view name) const;

  // Typed access; throws InputError "ORIGIN: column 'x' missing" or
  // "ORIGIN: column 'x' has type T, expected U".
  const Strings& utf8(std::string_view name) const;
  const std::vector<int64_t>& int64(std::string_view name) const;
  const std::vector<double>& float64(std::string_view name) const;
  const std::vector<bool>& boolean(std::string_view name) const;
  const std::vector<Strings>& list_utf8(std::string_view name) const;
  const std::vector<std::vector<Strings>>& list_list_utf8(std::string_view name) const;
  const std::vector<std::vector<int64_t>>& list_int64(std::string_view name) const;
  const std::vector<std::vector<double>>& list_float64(std::string_view name) const;

  // Appends a column, or replaces the column of that name in place. Throws
  // InputError when its length differs from the table's other columns.
  void set(std::string name, ColumnData data);
  bool remove(std::string_view name);  // false when absent

  Metadata metadata;  // schema custom_metadata, in file order
  std::optional<std::string> metadata_value(std::string_view key) const;
  void set_metadata(std::string key, std::string value);  // replace or append

  // Rows of a read column that were null in the file (0 for columns set here).
  size_t null_count(std::string_view name) const;

  // Used by the reader.
  void add_skipped(SkippedColumn c) { skipped_.push_back(std::move(c)); }
  void add_null_count(const std::string& name, size_t n);

 private:
  template <class T>
  const T& typed(std::string_view name, ColumnType want) const;

  std::string origin_;
  std::vector<Column> columns_;
  std::vector<SkippedColumn> skipped_;
  std::vector<std::pair<std::string, size_t>> null_counts_;
};

// A table of rows taken from tables of one schema: rows[i] = (table, row).
// InputError naming both origins when the tables' column names or types
// differ. Metadata is left empty.
Table gather_rows(const std::vector<const Table*>& tables,
                  const std::vector<std::pair<size_t, size_t>>& rows);

struct FeatherWriteOptions {
  size_t max_rows_per_batch = 0;  // 0: one record batch for the whole table
};

// Writes `table` as an uncompressed Arrow IPC file (64-byte aligned buffers),
// atomically: `path` is either the old file or the complete new one.
// Throws InputError naming the path when it cannot be written.
void write_feather(const std::filesystem::path& path, const Table& table,
                   const FeatherWriteOptions& options = {});
// The same file as bytes.
std::string feather_bytes(const Table& table, const FeatherWriteOptions& options = {});

// Reads a whole Feather v2 / Arrow IPC file. Every offset and length is
// checked; a bad file throws InputError "PATH: problem", never crashes.
Table read_feather(const std::filesystem::path& path);
// The same from memory; `origin` names the bytes in errors.
Table read_feather_bytes(const uint8_t* data, size_t size, const std::string& origin);

}  // namespace selfens::io
