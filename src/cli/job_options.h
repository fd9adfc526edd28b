#pragma once
// The options the job commands (generate, confidence, paraphrase) share,
// read and range-checked in one place so that every command accepts the
// same values and rejects the same mistakes with the same message.
#include <cstdint>
#include <string>

#include "cli/args.h"
#include "data/dataset.h"
#include "jobs/shard.h"
#include "plan/method_recipe.h"
#include "util/checkpoint.h"

namespace selfens::cli {

// Names of the shared options, for Args' option list.
inline constexpr const char* kJobOptionNames[] = {"dataset", "data_dir", "model", "max_samples",
                                                  "batch_size", "threads", "device", "output_dir"};

// --NAME's value, InputError when it is given empty.
std::string non_empty_path(const Args& a, const std::string& name, const std::string& fallback);
// --device, checked (resolve_backend_kind) but kept as given.
std::string device_option(const Args& a);

// Reads the shared options into any job's options struct (fields model,
// dataset, data_dir, output_dir, max_samples, batch_size, threads, device,
// quiet, overwrite). --device is checked here, before any other work.
template <class Options>
void read_job_options(const Args& a, Options& o) {
  o.model = a.str("model", o.model);
  o.dataset = a.str("dataset", o.dataset);
  o.data_dir = non_empty_path(a, "data_dir", o.data_dir.string());
  o.output_dir = non_empty_path(a, "output_dir", o.output_dir.string());
  o.max_samples = a.integer("max_samples", -1, 1);
  o.batch_size = a.integer("batch_size", o.batch_size, 1, 1 << 16);
  o.threads = a.integer("threads", 0, 1, 4096);  // absent: every core
  o.device = device_option(a);
  o.quiet = a.flag("quiet");
  o.overwrite = a.flag("overwrite");
}

// The options of a fused plan (generate and mask): --layout, --positions,
// --fusion_bias, --fusion_temperature, --fusion_scale, and their usage lines.
inline constexpr const char* kPlanOptionNames[] = {
    "layout", "positions", "fusion_bias", "fusion_temperature", "fusion_scale",
    "paraphrase_attention"};
inline constexpr const char* kPlanOptionsUsage =
    "  --layout shared|concat   --positions parallel|sequential   --fusion_bias none|mean\n"
    "  --fusion_temperature T (1)  --fusion_scale S (1)   fused plans: G scores each\n"
    "                  paraphrase's keys as q.k/sqrt(d)/T + log S (+ -log N with mean)\n"
    "  --paraphrase_attention isolated|causal  causal: no isolation, plain causal attention\n"
    "                  over the concatenated paraphrases (the original's --normal_attention\n"
    "                  ablation; positions sequential; file flex_attention-N_causal)\n";
PlanOptions plan_options(const Args& a);

// --paraphrase_order original|file (generate, confidence; MyriadLAMA).
data::ParaphraseOrder paraphrase_order_option(const Args& a);

// --devices 0,1,... | all (generate): GPU indices ("all": every GPU of
// the machine; on the CPU a list of engines). Empty when not given.
std::vector<int> devices_option(const Args& a, const std::string& device);
// --split layers|none (generate): whether the --devices entries hold one
// model's layers between them instead of a model copy each.
bool split_option(const Args& a);

// --shard K/N (generate, confidence; jobs/shard.h).
Shard shard_option(const Args& a);

// --seed: a non-negative integer below 2^64 (InputError naming the option).
uint64_t seed_option(const Args& a);

// --checkpoint_seconds and --checkpoint_questions (generate, confidence).
CheckpointPolicy checkpoint_policy(const Args& a);

}  // namespace selfens::cli
