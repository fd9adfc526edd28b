#pragma once
// Where results go, named as the original named them:
//   ROOT/{dataset}/{model}/origin.feather
//   ROOT/{dataset}/{model}/per_prompt.feather
//   ROOT/{dataset}/{model}/ensemble_{avg|max|weighted_avg|weighted_max}-{N}.feather
//   ROOT/{dataset}/{model}/flex_attention-{N}.feather
//   ROOT/{dataset}/{model}/confidence.feather
//   ROOT/{dataset}/{model}/paraphrases.jsonl          (webqa, made by `paraphrase`)
// With explicit paraphrase indices (--indexs 0,2,4) the run goes to
//   ROOT/{dataset}/{model}/diversity/{stem}-{indexs}.feather
// where {indexs} is the list joined by commas ("0,2,4"), exactly the string the
// original passed on its command line (generate.py: f"ensemble_{method}-{indexs}").
// Paraphrase pools and synced samples (paraphrase_selection.h), as the
// original's generate_original.py and g_ori_sample_sync_xzhao.py named them:
//   ROOT/{dataset}/{model}/{stem}-m{M}a{A}s{S}.feather
//   ROOT/{dataset}/{model}/syncedsample_{stem}-{N}paras-{S}samples[-repeat].feather
// ({stem}: ensemble_avg, flex_attention, per_prompt, ...).
// ROOT defaults to "datasets" (the original's DATATASET_ROOT).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/paraphrase_selection.h"

namespace selfens::data {

// A model name as a directory name: the last path component of a path or a
// Hugging Face id ("HuggingFaceTB/SmolLM2-135M-Instruct" ->
// "SmolLM2-135M-Instruct"), without a ".gguf" extension. A name without '/'
// is kept as is ("llama3.2_3b_it"). InputError when nothing is left.
std::string output_model_name(const std::string& model);

// "0,2,4"
std::string join_indexs(const std::vector<int>& indexs);

// A shard's file name, STEM.shardKofN.feather (jobs/shard.h; K 1-based).
struct ShardFile {
  std::string stem;
  int index = 0, count = 0;  // K, N
};
std::string shard_file_name(const ShardFile& f);
// nullopt for other names.
std::optional<ShardFile> parse_shard_file(const std::string& name);
// Whether a file name is a shard's: reports read merged files only.
inline bool is_shard_file(const std::string& name) { return parse_shard_file(name).has_value(); }

class OutputPaths {
 public:
  // `model` goes through output_model_name().
  OutputPaths(std::filesystem::path root, std::string dataset, const std::string& model);

  std::filesystem::path dir() const;  // ROOT/{dataset}/{model}
  std::filesystem::path origin() const;
  std::filesystem::path per_prompt() const;
  std::filesystem::path confidence() const;
  std::filesystem::path paraphrases() const;  // paraphrases.jsonl
  // method: avg | max | weighted_avg | weighted_max (else InputError).
  std::filesystem::path ensemble(const std::string& method, int n) const;
  std::filesystem::path flex_attention(int n) const;
  // Any method by name (method_recipe.h), with n paraphrases, or in
  // diversity/ when indexs is given; a fused plan's non-default options
  // (fusion_variant) end the name: flex_attention-5_mean_T0.5.feather.
  std::filesystem::path run_file(const std::string& method, int n,
                                 const std::vector<int>& indexs = {},
                                 const std::string& variant = {}) const;
  // The file of a run asking each question as `selection` says.
  std::filesystem::path selection_file(const std::string& method,
                                       const ParaphraseSelection& selection,
                                       const std::string& variant = {}) const;

  const std::filesystem::path& root() const { return root_; }
  const std::string& dataset() const { return dataset_; }
  const std::string& model() const { return model_; }

 private:
  std::filesystem::path root_;
  std::string dataset_;
  std::string model_;
};

}  // namespace selfens::data
