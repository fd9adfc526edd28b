#include "cli/args.h"

#include <charconv>

#include "util/check.h"

namespace selfens::cli {

std::string normalize_option(std::string name) {
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

namespace {
std::vector<char*> argv_of(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (const std::string& s : args) v.push_back(const_cast<char*>(s.c_str()));
  v.push_back(nullptr);
  return v;
}
}  // namespace

Args::Args(const std::string& command, const std::vector<std::string>& args,
           const std::set<std::string>& options, const std::set<std::string>& flags)
    : Args(command, int(args.size()), argv_of(args).data(), 0, options, flags) {}

Args::Args(const std::string& command, int argc, char** argv, int first,
           const std::set<std::string>& options, const std::set<std::string>& flags)
    : command_(command) {
  auto normalized = [](const std::set<std::string>& s) {
    std::set<std::string> out;
    for (const auto& n : s) out.insert(normalize_option(n));
    return out;
  };
  const auto opts = normalized(options), fls = normalized(flags);
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-' || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    std::string name = normalize_option(a);
    if (fls.count(name)) {
      SELFENS_REQUIRE(!has_value, command_ + ": option --" + name + " takes no value");
      flags_set_.insert(name);
    } else if (opts.count(name)) {
      if (!has_value) {
        SELFENS_REQUIRE(i + 1 < argc, command_ + ": option --" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw InputError(command_ + ": unknown option " + argv[i] + " (see selfens " +
                       command_ + " --help)");
    }
  }
}

bool Args::flag(const std::string& name) const { return flags_set_.count(normalize_option(name)) > 0; }
bool Args::has(const std::string& name) const { return values_.count(normalize_option(name)) > 0; }

std::optional<std::string> Args::maybe(const std::string& name) const {
  auto it = values_.find(normalize_option(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
  return maybe(name).value_or(fallback);
}

namespace {

std::string range_text(double lo, double hi) {
  auto num = [](double x) {
    std::string s = std::to_string(x);
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  const bool low = std::isfinite(lo) && lo > double(INT_MIN);
  const bool high = std::isfinite(hi) && hi < double(INT_MAX);
  if (low && high) return "between " + num(lo) + " and " + num(hi);
  if (!low && !high) return "a finite number";
  return low ? "at least " + num(lo) : "at most " + num(hi);
}

}  // namespace

int Args::integer(const std::string& name, int fallback, int lo, int hi) const {
  auto v = maybe(name);
  if (!v) return fallback;
  const std::string opt = command_ + ": --" + normalize_option(name);
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  SELFENS_REQUIRE(ec != std::errc::invalid_argument && p == v->data() + v->size(),
                  opt + " expects an integer, got '" + *v + "'");
  SELFENS_REQUIRE(ec == std::errc() && out >= lo && out <= hi,
                  opt + " must be " + range_text(lo, hi) + ", got " + *v);
  return static_cast<int>(out);
}

double Args::real(const std::string& name, double fallback, double lo, double hi) const {
  auto v = maybe(name);
  if (!v) return fallback;
  const std::string opt = command_ + ": --" + normalize_option(name);
  double d = 0;
  try {
    size_t used = 0;
    d = std::stod(*v, &used);
    if (used != v->size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError(opt + " expects a number, got '" + *v + "'");
  }
  SELFENS_REQUIRE(std::isfinite(d) && d >= lo && d <= hi, opt + " must be " + range_text(lo, hi) + ", got " + *v);
  return d;
}

std::vector<int> Args::int_list(const std::string& name) const {
  std::vector<int> out;
  auto v = maybe(name);
  if (!v) return out;
  size_t start = 0;
  while (start <= v->size()) {
    size_t end = v->find(',', start);
    if (end == std::string::npos) end = v->size();
    std::string item = v->substr(start, end - start);
    int x = -1;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    SELFENS_REQUIRE(!item.empty() && ec == std::errc() && p == item.data() + item.size() && x >= 0,
                    command_ + ": --" + normalize_option(name) +
                        " expects comma-separated non-negative integers, got '" + *v + "'");
    out.push_back(x);
    start = end + 1;
  }
  return out;
}

}  // namespace selfens::cli
