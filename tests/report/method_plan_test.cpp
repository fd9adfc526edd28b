// Attention plans per method, checked through their ascii pictures for tiny
// segment lengths (P = 2, Q = [2, 3] with a one-token answer cue, G = 2):
// the expected visibility is written out by hand from DESIGN section 2. The
// pictures are of the plan the runner builds (plan/question_plan.h): an
// answer is appended to its question's span, and flex_attention's G starts
// with the cue taken from the end of the questions.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "report/mask.h"
#include "report/method_plan.h"
#include "util/check.h"

namespace selfens::report {
namespace {

const PlanShape kShape{2, {2, 3}, 2};

// The picture without its title line.
std::string body(std::string_view method, PlanOptions opt = {}) {
  const std::string s = render_mask_ascii(build_method_plan(method, kShape, opt), "t");
  return s.substr(s.find('\n') + 1);
}

TEST(MethodPlan, OriginIsPrefixQuestionGenerated) {
  EXPECT_EQ(body("origin"),
            "span P: len 2, pos 0..1, parents -\n"
            "span Q1: len 2, pos 2..3, parents P\n"
            "span G: len 2, pos 4..5, appended to Q1\n"
            "P  |#.|..|..\n"
            "P  |##|..|..\n"
            "Q1 |##|#.|..\n"
            "Q1 |##|##|..\n"
            "G  |##|##|#.\n"
            "G  |##|##|##\n");
}

TEST(MethodPlan, LogitEnsemblesAndPerPromptHaveIndependentRows) {
  const std::string expected =
      "span P: len 2, pos 0..1, parents -\n"
      "span Q1: len 2, pos 2..3, parents P\n"
      "span Q2: len 3, pos 2..4, parents P\n"
      "span G1: len 2, pos 4..5, appended to Q1\n"
      "span G2: len 2, pos 5..6, appended to Q2\n"
      "P  |#.|..|...|..|..\n"
      "P  |##|..|...|..|..\n"
      "Q1 |##|#.|...|..|..\n"
      "Q1 |##|##|...|..|..\n"
      "Q2 |##|..|#..|..|..\n"
      "Q2 |##|..|##.|..|..\n"
      "Q2 |##|..|###|..|..\n"
      "G1 |##|##|...|#.|..\n"
      "G1 |##|##|...|##|..\n"
      "G2 |##|..|###|..|#.\n"
      "G2 |##|..|###|..|##\n";
  for (const char* m : {"per_prompt", "avg", "max", "weighted_avg", "weighted_max"}) {
    EXPECT_EQ(body(m), expected) << m;
    // Independent rows are separate sequences: plan options do not apply.
    EXPECT_THROW(body(m, {Layout::kShared, Positions::kSequential, FusionBias::kNone}), InputError)
        << m;
  }
}

TEST(MethodPlan, FlexAttentionParallel) {
  EXPECT_EQ(body("flex_attention"),
            "span P: len 2, pos 0..1, parents -\n"
            "span Q1: len 1, pos 2..2, parents P\n"
            "span Q2: len 2, pos 2..3, parents P\n"
            "span G: len 3, pos 4..6, parents Q1,Q2\n"
            "P  |#.|.|..|...\n"
            "P  |##|.|..|...\n"
            "Q1 |##|#|..|...\n"
            "Q2 |##|.|#.|...\n"
            "Q2 |##|.|##|...\n"
            "G  |##|#|##|#..\n"
            "G  |##|#|##|##.\n"
            "G  |##|#|##|###\n");
}

TEST(MethodPlan, FlexAttentionSequentialPositions) {
  const std::string s = body("flex_attention", {Layout::kShared, Positions::kSequential, {}});
  EXPECT_NE(s.find("span Q1: len 1, pos 2..2, parents P\n"), std::string::npos) << s;
  EXPECT_NE(s.find("span Q2: len 2, pos 3..4, parents P\n"), std::string::npos) << s;
  EXPECT_NE(s.find("span G: len 3, pos 5..7, parents Q1,Q2\n"), std::string::npos) << s;
  // Visibility is the same as parallel; only positions move.
  EXPECT_EQ(s.substr(s.find("P  |")), body("flex_attention").substr(s.find("P  |")));
}

TEST(MethodPlan, FlexAttentionMeanBiasOnEachQuestion) {
  const std::string s = body("flex_attention", {Layout::kShared, Positions::kParallel,
                                                FusionBias::kMean});
  EXPECT_NE(s.find("span G: len 3, pos 4..6, parents Q1,Q2, bias Q1:-0.6931,Q2:-0.6931\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("G  |##|+|++|#..\nG  |##|+|++|##.\nG  |##|+|++|###\n"), std::string::npos) << s;
  const MethodPlan plan = build_method_plan(
      "flex_attention", kShape, {Layout::kShared, Positions::kParallel, FusionBias::kMean});
  const DenseMask m = build_dense_mask(plan.graph, plan.segments());
  EXPECT_NEAR(m.bias[size_t(5) * m.n + 2], -std::log(2.0f), 1e-6);  // G0 -> Q1[0]
  EXPECT_EQ(m.bias[size_t(5) * m.n + 0], 0.0f);                      // G0 -> P: no bias
}

TEST(MethodPlan, ConcatSequentialAndParallel) {
  const std::string seq = body("flex_attention", {Layout::kConcat, Positions::kSequential, {}});
  EXPECT_EQ(seq,
            "span P+Q1: len 3, pos 0..2, parents -\n"
            "span P+Q2: len 4, pos 3..6, parents -\n"
            "span G: len 3, pos 7..9, parents P+Q1,P+Q2\n"
            "P+Q1 |#..|....|...\n"
            "P+Q1 |##.|....|...\n"
            "P+Q1 |###|....|...\n"
            "P+Q2 |...|#...|...\n"
            "P+Q2 |...|##..|...\n"
            "P+Q2 |...|###.|...\n"
            "P+Q2 |...|####|...\n"
            "G    |###|####|#..\n"
            "G    |###|####|##.\n"
            "G    |###|####|###\n");
  const std::string par = body("flex_attention", {Layout::kConcat, Positions::kParallel, {}});
  EXPECT_NE(par.find("span P+Q2: len 4, pos 0..3, parents -\n"), std::string::npos) << par;
  EXPECT_NE(par.find("span G: len 3, pos 4..6, parents P+Q1,P+Q2\n"), std::string::npos) << par;
}

TEST(MethodPlan, SpansInDisplayOrderWithKinds) {
  const MethodPlan p = build_method_plan("flex_attention", kShape);
  ASSERT_EQ(p.spans.size(), 4u);
  EXPECT_EQ(p.spans[0].kind, SegmentKind::kPrefix);
  EXPECT_EQ(p.spans[2].kind, SegmentKind::kQuestion);
  EXPECT_EQ(p.spans[2].index, 1);
  EXPECT_EQ(p.spans[3].kind, SegmentKind::kGenerated);
  EXPECT_EQ(p.graph.get(p.spans[3].id).parents.size(), 2u);
}

TEST(MethodPlan, BadInputs) {
  EXPECT_THROW(build_method_plan("beam", kShape), InputError);
  EXPECT_THROW(build_method_plan("origin", PlanShape{2, {}, 2}), InputError);
  EXPECT_THROW(build_method_plan("origin", PlanShape{2, {-1}, 2}), InputError);
  try {
    parse_layout("stacked");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("shared, concat"), std::string::npos);
  }
  EXPECT_THROW(parse_positions("x"), InputError);
  EXPECT_THROW(parse_fusion_bias("x"), InputError);
  EXPECT_THROW(parse_mask_format("gif"), InputError);
}

TEST(Mask, ShapeFromOptions) {
  MaskOptions o;
  o.n = 4;
  o.question_lens = {5};
  EXPECT_EQ(mask_shape(o).question_lens, (std::vector<int>{5, 5, 5, 5}));
  o.question_lens = {5, 6};
  EXPECT_THROW(mask_shape(o), InputError);
  o.n = 0;
  EXPECT_EQ(mask_shape(o).question_lens.size(), 2u);
}

TEST(Mask, RunMaskAsciiOnStdoutAndSvgFile) {
  MaskOptions o;
  o.method = "flex_attention";
  o.prefix_len = 2;
  o.question_lens = {2, 3};
  o.generated_len = 2;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_mask(o), 0);
  const std::string ascii = testing::internal::GetCapturedStdout();
  EXPECT_EQ(ascii.substr(0, ascii.find('\n')),
            "flex_attention N=2 layout=shared positions=parallel fusion_bias=none");
  EXPECT_EQ(ascii.substr(ascii.find('\n') + 1), body("flex_attention"));

  o.format = MaskFormat::kSvg;
  o.output = std::filesystem::temp_directory_path() / "selfens_report_mask_test.svg";
  EXPECT_EQ(run_mask(o), 0);
  std::ifstream in(o.output);
  const std::string svg((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  for (const char* label : {">P</text>", ">Q1</text>", ">Q2</text>", ">G</text>"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  // 8 query rows: each row has one rect per run of visible cells.
  size_t cells = 0;
  for (size_t at = svg.find("class=\"cell\""); at != std::string::npos;
       at = svg.find("class=\"cell\"", at + 1))
    ++cells;
  // Runs per row: P 1, Q1 1 (P and Q1 adjoin), Q2 2 (P, Q2), G 1 (all adjoin).
  EXPECT_EQ(cells, 2u * 1 + 1 * 1 + 2 * 2 + 3 * 1);
  std::filesystem::remove(o.output);
}

}  // namespace
}  // namespace selfens::report
