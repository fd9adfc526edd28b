#include <algorithm>

#include "io/feather.h"
#include "util/check.h"

namespace selfens::io {

std::string_view type_name(ColumnType type) {
  switch (type) {
    case ColumnType::kUtf8: return "utf8";
    case ColumnType::kInt64: return "int64";
    case ColumnType::kFloat64: return "float64";
    case ColumnType::kBool: return "bool";
    case ColumnType::kListUtf8: return "list<utf8>";
    case ColumnType::kListListUtf8: return "list<list<utf8>>";
    case ColumnType::kListInt64: return "list<int64>";
    case ColumnType::kListFloat64: return "list<float64>";
  }
  return "?";
}

size_t Column::size() const {
  return std::visit([](const auto& v) { return v.size(); }, data);
}

const Column* Table::find(std::string_view name) const {
  for (const Column& c : columns_)
    if (c.name == name) return &c;
  return nullptr;
}

const Column& Table::column(std::string_view name) const {
  if (const Column* c = find(name)) return *c;
  for (const SkippedColumn& s : skipped_)
    if (s.name == name)
      throw InputError(origin_ + ": column '" + s.name + "' has unsupported Arrow type " +
                       s.arrow_type);
  throw InputError(origin_ + ": column '" + std::string(name) + "' missing");
}

template <class T>
const T& Table::typed(std::string_view name, ColumnType want) const {
  const Column& c = column(name);
  SELFENS_REQUIRE(c.type() == want, origin_ + ": column '" + c.name + "' has type " +
                                        std::string(type_name(c.type())) + ", expected " +
                                        std::string(type_name(want)));
  return std::get<T>(c.data);
}

const Strings& Table::utf8(std::string_view n) const {
  return typed<Strings>(n, ColumnType::kUtf8);
}
const std::vector<int64_t>& Table::int64(std::string_view n) const {
  return typed<std::vector<int64_t>>(n, ColumnType::kInt64);
}
const std::vector<double>& Table::float64(std::string_view n) const {
  return typed<std::vector<double>>(n, ColumnType::kFloat64);
}
const std::vector<bool>& Table::boolean(std::string_view n) const {
  return typed<std::vector<bool>>(n, ColumnType::kBool);
}
const std::vector<Strings>& Table::list_utf8(std::string_view n) const {
  return typed<std::vector<Strings>>(n, ColumnType::kListUtf8);
}
const std::vector<std::vector<Strings>>& Table::list_list_utf8(std::string_view n) const {
  return typed<std::vector<std::vector<Strings>>>(n, ColumnType::kListListUtf8);
}
const std::vector<std::vector<int64_t>>& Table::list_int64(std::string_view n) const {
  return typed<std::vector<std::vector<int64_t>>>(n, ColumnType::kListInt64);
}
const std::vector<std::vector<double>>& Table::list_float64(std::string_view n) const {
  return typed<std::vector<std::vector<double>>>(n, ColumnType::kListFloat64);
}

void Table::set(std::string name, ColumnData data) {
  Column col{std::move(name), std::move(data)};
  for (Column& c : columns_) {
    if (c.name != col.name) continue;
    SELFENS_REQUIRE(columns_.size() == 1 || col.size() == num_rows(),
                    origin_ + ": column '" + col.name + "' has " + std::to_string(col.size()) +
                        " rows, the table " + std::to_string(num_rows()));
    c = std::move(col);
    return;
  }
  SELFENS_REQUIRE(columns_.empty() || col.size() == num_rows(),
                  origin_ + ": column '" + col.name + "' has " + std::to_string(col.size()) +
                      " rows, the table " + std::to_string(num_rows()));
  columns_.push_back(std::move(col));
}

bool Table::remove(std::string_view name) {
  auto it = std::find_if(columns_.begin(), columns_.end(),
                         [&](const Column& c) { return c.name == name; });
  if (it == columns_.end()) return false;
  columns_.erase(it);
  return true;
}

size_t Table::null_count(std::string_view name) const {
  for (const auto& [n, c] : null_counts_)
    if (n == name) return c;
  return 0;
}

void Table::add_null_count(const std::string& name, size_t n) { null_counts_.emplace_back(name, n); }

std::optional<std::string> Table::metadata_value(std::string_view key) const {
  for (const auto& [k, v] : metadata)
    if (k == key) return v;
  return std::nullopt;
}

void Table::set_metadata(std::string key, std::string value) {
  for (auto& [k, v] : metadata) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata.emplace_back(std::move(key), std::move(value));
}

Table gather_rows(const std::vector<const Table*>& tables,
                  const std::vector<std::pair<size_t, size_t>>& rows) {
  Table out;
  if (tables.empty()) return out;
  const Table& first = *tables.front();
  for (const Table* t : tables) {
    bool same = t->num_columns() == first.num_columns();
    for (size_t c = 0; same && c < first.num_columns(); ++c)
      same = t->columns()[c].name == first.columns()[c].name &&
             t->columns()[c].type() == first.columns()[c].type();
    SELFENS_REQUIRE(same, t->origin() + ": its columns differ from " + first.origin() + "'s");
  }
  for (size_t c = 0; c < first.num_columns(); ++c) {
    ColumnData data = std::visit(
        [&](const auto& head) -> ColumnData {
          std::decay_t<decltype(head)> v;
          v.reserve(rows.size());
          for (const auto& [t, r] : rows) {
            const auto& src = std::get<std::decay_t<decltype(head)>>(tables[t]->columns()[c].data);
            v.push_back(src[r]);
          }
          return v;
        },
        first.columns()[c].data);
    out.set(first.columns()[c].name, std::move(data));
  }
  return out;
}

}  // namespace selfens::io
