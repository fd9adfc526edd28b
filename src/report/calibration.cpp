#include "report/calibration.h"

#include <algorithm>
#include <cmath>

#include "eval/match.h"
#include "io/feather.h"

namespace selfens::report {

Calibration calibration(const std::filesystem::path& file, const UuidSet* only) {
  Calibration c;
  if (!std::filesystem::exists(file)) return c;
  const io::Table t = io::read_feather(file);
  const auto& ids = t.utf8("uuid");
  const auto& conf = t.float64("confidence");
  const auto& greedy = t.list_utf8("greedy_lemma");
  const auto& answers = t.list_list_utf8("answer_lemmas");
  constexpr int kBins = 10;
  for (int b = 0; b < kBins; ++b) c.bins.push_back({b / double(kBins), (b + 1) / double(kBins), 0, 0, 0});
  for (size_t i = 0; i < ids.size(); ++i) {
    if (only && !only->count(ids[i])) continue;
    if (!std::isfinite(conf[i])) continue;
    const bool right = eval::is_correct(greedy[i], answers[i]);
    const int b = std::clamp(int(conf[i] * kBins), 0, kBins - 1);
    CalibrationBin& bin = c.bins[size_t(b)];
    ++bin.rows;
    bin.confidence += conf[i];
    bin.accuracy += right;
    ++c.rows;
    c.confidence += conf[i];
    c.accuracy += right;
  }
  if (c.rows == 0) return c;
  c.present = true;
  c.confidence /= double(c.rows);
  c.accuracy /= double(c.rows);
  for (CalibrationBin& bin : c.bins) {
    if (bin.rows == 0) continue;
    bin.confidence /= double(bin.rows);
    bin.accuracy /= double(bin.rows);
    c.ece += double(bin.rows) / double(c.rows) * std::fabs(bin.accuracy - bin.confidence);
  }
  return c;
}

}  // namespace selfens::report
