#pragma once
// How reports write numbers (accuracies as percentages, gains in points)
// and lists (gold answers joined with " | ").
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace selfens::report {

inline std::string pct(double v) {  // 0.1234 -> "12.34%"
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * v);
  return buf;
}

inline std::string points(double v) {  // 0.012 -> "+1.20 points"
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f points", 100.0 * v);
  return buf;
}

inline std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep = " | ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) (out += i ? sep : "") += items[i];
  return out;
}

}  // namespace selfens::report
