#pragma once
// Logit-level fusion of N paraphrase views into one next-token choice, as the
// original computed it (DESIGN section 4):
//   avg          mean of raw logits
//   max          element-wise max of softmax probabilities
//   weighted_avg logits weighted by confidences normalised over paraphrases
//   weighted_max logits of the paraphrase with the highest confidence
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backend/token_choice.h"
#include "plan/method_recipe.h"  // enum Fusion

namespace selfens {

Fusion parse_fusion(const std::string& method);  // "avg" | "max" | "weighted_avg" | "weighted_max"
std::string fusion_name(Fusion f);

// rows: N rows of `vocab` logits, row-major [N, vocab].
// weights: N confidences (only for weighted methods; need not sum to 1).
// out: [vocab] fused scores whose argmax is the chosen token.
void fuse_logits(Fusion f, std::span<const float> rows, int n, int vocab,
                 std::span<const float> weights, std::span<float> out);

// Appends the TokenChoice of fusing logits rows [row_begin, row_begin + n)
// (weighted_max: the row of the highest confidence; weighted_avg: weights
// normalised here) to `plan`. fuse_logits is this choice's fused scores.
void add_fusion_choice(Fusion f, int32_t row_begin, int n, std::span<const float> weights,
                       ChoicePlan& plan);

// Index of the largest value; ties go to the lowest index (as torch.argmax).
int32_t argmax(std::span<const float> v);

}  // namespace selfens
