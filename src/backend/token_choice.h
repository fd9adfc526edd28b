#pragma once
// Next-token choices made where the logits are (on the GPU for the CUDA
// backend), so that a decode step downloads one id per choice instead of
// whole logits rows. A choice fuses consecutive logits rows, then takes the
// argmax (ties to the lowest id, as torch.argmax):
//
//   kWeightedSum  sum_i w_i * logits_i   (w: the choice's weights, or 1/n
//                 each when it has none): avg, weighted_avg, and a single
//                 row (greedy; weighted_max picks its row on the host)
//   kMaxProb      max_i softmax(logits_i): the `max` ensemble
//   kSample       one row, sampled as transformers samples (token_sampler.h)
//                 at the draw's uniform number: `confidence`, `paraphrase`
//
// fuse_choice / choose_tokens_host are the reference (fp64 accumulation);
// backends that choose on the device are checked against them.
#include <cstdint>
#include <span>
#include <vector>

namespace selfens {

enum class ChoiceKind : int32_t { kWeightedSum = 0, kMaxProb = 1, kSample = 2 };

struct TokenChoice {
  int32_t row_begin = 0;     // first logits row (index among the rows returned)
  int32_t n_rows = 1;        // consecutive rows fused
  ChoiceKind kind = ChoiceKind::kWeightedSum;
  int32_t weight_begin = -1;  // into ChoicePlan::weights (n_rows of them); -1: 1/n each;
                              // kSample: into ChoicePlan::draws
};

// The parameters of one sampled choice (SamplingParams without the seed,
// and the stream's uniform number of this step).
struct SampleDraw {
  float temperature = 1.0f;  // > 0
  float top_p = 1.0f;        // (0, 1]
  int32_t top_k = 0;         // 0: off
  int32_t unused = 0;
  double u = 0.0;            // in [0, 1)
};

struct ChoicePlan {
  std::vector<TokenChoice> choices;
  std::vector<float> weights;
  std::vector<SampleDraw> draws;
};

// Fused scores of one choice: rows [n_rows, vocab] row-major; out [vocab].
void fuse_choice(const TokenChoice& c, std::span<const float> weights,
                 std::span<const float> rows, int32_t vocab, std::span<float> out);

// Throws when a choice reaches outside the n_logit_rows rows, the weights or
// the draws (SELFENS_CHECK), or a draw's parameters are invalid (InputError):
// what every backend checks before choosing.
void check_choices(const ChoicePlan& plan, size_t n_logit_rows);

// The chosen id of every choice; logits [n_logit_rows, vocab] on the host.
// Many choices are split over up to 16 threads (same ids).
// Throws (SELFENS_CHECK) when a choice reaches outside the rows or weights.
std::vector<int32_t> choose_tokens_host(std::span<const float> logits, int32_t vocab,
                                        const ChoicePlan& plan);
// The same for choices [begin, end) only, into out[begin, end) (out has one
// slot per choice): threads may choose disjoint ranges at once.
void choose_tokens_host_range(std::span<const float> logits, int32_t vocab,
                              const ChoicePlan& plan, size_t begin, size_t end,
                              std::span<int32_t> out);

// Index of the largest value; ties go to the lowest index.
int32_t argmax_lowest(std::span<const float> v);

}  // namespace selfens
