#include "cli/job_options.h"

#include "backend/backend.h"
#include "util/check.h"

namespace selfens::cli {

std::string non_empty_path(const Args& a, const std::string& name, const std::string& fallback) {
  std::string v = a.str(name, fallback);
  SELFENS_REQUIRE(!v.empty(), "--" + name + " is empty (give a folder; '.' for this one)");
  return v;
}

std::string device_option(const Args& a) {
  std::string d = a.str("device", "auto");
  resolve_backend_kind(d);
  return d;
}

CheckpointPolicy checkpoint_policy(const Args& a) {
  CheckpointPolicy p;
  p.seconds = a.real("checkpoint_seconds", p.seconds, 0);
  p.questions = a.integer("checkpoint_questions", static_cast<int>(p.questions), 0);
  return p;
}

}  // namespace selfens::cli
