#pragma once
// How reports write numbers: accuracies as percentages, gains in points.
#include <cstdio>
#include <string>

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

}  // namespace selfens::report
