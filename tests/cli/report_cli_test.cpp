// `selfens analyze` and `selfens mask` as a new user runs them: after
// `selfens generate` on the demo set, the report's accuracies equal a direct
// re-computation (pandas) from the lemma columns `selfens lemmatize` adds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

std::string bin() { return test::selfens_binary().string(); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Python that prints "method accuracy" per file, computed from the
// predict_lemma / answer_lemmas columns (contiguous match, as the original).
// per_prompt at N: the mean of the per-paraphrase accuracies of indices < N.
constexpr const char* kRecompute = R"PY(
import sys, pandas as pd
def hit(p, a):
    p, a = list(p), list(a)
    return len(a) > 0 and any(p[i:i + len(a)] == a for i in range(len(p) - len(a) + 1))
n = int(sys.argv[2])
for name in sys.argv[3:]:
    df = pd.read_feather(f"{sys.argv[1]}/{name}.feather")
    df["ok"] = [any(hit(p, a) for a in ans) for p, ans in zip(df.predict_lemma, df.answer_lemmas)]
    if "paraphrase_index" in df:
        acc = df[df.paraphrase_index < n].groupby("paraphrase_index").ok.mean().mean()
    else:
        acc = df.ok.mean()
    print(name, repr(float(acc)))
)PY";

TEST(ReportCli, AnalyzeAfterGenerateMatchesARecomputationFromTheColumns) {
  const fs::path dir = fs::path(::testing::TempDir()) / "report_cli";
  fs::remove_all(dir);
  const std::string model = test::default_model_gguf().string();
  const std::string common = " --quiet --model " + model + " --dataset demo --output-dir " +
                             dir.string() + " --max_samples 12 --batch_size 12";
  for (std::string m : {"origin", "per_prompt", "flex_attention --num_paraphrases 3"}) {
    test::ShellResult r = test::shell(bin() + " generate --method " + m + common);
    ASSERT_EQ(r.code, 0) << m << ": " << r.out;
  }
  const fs::path html = dir / "report.html";
  test::ShellResult r = test::shell(bin() + " analyze --json --html " + html.string() +
                                    " --model " + model + " --dataset demo --output-dir " +
                                    dir.string(),
                                    /*with_stderr=*/false);
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["n"], 3);
  EXPECT_EQ(j["stats"]["questions"], 12);

  const fs::path results = dir / "demo" / "SmolLM2-135M-Instruct.Q4_1";
  const std::string names[] = {"origin", "per_prompt", "flex_attention-3"};
  for (const auto& n : names) {
    test::ShellResult lem = test::shell(bin() + " lemmatize --quiet " + (results / n).string() +
                                        ".feather");
    ASSERT_EQ(lem.code, 0) << lem.out;
  }
  const fs::path script = dir / "recompute.py";
  std::ofstream(script) << kRecompute;
  test::ShellResult py = test::shell("python3 " + script.string() + " " + results.string() +
                                     " 3 origin per_prompt flex_attention-3");
  ASSERT_EQ(py.code, 0) << py.out;
  std::istringstream lines(py.out);
  std::string name;
  double expected = 0;
  int checked = 0;
  while (lines >> name >> expected) {
    const std::string method = name == "flex_attention-3" ? "flex_attention" : name;
    bool found = false;
    for (const auto& c : j["comparison"]) {
      if (c["method"] != method || !c["present"].get<bool>()) continue;
      found = true;
      EXPECT_NEAR(c["accuracy"].get<double>(), expected, 1e-12) << method;
      const size_t rows = c["rows"].get<size_t>();
      EXPECT_TRUE(method == "per_prompt" ? rows % 12 == 0 && rows > 12 : rows == 12) << method;
    }
    EXPECT_TRUE(found) << method << " missing from the comparison";
    ++checked;
  }
  EXPECT_EQ(checked, 3) << py.out;

  // The text report and the HTML page.
  test::ShellResult text = test::shell(bin() + " analyze --model " + model +
                                       " --dataset demo --output-dir " + dir.string());
  ASSERT_EQ(text.code, 0) << text.out;
  for (const char* needle : {"origin", "per_prompt", "flex_attention", "not run"})
    EXPECT_NE(text.out.find(needle), std::string::npos) << needle << "\n" << text.out;
  const std::string page = slurp(html);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ReportCli, AnalyzeWithoutResultsNamesTheCommandsToRun) {
  const fs::path dir = fs::path(::testing::TempDir()) / "report_cli_empty";
  fs::remove_all(dir);
  test::ShellResult r = test::shell(bin() + " analyze --dataset demo --output-dir " + dir.string());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("selfens generate"), std::string::npos) << r.out;
  r = test::shell(bin() + " analyze --no-such-flag");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("no-such-flag"), std::string::npos) << r.out;
}

TEST(ReportCli, MaskAsciiShowsTheFlexPlan) {
  test::ShellResult r = test::shell(bin() + " mask --method flex_attention --num_paraphrases 2 "
                                            "--prefix_len 2 --question_lens 2,3 --generated_len 2");
  ASSERT_EQ(r.code, 0) << r.out;
  // G's rows see P, both Qi and the earlier G tokens; Q2's rows do not see Q1.
  // (Q1 = 1 token, Q2 = 2: the answer cue of each moves to G, as the runner does.)
  std::istringstream lines(r.out);
  std::string line, q2_row, last_g_row;
  while (std::getline(lines, line)) {
    if (line.rfind("Q2 ", 0) == 0 && q2_row.empty()) q2_row = line;
    if (line.rfind("G ", 0) == 0) last_g_row = line;
  }
  ASSERT_FALSE(q2_row.empty()) << r.out;
  ASSERT_FALSE(last_g_row.empty()) << r.out;
  EXPECT_NE(q2_row.find("|##|.|#"), std::string::npos) << q2_row;
  EXPECT_NE(last_g_row.find("|##|#|##|###"), std::string::npos) << last_g_row;
}

TEST(ReportCli, MaskWritesSvgAndPngFiles) {
  const fs::path dir = fs::path(::testing::TempDir()) / "report_cli_mask";
  fs::remove_all(dir);
  fs::create_directories(dir);
  test::ShellResult r = test::shell(bin() + " mask --method avg --num_paraphrases 3 --output " +
                                    (dir / "m.svg").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(slurp(dir / "m.svg").rfind("<svg", 0), 0u);
  r = test::shell(bin() + " mask --png --output " + (dir / "m.png").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(slurp(dir / "m.png").substr(1, 3), "PNG");
  r = test::shell(bin() + " mask --png");
  EXPECT_EQ(r.code, 2) << r.out;
  r = test::shell(bin() + " mask --layout diagonal");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("diagonal"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace selfens
