#pragma once
// The options of the job and report commands, parsed from their arguments
// (everything after `selfens COMMAND`) exactly as the CLI parses them: the
// same names, defaults, ranges and one-line InputErrors. The CLI and the
// Python API (python/) both read options through these.
#include <string>
#include <vector>

#include "jobs/confidence.h"
#include "jobs/generate.h"
#include "report/analyze.h"
#include "report/mask.h"

namespace selfens::cli {

GenerateOptions parse_generate_options(const std::vector<std::string>& args);
ConfidenceOptions parse_confidence_options(const std::vector<std::string>& args);
report::AnalyzeOptions parse_analyze_options(const std::vector<std::string>& args);
report::MaskOptions parse_mask_options(const std::vector<std::string>& args);

}  // namespace selfens::cli
