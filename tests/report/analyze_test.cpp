// `selfens analyze` on a fixture directory written with io::write_feather
// (see fixture.h for the rows and the accuracies they give).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "report/analyze.h"
#include "report/fixture.h"
#include "util/check.h"

namespace selfens::report {
namespace {

namespace fs = std::filesystem;

AnalyzeOptions fixture_options(const fs::path& root) {
  AnalyzeOptions o;
  o.dataset = "webqa";
  o.model = "m";
  o.output_dir = root;
  return o;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

class AnalyzeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(test::fresh_dir("analyze"));
    test::write_fixture(*root_);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*root_);
    delete root_;
  }
  static fs::path* root_;
};
fs::path* AnalyzeTest::root_ = nullptr;

TEST_F(AnalyzeTest, ScanFindsEveryRunFile) {
  std::ofstream(*root_ / "webqa" / "m" / "notes.txt") << "x";
  const auto files = scan_results(*root_ / "webqa" / "m");
  std::vector<std::string> got;
  for (const RunFile& f : files) got.push_back(f.method + "-" + std::to_string(f.n));
  EXPECT_EQ(got, (std::vector<std::string>{"origin-0", "per_prompt-0", "avg-3", "weighted_max-3",
                                           "flex_attention-2", "flex_attention-3"}));
}

