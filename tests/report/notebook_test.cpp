// Smoke test of notebooks/analysis.ipynb: small result files written by
// pyarrow (tools/report/make_fake_results.py, the exact generate schema,
// LZ4-compressed), read by `analyze` and by the notebook executed headless;
// both must give the same accuracies.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "report/analyze.h"
#include "report/fixture.h"

namespace selfens::report {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int shell(const std::string& cmd, const fs::path& log, std::string& out) {
  const int rc = std::system((cmd + " > '" + log.string() + "' 2>&1").c_str());
  out = read_text(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(Notebook, RunsOnGenerateSchemaAndAgreesWithAnalyze) {
  const fs::path dir = test::fresh_dir("notebook");
  const fs::path tools = selfens::test::source_dir() / "tools" / "report";
  std::string out;
  if (shell("python3 -c 'import nbclient, nbformat, ipykernel, matplotlib, pandas, pyarrow'",
            dir / "import.log", out) != 0)
    FAIL() << "the notebook test needs Python packages: "
              "pip install nbclient nbformat ipykernel matplotlib pandas pyarrow\n" << out;
  ASSERT_EQ(shell("python3 '" + (tools / "make_fake_results.py").string() + "' '" +
                      dir.string() + "' --model fake-model",
                  dir / "make.log", out),
            0)
      << out;

  AnalyzeOptions o;
  o.model = "fake-model";
  o.output_dir = dir;
  o.compare_all = true;
  o.lemma_dir = "/nonexistent";  // the files carry lemma columns: never loaded
  const nlohmann::json a = analysis_json(analyze(o));
  EXPECT_EQ(a["n"], 3);

  const fs::path summary = dir / "summary.json";
  ASSERT_EQ(shell("SELFENS_NB_SUMMARY='" + summary.string() + "' '" +
                      (tools / "run_notebook.sh").string() + "' '" + dir.string() +
                      "' webqa fake-model '" + (dir / "executed.ipynb").string() + "'",
                  dir / "notebook.log", out),
            0)
      << out;
  const nlohmann::json nb = nlohmann::json::parse(read_text(summary));
  EXPECT_EQ(nb["n"], 3);
  for (const auto& r : a["comparison"]) {
    if (!r["present"].get<bool>()) continue;
    const std::string name = r["n"].get<int>() > 0
                                 ? r["method"].get<std::string>() + "-" + std::to_string(r["n"].get<int>())
                                 : r["method"].get<std::string>();
    ASSERT_TRUE(nb["accuracy"].contains(name)) << name;
    EXPECT_NEAR(nb["accuracy"][name].get<double>(), r["accuracy"].get<double>(), 1e-12) << name;
  }
  for (const auto& [m, pts] : a["accuracy_by_n"].items())
    for (const auto& p : pts)
      EXPECT_NEAR(nb["accuracy_by_n"][m][std::to_string(p["n"].get<int>())].get<double>(),
                  p["accuracy"].get<double>(), 1e-12)
          << m;
  EXPECT_EQ(nb["fused_right_origin_wrong"], a["errors"]["fused_right_origin_wrong_count"]);
  EXPECT_EQ(nb["origin_right_fused_wrong"], a["errors"]["origin_right_fused_wrong_count"]);
  // What the paraphrases say: the notebook's pandas against analyze.
  const nlohmann::json& ap = a["paraphrases"];
  const nlohmann::json& np = nb["paraphrases"];
  ASSERT_TRUE(ap["present"].get<bool>());
  ASSERT_TRUE(np.contains("per_index")) << np.dump();
  EXPECT_EQ(np["questions"], ap["questions"]);
  for (size_t k = 0; k < ap["per_index"].size(); ++k)
    EXPECT_NEAR(np["per_index"][k].get<double>(), ap["per_index"][k].get<double>(), 1e-12) << k;
  for (size_t i = 0; i < ap["oracle"].size(); ++i) {
    EXPECT_NEAR(np["oracle_any"][i].get<double>(), ap["oracle"][i]["any_right"].get<double>(), 1e-12);
    EXPECT_NEAR(np["oracle_all"][i].get<double>(), ap["oracle"][i]["all_right"].get<double>(), 1e-12);
  }
  for (const char* key : {"consistency", "pairwise_agreement", "diversity"})
    EXPECT_NEAR(np[key].get<double>(), ap[key].get<double>(), 1e-12) << key;
  for (const auto& f : ap["facts"]) {
    const std::string label = f["label"];
    ASSERT_TRUE(np["facts"].contains(label)) << label;
    EXPECT_EQ(np["facts"][label]["new"], f["new_facts"]) << label;
    EXPECT_EQ(np["facts"][label]["lost"], f["lost_facts"]) << label;
  }
  // The pool grid: same labels and accuracies on the shared questions.
  const nlohmann::json& pools = a["pools"]["pools"];
  ASSERT_EQ(pools.size(), 4u);
  EXPECT_EQ(pools[0]["label"], "avg-m0a5s2");  // the file answering three questions fewer
  EXPECT_EQ(a["pools"]["shared_questions"], pools[0]["own_questions"]);
  EXPECT_EQ(a["pools"]["shared_questions"].get<size_t>() + 3, pools[1]["own_questions"].get<size_t>());
  ASSERT_EQ(nb["pools"].size(), pools.size());
  for (const auto& c : pools)
    EXPECT_NEAR(nb["pools"][c["label"].get<std::string>()].get<double>(),
                c["accuracy"].get<double>(), 1e-12) << c["label"];
  // The executed notebook holds its plots.
  const std::string executed = read_text(dir / "executed.ipynb");
  EXPECT_NE(executed.find("image/png"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace selfens::report
