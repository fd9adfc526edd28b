// A model's size is known before its weights are read, and a model that
// cannot fit the device is refused in one line that says what would fit.
#include <gtest/gtest.h>

#include "common/test_paths.h"
#include "model/footprint.h"
#include "model/loader.h"
#include "util/check.h"

namespace selfens {
namespace {

int64_t loaded_parameters(const Model& m) {
  int64_t n = m.weights.tok_embeddings.numel() + m.weights.final_norm.numel() +
              m.weights.lm_head.numel();
  for (const LayerWeights& l : m.weights.layers)
    for (const HostTensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.bq, &l.bk, &l.bv, &l.q_norm,
                                &l.k_norm, &l.wo, &l.ffn_norm, &l.w_gate, &l.w_up, &l.w_down})
      n += t->numel();
  return n;
}

TEST(Footprint, ParameterCountFromTheConfigEqualsTheLoadedWeights) {
  for (const std::string name : {"tiny-llama3", "tiny-qwen2", "tiny-qwen3"}) {
    const std::string dir = (test::fixtures_dir() / "models" / name).string();
    const Model m = load_model(dir);
    EXPECT_EQ(parameter_count(peek_model_config(dir)), loaded_parameters(m)) << name;
  }
  const std::string gguf = test::default_model_gguf().string();
  const ModelConfig c = peek_model_config(gguf);
  EXPECT_EQ(parameter_count(c), loaded_parameters(load_model(gguf)));
  EXPECT_EQ(parameter_count(c), 134515008);  // SmolLM2-135M
}

std::string fit_error(const ModelConfig& c, const DeviceMemory& d) {
  try {
    require_fits("big-model", c, d);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(Footprint, ALlama70BIsRefusedOnOneGpuWithSizesAndAWayOut) {
  ModelConfig c;  // Llama-3.1-70B's shape
  c.vocab_size = 128256, c.hidden_size = 8192, c.intermediate_size = 28672, c.num_layers = 80;
  c.num_heads = 64, c.num_kv_heads = 8, c.head_dim = 128;
  EXPECT_NEAR(double(parameter_count(c)) / 1e9, 70.55, 0.01);
  const DeviceMemory h100{"cuda", "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB", 84935000000LL, 2, "bf16"};
  const std::string e = fit_error(c, h100);
  for (const char* part : {"big-model", "70.6 B parameters", "131.4 GiB", "bf16", "79.1 GiB",
                           "smaller model"})
    EXPECT_NE(e.find(part), std::string::npos) << part << " in: " << e;
  // fp32 on a GPU where bf16 would fit names --device cuda.
  ModelConfig small = c;
  small.num_layers = 20;  // ~19 B: 77 GB as fp32, 38 GB as bf16
  const DeviceMemory f32{"cuda-f32", "NVIDIA H100", 84935000000LL, 4};
  EXPECT_NE(fit_error(small, f32).find("--device cuda (bf16) would fit"), std::string::npos);
  EXPECT_EQ(fit_error(small, h100), "");
  EXPECT_EQ(fit_error(c, DeviceMemory{}), "") << "unknown memory: no check";
}

TEST(Footprint, A70BThatFitsTheMachinesGpusTogetherNamesSplitLayers) {
  ModelConfig c;  // Llama-3.1-70B's shape: 131.4 GiB in bf16
  c.vocab_size = 128256, c.hidden_size = 8192, c.intermediate_size = 28672, c.num_layers = 80;
  c.num_heads = 64, c.num_kv_heads = 8, c.head_dim = 128;
  DeviceMemory one_of_two{"cuda", "NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB", 84935000000LL, 2, "bf16"};
  one_of_two.gpus = 2;
  one_of_two.all_gpus_bytes = 2 * 84935000000LL;  // 158 GiB: 90% is 142 GiB
  EXPECT_NE(fit_error(c, one_of_two).find("--split layers --devices all (its 2 GPUs: 158.2 GiB) "
                                          "would fit it"),
            std::string::npos)
      << fit_error(c, one_of_two);
  // Split over both: the sum is what counts (each part's share: layer_split.h).
  DeviceMemory both = one_of_two;
  both.bytes = both.all_gpus_bytes;
  both.split_parts = 2;
  EXPECT_EQ(fit_error(c, both), "");
  // Split over two GPUs that are too small together: sizes, no split hint.
  both.bytes = 2 * 60000000000LL;
  const std::string e = fit_error(c, both);
  EXPECT_NE(e.find("--device cuda --split layers"), std::string::npos) << e;
  EXPECT_NE(e.find("more or larger GPUs"), std::string::npos) << e;
}

TEST(Footprint, LoadModelChecksBeforeReadingWeights) {
  LoadOptions o;
  o.device = DeviceMemory{"cpu", "a 1 MiB machine", 1 << 20, 4};
  try {
    load_model(test::default_model_gguf().string(), o);
    FAIL() << "a 135M model fitted 1 MiB";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a 1 MiB machine"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace selfens
