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

PlanOptions plan_options(const Args& a) {
  PlanOptions o;
  o.layout = parse_layout(a.str("layout", "shared"));
  o.attention = parse_paraphrase_attention(a.str("paraphrase_attention", "isolated"));
  // Causal attention lays the paraphrases out one after another.
  const bool causal = o.attention == ParaphraseAttention::kCausal;
  o.positions = parse_positions(a.str("positions", causal ? "sequential" : "parallel"));
  o.fusion_bias = parse_fusion_bias(a.str("fusion_bias", "none"));
  o.fusion_temperature = float(a.real("fusion_temperature", 1.0, 1e-3, 1e3));
  o.fusion_scale = float(a.real("fusion_scale", 1.0, 1e-6, 1e6));
  return o;
}

data::ParaphraseOrder paraphrase_order_option(const Args& a) {
  return data::parse_paraphrase_order(a.str("paraphrase_order", "original"));
}

std::vector<int> devices_option(const Args& a, const std::string& device) {
  if (!a.has("devices")) return {};
  if (a.str("devices", "") == "all") {
    const int n = resolve_backend_kind(device) == "cpu" ? 1 : gpu_count();
    SELFENS_REQUIRE(n > 0, "--devices all: this machine has no usable GPU");
    std::vector<int> all(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) all[size_t(i)] = i;
    return all;
  }
  std::vector<int> list = a.int_list("devices");
  SELFENS_REQUIRE(!list.empty(), "--devices: give GPU indices (0,1,...) or all");
  for (int d : list)
    SELFENS_REQUIRE(d >= 0 && d < 64, "--devices: " + std::to_string(d) + " is not a GPU index");
  return list;
}

bool split_option(const Args& a) {
  const std::string s = a.str("split", "none");
  SELFENS_REQUIRE(s == "none" || s == "layers",
                  "--split: expected layers or none, got '" + s + "'");
  return s == "layers";
}

Shard shard_option(const Args& a) {
  return a.has("shard") ? parse_shard(a.str("shard", "")) : Shard{};
}

uint64_t seed_option(const Args& a) {
  std::string s = a.str("seed", "0");
  SELFENS_REQUIRE(!s.empty() && s.find_first_not_of("0123456789") == std::string::npos &&
                      s.size() <= 19,
                  "--seed must be a non-negative integer, got '" + s + "'");
  return std::stoull(s);
}

}  // namespace selfens::cli
