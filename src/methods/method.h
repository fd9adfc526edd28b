#pragma once
// A run's method configuration: the method (its recipe in
// plan/method_recipe.h), which paraphrases each question is asked with
// (data/paraphrase_selection.h: first N, indices, a pool or synced samples),
// the plan options and the answer length.
#include <string>
#include <vector>

#include "data/paraphrase_selection.h"
#include "plan/method_recipe.h"

namespace selfens {

struct MethodConfig {
  Method method = Method::kOrigin;
  data::ParaphraseSelection paraphrases;  // origin: first 1 (or one index)
  PlanOptions plan;  // fused plans' options (layout, positions, fusion transform)
  int max_new_tokens = 20;
  // false: answers run to max_new_tokens (or EOS) after their first line has
  // ended (the prediction, that first line, is the same; benchmarks that
  // time exactly max_new_tokens tokens per question use it).
  bool stop_at_newline = true;
  // Paraphrases per ask, as file names count them.
  int views() const { return paraphrases.views(); }
};

// Checks option combinations (e.g. concat/sequential only for flex_attention).
void validate(const MethodConfig& config);

}  // namespace selfens
