#include "plan/span_graph.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "util/check.h"

namespace selfens {
namespace {

std::vector<SpanId> ids(const std::vector<VisibleSpan>& v) {
  std::vector<SpanId> out;
  for (const VisibleSpan& s : v) out.push_back(s.id);
  return out;
}

TEST(SpanGraph, VisibleIsAncestorsOnceThenSelf) {
  SpanGraph g;
  const SpanId p = g.create({}, 0);
  const SpanId q1 = g.create(std::array{p}, 10);
  const SpanId q2 = g.create(std::array{p}, 10);
  const SpanId q3 = g.create(std::array{p}, 10);
  const std::array<KeyBias, 2> bias{KeyBias{q1, -0.5f}, KeyBias{q3, -0.25f}};
  const SpanId f = g.create(std::array{q1, q2, q3}, 20, bias);
  EXPECT_EQ(ids(g.visible(p)), (std::vector<SpanId>{p}));
  EXPECT_EQ(ids(g.visible(q2)), (std::vector<SpanId>{p, q2}));
  const std::vector<VisibleSpan> v = g.visible(f);
  EXPECT_EQ(ids(v), (std::vector<SpanId>{p, q1, q2, q3, f}));  // P only once
  EXPECT_FLOAT_EQ(v[0].bias, 0.0f);
  EXPECT_FLOAT_EQ(v[1].bias, -0.5f);
  EXPECT_FLOAT_EQ(v[2].bias, 0.0f);
  EXPECT_FLOAT_EQ(v[3].bias, -0.25f);
  EXPECT_TRUE(v[4].self);
  EXPECT_FALSE(v[0].self);
  // A chain: P -> Q -> G sees P, Q, G.
  const SpanId gg = g.create(std::array{q2}, 15);
  EXPECT_EQ(ids(g.visible(gg)), (std::vector<SpanId>{p, q2, gg}));
}

TEST(SpanGraph, LifecycleAndErrors) {
  SpanGraph g;
  const SpanId p = g.create({}, 0);
  const SpanId q = g.create(std::array{p}, 4);
  EXPECT_THROW(g.create(std::array{SpanId{42}}, 0), InputError);      // unknown parent
  EXPECT_THROW(g.create(std::array{p, p}, 0), InputError);            // parent twice
  EXPECT_THROW(g.create({}, -1), InputError);                         // bad position
  const std::array<KeyBias, 1> not_ancestor{KeyBias{q, 1.0f}};
  EXPECT_THROW(g.create(std::array{p}, 4, not_ancestor), InputError);  // q is a sibling
  EXPECT_THROW(g.destroy(p), InputError);                             // q still uses it
  g.append(q, 3);
  EXPECT_EQ(g.get(q).length, 3);
  g.destroy(q);
  EXPECT_FALSE(g.exists(q));
  EXPECT_THROW(g.get(q), InputError);
  g.destroy(p);
  EXPECT_EQ(g.size(), 0u);
  // Ids are never reused.
  EXPECT_GT(g.create({}, 0), q);
}

TEST(DenseMask, FlexAttentionPattern) {
  SpanGraph g;
  const SpanId p = g.create({}, 0);
  g.append(p, 2);
  const SpanId q1 = g.create(std::array{p}, 2);
  g.append(q1, 2);
  const SpanId q2 = g.create(std::array{p}, 2);
  g.append(q2, 1);
  const std::array<KeyBias, 2> bias{KeyBias{q1, -std::log(2.0f)}, KeyBias{q2, -std::log(2.0f)}};
  const SpanId f = g.create(std::array{q1, q2}, 4, bias);
  g.append(f, 2);
  const std::array order{p, q1, q2, f};
  const DenseMask m = build_dense_mask(g, order);
  ASSERT_EQ(m.n, 7);
  EXPECT_EQ(render_mask(m),
            "#......\n"
            "##.....\n"
            "###....\n"   // Q1 sees P and itself causally
            "####...\n"
            "##..#..\n"   // Q2 sees P, not Q1
            "######.\n"   // F sees P, Q1, Q2, and itself causally
            "#######\n");
  EXPECT_EQ(m.position, (std::vector<int32_t>{0, 1, 2, 3, 2, 4, 5}));
  EXPECT_EQ(m.span_of, (std::vector<SpanId>{p, p, q1, q1, q2, f, f}));
  EXPECT_FLOAT_EQ(m.bias[5 * 7 + 2], -std::log(2.0f));  // F on Q1
  EXPECT_FLOAT_EQ(m.bias[5 * 7 + 4], -std::log(2.0f));  // F on Q2
  EXPECT_FLOAT_EQ(m.bias[5 * 7 + 0], 0.0f);             // F on P
  EXPECT_FLOAT_EQ(m.bias[5 * 7 + 5], 0.0f);             // F on itself
  // Spans left out of the list are absent from the mask.
  const std::array some{q1, f};
  const DenseMask s = build_dense_mask(g, some);
  EXPECT_EQ(render_mask(s), "#...\n##..\n###.\n####\n");
}

}  // namespace
}  // namespace selfens
