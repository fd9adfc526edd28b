#pragma once
// Calibration of the confidence scores (`selfens confidence`): is a
// paraphrase's greedy answer right as often as its confidence says? The
// rows of confidence.feather (one per question and paraphrase) in ten
// equal-width confidence bins: each bin's mean confidence and accuracy of
// the greedy answer (the reliability diagram), and the expected
// calibration error ECE = sum over bins of (rows in bin / rows) x
// |accuracy - mean confidence|.
#include <filesystem>
#include <string>
#include <vector>

#include "report/result_cache.h"

namespace selfens::report {

struct CalibrationBin {
  double low = 0, high = 0;  // confidence range [low, high) (the last bin includes 1)
  size_t rows = 0;
  double confidence = 0, accuracy = 0;  // means over the bin's rows
};

struct Calibration {
  bool present = false;
  std::string missing;  // the command that makes confidence.feather
  size_t rows = 0;
  double accuracy = 0, confidence = 0, ece = 0;
  std::vector<CalibrationBin> bins;  // 10, empty ones included
};

// `only`: these questions (null: all).
Calibration calibration(const std::filesystem::path& confidence_file, const UuidSet* only);

}  // namespace selfens::report
