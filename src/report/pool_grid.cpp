#include "report/pool_grid.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "data/output_paths.h"
#include "plan/method_recipe.h"
#include "report/number_format.h"
#include "report/svg.h"

namespace selfens::report {
namespace fs = std::filesystem;
namespace {

// What a file name says: method, sizes, variant; nullopt for other files.
struct PoolName {
  std::string method, variant;
  bool synced = false, repeat = false;
  int a = 0, b = 0, c = 0;  // pools: M, A, S; synced: N, S
};

std::optional<PoolName> parse_name(const std::string& name) {
  if (data::is_shard_file(name)) return std::nullopt;
  static const std::regex pool(R"(^([a-z_]+)-m(\d{1,3})a(\d{1,3})s(\d{1,3})(?:_([^/]+))?\.feather$)");
  static const std::regex synced(
      R"(^syncedsample_([a-z_]+)-(\d{1,3})paras-(\d{1,5})samples(-repeat)?(?:_([^/]+))?\.feather$)");
  std::smatch m;
  PoolName p;
  if (std::regex_match(name, m, pool)) {
    p.a = std::stoi(m[2]), p.b = std::stoi(m[3]), p.c = std::stoi(m[4]);
  } else if (std::regex_match(name, m, synced)) {
    p.synced = true;
    p.b = std::stoi(m[2]), p.c = std::stoi(m[3]);
    p.repeat = m[4].matched;
  } else {
    return std::nullopt;
  }
  const std::string stem = m[1];
  p.variant = m[5].matched ? m[5].str() : "";
  for (const MethodRecipe& r : method_recipes())
    if (stem == r.file_stem && !r.first_view_only && (p.variant.empty() || r.plan == PlanKind::kFused)) {
      p.method = r.name;
      return p;
    }
  return std::nullopt;
}

SyncedResult score_synced(const LoadedResult& l, const PoolName& p, const fs::path& path) {
  SyncedResult s;
  s.method = p.method, s.variant = p.variant, s.n = p.b, s.samples = p.c, s.repeat = p.repeat;
  s.file = path;
  const auto& ids = l.table.utf8("uuid");
  const std::vector<int64_t> none(ids.size(), 0);
  const auto& sample = l.table.has("sample_index") ? l.table.int64("sample_index") : none;
  std::map<int64_t, std::pair<size_t, size_t>> by_sample;  // sample -> (correct, rows)
  std::map<std::string, std::pair<bool, bool>> seen;       // uuid -> (any right, any wrong)
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool ok = l.correct[i];
    s.correct += ok;
    auto& b = by_sample[sample[i]];
    b.first += ok, b.second += 1;
    auto& q = seen[ids[i]];
    (ok ? q.first : q.second) = true;
  }
  s.rows = ids.size();
  s.questions = seen.size();
  s.accuracy = s.rows ? double(s.correct) / double(s.rows) : 0;
  for (const auto& [k, b] : by_sample) s.by_sample.push_back(double(b.first) / double(b.second));
  for (const auto& [u, q] : seen) s.order_sensitive += q.first && q.second;
  return s;
}

void score_cells(PoolGrid& g, ResultCache& cache) {
  if (g.cells.empty()) return;
  std::vector<const LoadedResult*> files;
  for (const PoolCell& c : g.cells) files.push_back(&cache.get(c.file));
  const UuidSet shared = shared_uuids(files);
  g.shared_questions = shared.size();
  for (PoolCell& c : g.cells) {
    const LoadedResult& l = cache.get(c.file);
    c.own_questions = uuid_index(l.table).size();
    const auto& ids = l.table.utf8("uuid");
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!shared.count(ids[i])) continue;
      ++c.questions;
      c.correct += l.correct[i];
    }
    c.accuracy = c.questions ? double(c.correct) / double(c.questions) : 0;
    g.mismatched_sets |= c.own_questions != g.shared_questions;
  }
}

// The cells of one method and variant, in grid order.
std::vector<std::vector<const PoolCell*>> cells_by_method(const PoolGrid& g) {
  std::vector<std::vector<const PoolCell*>> out;
  for (const PoolCell& c : g.cells) {
    if (out.empty() || out.back().front()->method != c.method ||
        out.back().front()->variant != c.variant)
      out.emplace_back();
    out.back().push_back(&c);
  }
  return out;
}

std::string heat_color(double v) {  // pale (0) to dark blue (1)
  const int r = int(235 - 200 * v), gch = int(242 - 150 * v), b = int(250 - 60 * v);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", std::clamp(r, 0, 255), std::clamp(gch, 0, 255),
                std::clamp(b, 0, 255));
  return buf;
}

