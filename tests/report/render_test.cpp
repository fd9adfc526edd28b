// Pictures as a user sees them: the HTML report rendered by headless
// Chromium must not be blank, and the mask PNG must decode (checked by
// tools/report/png_stats.py, an independent decoder) to the expected size.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/test_paths.h"
#include "report/analyze.h"
#include "report/fixture.h"
#include "report/mask.h"
#include "report/png.h"
#include "util/check.h"

namespace selfens::report {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs a shell command; returns its exit status and stdout+stderr in `out`.
int shell(const std::string& cmd, const fs::path& log, std::string& out) {
  const int rc = std::system((cmd + " > '" + log.string() + "' 2>&1").c_str());
  out = read_text(log);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

nlohmann::json png_stats(const fs::path& png, const fs::path& dir) {
  std::string out;
  const fs::path script = selfens::test::source_dir() / "tools" / "report" / "png_stats.py";
  const int rc = shell("python3 '" + script.string() + "' '" + png.string() + "'",
                       dir / "png_stats.log", out);
  EXPECT_EQ(rc, 0) << out;
  return nlohmann::json::parse(out.substr(out.find('{')));
}

TEST(Render, MaskPngDecodesToTheHeatmap) {
  const fs::path dir = test::fresh_dir("png");
  MaskOptions o;
  o.format = MaskFormat::kPng;
  o.output = dir / "mask.png";
  o.prefix_len = 2;
  o.question_lens = {2, 3};
  o.generated_len = 2;
  o.plan.fusion_bias = FusionBias::kMean;
  ASSERT_EQ(run_mask(o), 0);
  const nlohmann::json s = png_stats(o.output, dir);
  // 8 tokens (P 2, Q1 1, Q2 2, G 3: the cue moves to G) -> 16 px cells
  // (capped), left band = widest label + 10, top 18.
  EXPECT_EQ(s["width"], text_width("Q1") + 10 + 8 * 16 + 4);
  EXPECT_EQ(s["height"], 18 + 8 * 16 + 4);
  EXPECT_GE(s["distinct_colors"].get<int>(), 6);  // 3 segment kinds, visible, biased, hidden...
  EXPECT_GT(s["nonwhite_fraction"].get<double>(), 0.3);
  o.output = "-";
  EXPECT_THROW(run_mask(o), InputError);  // no PNG on a terminal
  fs::remove_all(dir);
}

TEST(Render, PngEncoderRoundTripsPixels) {
  RgbImage img(70000 / 3 + 5, 4);  // rows longer than one stored block
  img.set(0, 0, 0x123456);
  img.set(img.width - 1, 3, 0xABCDEF);
  const std::string bytes = encode_png(img);
  const fs::path dir = test::fresh_dir("pngrt");
  std::ofstream(dir / "x.png", std::ios::binary) << bytes;
  std::string out;
  const std::string check =
      "import sys; sys.path.insert(0, '" + (selfens::test::source_dir() / "tools" / "report").string() +
      "'); import png_stats as p; w, h, c, rows = p.decode(open('" + (dir / "x.png").string() +
      "', 'rb').read()); print(w, h, list(rows[0][:3]), list(rows[3][-3:]), rows[1][5])";
  ASSERT_EQ(shell("python3 -c \"" + check + "\"", dir / "log", out), 0) << out;
  EXPECT_EQ(out, std::to_string(img.width) + " 4 [18, 52, 86] [171, 205, 239] 255\n");
  fs::remove_all(dir);
}

TEST(Render, HtmlReportInChromiumIsNotBlank) {
  std::string out;
  const fs::path dir = test::fresh_dir("chromium");
  if (shell("command -v chromium", dir / "which.log", out) != 0)
    FAIL() << "chromium is missing: install the Debian package `chromium` "
              "(scripts/install_deps.sh does) to run the HTML rendering test";
  test::write_fixture(dir);
  AnalyzeOptions o;
  o.model = "m";
  o.output_dir = dir;
  o.quiet = true;
  o.html_path = dir / "report.html";
  run_analyze(o);
  const std::string html = read_text(o.html_path);
  ASSERT_NE(html.find("<svg "), std::string::npos);
  const fs::path png = dir / "shot.png";
  const int rc = shell("HOME='" + dir.string() +
                           "' timeout 120 chromium --headless --no-sandbox --disable-gpu "
                           "--hide-scrollbars --screenshot='" + png.string() +
                           "' --window-size=1200,2000 'file://" + o.html_path.string() + "'",
                       dir / "chromium.log", out);
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(fs::exists(png)) << out;
  const nlohmann::json s = png_stats(png, dir);
  EXPECT_EQ(s["width"], 1200);
  EXPECT_EQ(s["height"], 2000);
  EXPECT_GT(s["distinct_colors"].get<int>(), 20);  // text, bars, lines
  EXPECT_GT(s["nonwhite_fraction"].get<double>(), 0.03);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace selfens::report