TEST_F(AnalyzeTest, NumbersMatchTheFixture) {
  const Analysis a = analyze(fixture_options(*root_));
  EXPECT_EQ(a.n, 3);  // the largest N found
  const nlohmann::json j = analysis_json(a);
  EXPECT_DOUBLE_EQ(j["fused"]["accuracy"].get<double>(), 0.5);
  EXPECT_EQ(j["fused"]["correct"], 2);
  EXPECT_DOUBLE_EQ(j["fused"]["agreement_with_origin"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["fused"]["wall_seconds"].get<double>(), 4.5);
  EXPECT_TRUE(j["fused"]["complete"].get<bool>());
  std::map<std::string, nlohmann::json> by;
  for (const auto& r : j["comparison"]) by[r["method"]] = r;
  EXPECT_DOUBLE_EQ(by["origin"]["accuracy"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(by["avg"]["accuracy"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(by["weighted_max"]["accuracy"].get<double>(), 0.25);
  EXPECT_NEAR(by["per_prompt"]["accuracy"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_EQ(by["per_prompt"]["best_index"], 1);
  EXPECT_EQ(by["per_prompt"]["worst_index"], 2);
  EXPECT_DOUBLE_EQ(by["per_prompt"]["per_paraphrase"]["1"].get<double>(), 0.75);
  EXPECT_FALSE(by["max"]["present"].get<bool>());
  EXPECT_EQ(by["max"]["command"],
            "selfens generate --dataset webqa --model m --method max --num_paraphrases 3 "
            "--output_dir " + root_->string());
  EXPECT_FALSE(by["weighted_avg"]["present"].get<bool>());
  EXPECT_DOUBLE_EQ(j["gain_over_origin"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["gain_over_best_ensemble"].get<double>(), 0.25);
  EXPECT_EQ(j["best_ensemble"], "avg");
  // Stats of flex_attention-3: one empty prediction, non-ASCII counted in bytes.
  EXPECT_EQ(j["stats"]["questions"], 4);
  EXPECT_DOUBLE_EQ(j["stats"]["paraphrases_mean"].get<double>(), 3.0);
  EXPECT_EQ(j["stats"]["empty_predictions"], 1);
  EXPECT_DOUBLE_EQ(j["stats"]["prediction_words_mean"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(j["stats"]["prediction_chars_mean"].get<double>(), 4.5);
  // Errors: fused right where origin is wrong (u2, u4), and the opposite (u1).
  EXPECT_EQ(j["errors"]["fused_right_origin_wrong_count"], 2);
  EXPECT_EQ(j["errors"]["origin_right_fused_wrong_count"], 1);
  EXPECT_EQ(j["errors"]["fused_right_origin_wrong"][1]["fused_prediction"], "Zürich");
  EXPECT_EQ(j["errors"]["origin_right_fused_wrong"][0]["uuid"], "u1");
  EXPECT_EQ(j["errors"]["origin_right_fused_wrong"][0]["origin_prediction"], "Paris");
  EXPECT_FALSE(j.contains("accuracy_by_n"));  // only with compare_all or html
}

TEST_F(AnalyzeTest, ExplicitNAndCompareAll) {
  AnalyzeOptions o = fixture_options(*root_);
  o.num_paraphrases = 2;
  o.compare_all = true;
  const Analysis a = analyze(o);
  const nlohmann::json j = analysis_json(a);
  EXPECT_DOUBLE_EQ(j["fused"]["accuracy"].get<double>(), 0.25);
  EXPECT_FALSE(j["comparison"][2]["present"].get<bool>());  // no avg-2
  // per_prompt at N = 2: mean of indices 0 and 1.
  EXPECT_DOUBLE_EQ(j["comparison"][1]["accuracy"].get<double>(), 0.5);
  const auto& flex = j["accuracy_by_n"]["flex_attention"];
  ASSERT_EQ(flex.size(), 2u);
  EXPECT_EQ(flex[0]["n"], 2);
  EXPECT_DOUBLE_EQ(flex[0]["accuracy"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(flex[1]["accuracy"].get<double>(), 0.5);
  const std::string text = analysis_text(a);
  EXPECT_NE(text.find("Accuracy against number of paraphrases"), std::string::npos);
  EXPECT_NE(text.find("flex_attention  N=2 25.00%   N=3 50.00%"), std::string::npos) << text;
}

TEST_F(AnalyzeTest, TextReport) {
  AnalyzeOptions o = fixture_options(*root_);
  o.samples = 4;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_analyze(o), 0);
  const std::string text = testing::internal::GetCapturedStdout();
  EXPECT_NE(text.find("flex_attention-3 accuracy (lemmatized): 50.00% (2/4)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("questions:                4"), std::string::npos);
  EXPECT_NE(text.find("empty predictions:        1"), std::string::npos);
  EXPECT_NE(text.find("prediction: Zürich  (correct)"), std::string::npos) << text;
  EXPECT_NE(text.find("prediction:   (wrong)"), std::string::npos);  // the empty one
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(origin +4 +25\.00% +100\.00% +1\.5\n)")))
      << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(per_prompt +12 +33\.33%)")));
  EXPECT_NE(text.find("best #1 75.00%, worst #2 0.00%"), std::string::npos);
  EXPECT_NE(text.find("max-3               not run"), std::string::npos);
  EXPECT_NE(text.find("selfens generate --dataset webqa --model m --method weighted_avg"),
            std::string::npos);
  EXPECT_NE(text.find("over origin:                 +25.00 points"), std::string::npos);
  EXPECT_NE(text.find("over best logit ensemble:    +25.00 points (avg)"), std::string::npos);
}

TEST_F(AnalyzeTest, JsonOnStdoutIsOneObject) {
  AnalyzeOptions o = fixture_options(*root_);
  o.json = true;
  testing::internal::CaptureStdout();
  run_analyze(o);
  const auto j = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(j["n"], 3);
  EXPECT_EQ(j["samples"].size(), 3u);
  EXPECT_EQ(j["samples"][0]["question"], "Question u1 asked way 0?");
  EXPECT_EQ(j["samples"][1]["gold"], "Barack Obama | Obama");
}

TEST_F(AnalyzeTest, HtmlHasChartsTablesAndPlan) {
  AnalyzeOptions o = fixture_options(*root_);
  o.quiet = true;
  o.html_path = *root_ / "report.html";
  testing::internal::CaptureStdout();
  run_analyze(o);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");  // quiet
  const std::string html = read_text(o.html_path);
  for (const char* id : {"id=\"chart-accuracy\"", "id=\"chart-by-n\"", "id=\"chart-agreement\"",
                         "id=\"attention-plan\"", "id=\"errors-fused-right\"",
                         "id=\"errors-origin-right\"", "id=\"comparison\"", "id=\"chart-oracle\"",
                         "id=\"per-paraphrase\"", "id=\"fused-gains\"", "id=\"agreement-buckets\""})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_EQ(count(html, "<svg "), 5u);  // accuracy, by N, agreement, oracle, plan
  EXPECT_EQ(count(html, "</svg>"), 5u);
  EXPECT_GE(count(html, "class=\"bar\""), 5u);     // 5 methods present at N = 3
  EXPECT_GE(count(html, "<polyline"), 1u);         // flex_attention over N = 2, 3
  EXPECT_GE(count(html, "class=\"cell\""), 10u);   // the plan heatmap
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // nothing fetched
  EXPECT_NE(html.find("<td>Zürich</td>"), std::string::npos);
  EXPECT_NE(html.find("not run: <code>selfens generate"), std::string::npos);
}

TEST(Analyze, MissingFilesSayWhichCommandMakesThem) {
  const fs::path root = test::fresh_dir("missing");
  AnalyzeOptions o;
  o.dataset = "myriadlama";
  o.model = "HuggingFaceTB/SmolLM2-135M-Instruct";
  o.output_dir = root;
  try {
    analyze(o);
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find((root / "myriadlama" / "SmolLM2-135M-Instruct").string()), std::string::npos)
        << m;
    EXPECT_NE(m.find("selfens generate --dataset myriadlama --model "
                     "HuggingFaceTB/SmolLM2-135M-Instruct --method flex_attention "
                     "--num_paraphrases 5"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("--method origin"), std::string::npos) << m;
  }
  fs::remove_all(root);
}

TEST(Analyze, FileLackingColumnNamesFileAndColumn) {
  const fs::path root = test::fresh_dir("columns");
  const fs::path d = root / "webqa" / "m";
  fs::create_directories(d);
  io::Table t = test::result_table("flex_attention", 2, {"a", "b", "c", "d"}, false);
  t.remove("answers");
  io::write_feather(d / "flex_attention-2.feather", t);
  AnalyzeOptions o;
  o.model = "m";
  o.output_dir = root;
  try {
    analyze(o);
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("flex_attention-2.feather"), std::string::npos) << m;
    EXPECT_NE(m.find("column 'answers' missing"), std::string::npos) << m;
  }
  fs::remove_all(root);
}

TEST(Analyze, OnlyFusedFileAndAllEmptyPredictions) {
  const fs::path root = test::fresh_dir("only");
  const fs::path d = root / "webqa" / "m";
  fs::create_directories(d);
  io::Table t = test::result_table("flex_attention", 4, {"", " ", "", "\n"});
  t.set_metadata("selfens.complete", "false");
  io::write_feather(d / "flex_attention-4.feather", t);
  AnalyzeOptions o;
  o.model = "m";
  o.output_dir = root;
  o.html_path = root / "r.html";
  const Analysis a = analyze(o);
  EXPECT_EQ(a.n, 4);
  EXPECT_EQ(a.stats.empty_predictions, 4u);
  EXPECT_DOUBLE_EQ(a.find("flex_attention")->accuracy, 0.0);
  EXPECT_FALSE(a.gain_over_origin.has_value());
  EXPECT_FALSE(a.find("flex_attention")->agreement.has_value());
  EXPECT_NE(analysis_text(a).find("over origin:                 n/a"), std::string::npos);
  EXPECT_NE(analysis_text(a).find("(incomplete run: selfens.complete = false)"),
            std::string::npos);
  EXPECT_NE(analysis_html(a).find("needs origin.feather"), std::string::npos);
  fs::remove_all(root);
}

TEST(Analyze, JsonSurvivesInvalidUtf8Predictions) {
  // A model can stop in the middle of a multi-byte character.
  const fs::path root = test::fresh_dir("utf8");
  const fs::path d = root / "webqa" / "m";
  fs::create_directories(d);
  io::write_feather(d / "flex_attention-2.feather",
                    test::result_table("flex_attention", 2, {"Par\xc3", "\xff", "", "Zürich"}));
  AnalyzeOptions o;
  o.model = "m";
  o.output_dir = root;
  o.json = true;
  o.samples = 4;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_analyze(o), 0);
  const auto j = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(j["samples"][3]["prediction"], "Zürich");
  EXPECT_EQ(j["samples"][1]["prediction"], "\xef\xbf\xbd");  // U+FFFD
  fs::remove_all(root);
}

TEST(Analyze, OnlyOriginFile) {
  const fs::path root = test::fresh_dir("origin_only");
  const fs::path d = root / "webqa" / "m";
  fs::create_directories(d);
  io::write_feather(d / "origin.feather",
                    test::result_table("origin", 1, {"Paris", "Obama", "", "Zürich"}));
  AnalyzeOptions o;
  o.model = "m";
  o.output_dir = root;
  o.compare_all = true;
  const Analysis a = analyze(o);
  EXPECT_EQ(a.n, 0);
  EXPECT_DOUBLE_EQ(a.find("origin")->accuracy, 0.75);
  EXPECT_DOUBLE_EQ(*a.find("origin")->agreement, 1.0);
  const std::string text = analysis_text(a);
  EXPECT_NE(text.find("flex_attention accuracy (lemmatized): not run; make it with: selfens "
                      "generate --dataset webqa --model m --method flex_attention "
                      "--num_paraphrases 5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(no files with a number of paraphrases)"), std::string::npos);
  EXPECT_NE(analysis_html(a).find("id=\"attention-plan\""), std::string::npos);
  fs::remove_all(root);
}

}  // namespace
}  // namespace selfens::report