// Pools down, S across; each cell's accuracy printed in it.
std::string heat_map(const std::vector<const PoolCell*>& cells, const std::string& id) {
  std::vector<std::string> pools;
  std::set<int> sizes;
  for (const PoolCell* c : cells) {
    if (std::find(pools.begin(), pools.end(), c->pool()) == pools.end()) pools.push_back(c->pool());
    sizes.insert(c->samples);
  }
  const std::vector<int> cols(sizes.begin(), sizes.end());
  // Colours span this map's own range, so that a few points show.
  double lo = 1, hi = 0;
  for (const PoolCell* c : cells) lo = std::min(lo, c->accuracy), hi = std::max(hi, c->accuracy);
  // 0.2..1: the palest cell stays distinguishable from an empty one.
  auto shade = [&](double v) { return 0.2 + 0.8 * (hi > lo ? (v - lo) / (hi - lo) : 0.5); };
  const std::string name = cells.front()->method +
                           (cells.front()->variant.empty() ? "" : "_" + cells.front()->variant);
  const std::string title = name + ": accuracy by pool (rows) and paraphrases asked S (columns)";
  const std::string legend = "darker is higher: " + pct(lo) + " (palest) to " + pct(hi) + " (darkest)";
  const double cw = 78, ch = 26, left = 90, top = 62;
  const double width = std::max(left + cw * double(cols.size()) + 20, 16 + 6.8 * double(title.size()));
  const double height = top + ch * double(pools.size()) + 16;
  std::string s = svg_open(width, height, id);
  s += svg_text(8, 18, title, "start", 12, "#222", "bold");
  s += svg_text(8, 34, legend, "start", 11, "#555");
  for (size_t j = 0; j < cols.size(); ++j)
    s += svg_text(left + cw * (double(j) + 0.5), top - 8, "S = " + std::to_string(cols[j]), "middle");
  for (size_t i = 0; i < pools.size(); ++i) {
    const double y = top + ch * double(i);
    s += svg_text(left - 8, y + ch * 0.65, pools[i], "end");
    for (size_t j = 0; j < cols.size(); ++j) {
      const double x = left + cw * double(j);
      const PoolCell* cell = nullptr;
      for (const PoolCell* c : cells)
        if (c->pool() == pools[i] && c->samples == cols[j]) cell = c;
      s += svg_rect(x, y, cw - 2, ch - 2, cell ? heat_color(shade(cell->accuracy)) : "#f6f6f6");
      if (cell)
        s += svg_text(x + cw / 2 - 1, y + ch * 0.62, pct(cell->accuracy), "middle", 11,
                      shade(cell->accuracy) > 0.65 ? "#fff" : "#222");
    }
  }
  return s + "</svg>\n";
}

}  // namespace

std::string PoolCell::pool() const {
  return "m" + std::to_string(manual) + "a" + std::to_string(autos);
}

std::string PoolCell::label() const {
  return method + "-" + pool() + "s" + std::to_string(samples) + (variant.empty() ? "" : "_" + variant);
}

std::string SyncedResult::label() const {
  return "syncedsample " + method + "-" + std::to_string(n) + "paras-" + std::to_string(samples) +
         "samples" + (repeat ? "-repeat" : "") + (variant.empty() ? "" : "_" + variant);
}

PoolGrid pool_grid(ResultCache& cache, const fs::path& dir) {
  PoolGrid g;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return g;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const auto p = parse_name(e.path().filename().string());
    if (!p) continue;
    if (p->synced) {
      g.synced.push_back(score_synced(cache.get(e.path()), *p, e.path()));
      continue;
    }
    PoolCell c;
    c.method = p->method, c.variant = p->variant;
    c.manual = p->a, c.autos = p->b, c.samples = p->c;
    c.file = e.path();
    g.cells.push_back(std::move(c));
  }
  std::sort(g.cells.begin(), g.cells.end(), [](const PoolCell& x, const PoolCell& y) {
    return std::make_tuple(method_rank(x.method), x.variant, x.manual, x.autos, x.samples) <
           std::make_tuple(method_rank(y.method), y.variant, y.manual, y.autos, y.samples);
  });
  std::sort(g.synced.begin(), g.synced.end(), [](const SyncedResult& x, const SyncedResult& y) {
    return std::make_tuple(method_rank(x.method), x.variant, x.n, x.samples, x.repeat) <
           std::make_tuple(method_rank(y.method), y.variant, y.n, y.samples, y.repeat);
  });
  score_cells(g, cache);
  return g;
}

