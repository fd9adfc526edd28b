// --split layers: the placement of layers by memory, and the guarantee that
// a model split over several backends computes exactly what one backend
// computes (same ops, same order; the residual stream passes through the
// host unchanged).
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "common/error_of.h"
#include "engine/engine.h"
#include "engine/layer_split.h"
#include "engine/reference.h"
#include "model/footprint.h"

namespace selfens {
namespace {

ModelConfig llama_like(int layers) {
  ModelConfig c;
  c.num_layers = layers;
  c.hidden_size = 256;
  c.intermediate_size = 512;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.head_dim = 64;
  c.vocab_size = 1000;
  c.tie_word_embeddings = true;
  return c;
}

TEST(SplitLayers, EqualDevicesGetEqualShares) {
  const ModelConfig c = llama_like(8);
  const int64_t big = int64_t(1) << 40;
  const std::vector<LayerRange> r = split_layers(c, 2, std::array{big, big});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].begin, 0);
  EXPECT_EQ(r[0].end, 4);
  EXPECT_EQ(r[1].begin, 4);
  EXPECT_EQ(r[1].end, 8);
  EXPECT_EQ(describe_split(r), "0-3 | 4-7");
}

TEST(SplitLayers, ShareFollowsMemoryAndEveryLayerIsPlacedOnce) {
  const ModelConfig c = llama_like(10);
  const SplitFootprint f = split_footprint(c, 2, 3);
  EXPECT_EQ(f.layer, layer_parameter_count(c) * 2);
  EXPECT_EQ(f.first_extra, int64_t(c.vocab_size) * c.hidden_size * 2);
  // Tied embeddings over several parts: the last holds a copy for the output.
  EXPECT_EQ(f.last_extra, (int64_t(c.vocab_size) + 1) * c.hidden_size * 2);
  // Room for 2, 6 and 4 layers after the extras.
  const std::array<int64_t, 3> cap{f.first_extra + 2 * f.layer, 6 * f.layer,
                                   f.last_extra + 4 * f.layer};
  const std::vector<LayerRange> r = split_layers(c, 2, cap);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].size(), 2);  // 10 x 2/12, rounded
  EXPECT_EQ(r[1].size(), 5);  // 8 left x 6/10
  EXPECT_EQ(r[2].size(), 3);
  EXPECT_EQ(r[0].begin, 0);
  EXPECT_EQ(r[1].begin, r[0].end);
  EXPECT_EQ(r[2].begin, r[1].end);
  EXPECT_EQ(r[2].end, 10);
}

TEST(SplitLayers, WhatDoesNotFitIsRefusedInALine) {
  const ModelConfig c = llama_like(8);
  const SplitFootprint f = split_footprint(c, 2, 2);
  const std::array<int64_t, 2> small{f.first_extra + 3 * f.layer, f.last_extra + 3 * f.layer};
  const std::string e = test::error_of([&] { split_layers(c, 2, small); });
  EXPECT_NE(e.find("--split layers: the weights need"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot hold"), std::string::npos) << e;
  const int64_t big = int64_t(1) << 40;
  const std::string few = test::error_of([&] {
    split_layers(llama_like(2), 2, std::array{big, big, big});
  });
  EXPECT_NE(few.find("2 layers cannot be split over 3 devices"), std::string::npos) << few;
}

// The same batches through one backend and through 2 and 3 parts: the same
// logits, bit for bit, and the same K/V in every layer.
TEST(SplitLayers, PartsComputeExactlyWhatOneBackendComputes) {
  // Tied embeddings: the last part gets its own copy for the output.
  auto model = test::make_tiny_model({true, true, true, 3, 11});
  std::mt19937 rng(5);
  const int V = model->config.vocab_size;
  const std::vector<int> p = test::random_tokens(rng, 19, V);
  const std::vector<std::vector<int>> qs = {test::random_tokens(rng, 7, V),
                                            test::random_tokens(rng, 4, V)};
  struct Run {
    std::vector<std::vector<float>> logits;
    std::vector<std::vector<float>> k;
  };
  auto run = [&](std::vector<int> split) {
    EngineOptions o;
    o.threads = 2;
    o.kv_pages = 64;
    o.split_devices = split;
    Engine engine(model, o);
    EXPECT_EQ(engine.layer_ranges().size(), std::max<size_t>(1, split.size()));
    Run r;
    const SpanId sp = engine.create_span({}, 0);
    StepBatch b;
    b.add_tokens(p, sp, true);
    std::vector<SpanId> q_ids;
    for (const auto& q : qs) {
      q_ids.push_back(engine.create_span(std::array{sp}, int32_t(p.size())));
      b.add_tokens(q, q_ids.back(), true);
    }
    for (int step = 0; step < 3; ++step) {
      const Logits out = engine.forward(b);
      for (int i = 0; i < out.rows; ++i) r.logits.emplace_back(out.row(i).begin(), out.row(i).end());
      b.clear();
      for (size_t i = 0; i < q_ids.size(); ++i) {  // the questions' last rows
        const std::span<const float> row = out.row(out.rows - int(q_ids.size()) + int(i));
        b.add(int(std::max_element(row.begin(), row.end()) - row.begin()), q_ids[i], true);
      }
    }
    for (int l = 0; l < model->config.num_layers; ++l) {
      std::vector<float> k, v;
      engine.read_kv(q_ids[0], l, k, v);
      r.k.push_back(k);
    }
    return r;
  };
  const Run one = run({});
  for (const std::vector<int>& split : {std::vector<int>{0, 0}, std::vector<int>{0, 0, 0}}) {
    const Run parts = run(split);
    ASSERT_EQ(parts.logits.size(), one.logits.size());
    for (size_t i = 0; i < one.logits.size(); ++i)
      EXPECT_EQ(parts.logits[i], one.logits[i]) << split.size() << " parts, logit row " << i;
    EXPECT_EQ(parts.k, one.k) << split.size() << " parts";
  }
}

}  // namespace
}  // namespace selfens
