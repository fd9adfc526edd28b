#pragma once
// Sampling of one token from a logits row, as Hugging Face transformers
// samples: logits / temperature, then top-k (keep the k largest, ties with
// the k-th kept), then top-p (keep the smallest set of most probable tokens
// whose probability sums to >= top_p, always at least one), then the token
// at uniform number u of the renormalised distribution. The reference of
// the devices' sampled choices (token_choice.h, ChoiceKind::kSample).
#include <cstdint>
#include <span>
#include <vector>

namespace selfens {

struct SamplingParams {
  float temperature = 1.0f;  // > 0
  float top_p = 1.0f;        // in (0, 1]; 1: off
  int top_k = 0;             // >= 0; 0: off
  uint64_t seed = 0;
};

// InputError naming the option ("--temperature must be > 0, got 0").
void validate(const SamplingParams& p);

// Draws tokens from logit rows. Holds scratch buffers: one per thread.
// The kept tokens are walked in id order (top-p off) or most probable first
// (ties by lower id; top-p on), weights exp((logit - max) / T) in fp64.
class Sampler {
 public:
  explicit Sampler(SamplingParams params);
  const SamplingParams& params() const { return params_; }
  void set_params(SamplingParams params);  // validated; the scratch buffers stay
  // The token for uniform number u in [0, 1).
  int32_t sample(std::span<const float> logits, double u);
  // The kept tokens and their renormalised probabilities (most probable
  // first, ties by lower id): the distribution sample() draws from.
  void distribution(std::span<const float> logits, std::vector<int32_t>& ids,
                    std::vector<double>& probs);

 private:
  // Fills kept_ (token ids, most probable first when top-p is on) and w_
  // (unnormalised weights per vocab id); returns the kept mass.
  double prepare(std::span<const float> logits);
  SamplingParams params_;
  std::vector<double> w_;        // [vocab] exp((logit - max) / T), 0 when cut
  std::vector<int32_t> kept_;    // candidate token ids
  std::vector<float> kth_;       // [vocab] scratch for top-k
  bool ordered_ = false;         // kept_ is sorted by weight (top-p ran)
};

}  // namespace selfens