std::string pool_grid_text(const PoolGrid& g) {
  std::ostringstream out;
  if (!g.cells.empty()) {
    out << "Paraphrase pools (mMaA: M manual and A auto templates drawn, S asked), on the "
        << g.shared_questions << " questions every pool file answers\n";
    for (const PoolCell& c : g.cells) {
      out << "  " << c.label();
      out << std::string(c.label().size() < 28 ? 28 - c.label().size() : 1, ' ') << pct(c.accuracy)
          << "  (" << c.correct << "/" << c.questions << ")";
      if (c.own_questions != g.shared_questions) out << "  own questions " << c.own_questions;
      out << "\n";
    }
  }
  for (const SyncedResult& s : g.synced) {
    std::vector<std::string> each;
    for (double v : s.by_sample) each.push_back(pct(v));
    out << s.label() << ": " << pct(s.accuracy) << " over " << s.rows << " rows (" << s.questions
        << " questions); by sample " << join(each, ", ") << "; " << s.order_sensitive
        << " questions right in some samples and wrong in others\n";
  }
  return out.str();
}

nlohmann::json pool_grid_json(const PoolGrid& g) {
  nlohmann::json j;
  j["shared_questions"] = g.shared_questions;
  j["mismatched_sets"] = g.mismatched_sets;
  j["pools"] = nlohmann::json::array();
  for (const PoolCell& c : g.cells)
    j["pools"].push_back({{"label", c.label()}, {"method", c.method}, {"variant", c.variant},
                          {"manual", c.manual}, {"auto", c.autos}, {"samples", c.samples},
                          {"file", c.file.filename().string()}, {"questions", c.questions},
                          {"correct", c.correct}, {"accuracy", c.accuracy},
                          {"own_questions", c.own_questions}});
  j["synced"] = nlohmann::json::array();
  for (const SyncedResult& s : g.synced)
    j["synced"].push_back({{"label", s.label()}, {"method", s.method}, {"variant", s.variant},
                           {"n", s.n}, {"samples", s.samples}, {"repeat", s.repeat},
                           {"file", s.file.filename().string()}, {"questions", s.questions},
                           {"rows", s.rows}, {"correct", s.correct}, {"accuracy", s.accuracy},
                           {"by_sample", s.by_sample}, {"order_sensitive", s.order_sensitive}});
  return j;
}

std::string pool_grid_html(const PoolGrid& g) {
  std::ostringstream h;
  h << "<h2>Paraphrase pools and synced samples</h2>\n";
  if (g.empty()) {
    h << "<p class=\"missing\">no pool files (selfens generate --dataset myriadlama --num_manual M "
         "--num_auto A --num_samples S) or synced-sample files (--synced_samples S)</p>\n";
    return h.str();
  }
  if (!g.cells.empty()) {
    h << "<p>On the " << g.shared_questions << " questions every pool file answers"
      << (g.mismatched_sets ? " (some files answer more: their own count in the table)" : "")
      << ".</p>\n<table id=\"pools\"><tr><th>file</th><th>pool</th><th>S</th><th>questions</th>"
         "<th>accuracy</th><th>own questions</th></tr>\n";
    for (const PoolCell& c : g.cells)
      h << "<tr><td>" << xml_escape(c.label()) << "</td><td>" << c.pool() << "</td><td class=\"num\">"
        << c.samples << "</td><td class=\"num\">" << c.questions << "</td><td class=\"num\">"
        << pct(c.accuracy) << "</td><td class=\"num\">" << c.own_questions << "</td></tr>\n";
    h << "</table>\n";
    int k = 0;
    for (const auto& cells : cells_by_method(g)) h << heat_map(cells, "pool-heat-" + std::to_string(k++));
  }
  if (!g.synced.empty()) {
    h << "<table id=\"synced\"><tr><th>file</th><th>questions</th><th>rows</th><th>accuracy</th>"
         "<th>by sample</th><th>order-sensitive questions</th></tr>\n";
    for (const SyncedResult& s : g.synced) {
      std::vector<std::string> each;
      for (double v : s.by_sample) each.push_back(pct(v));
      h << "<tr><td>" << xml_escape(s.label()) << "</td><td class=\"num\">" << s.questions
        << "</td><td class=\"num\">" << s.rows << "</td><td class=\"num\">" << pct(s.accuracy)
        << "</td><td>" << join(each, ", ") << "</td><td class=\"num\">" << s.order_sensitive
        << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  return h.str();
}

}  // namespace selfens::report
