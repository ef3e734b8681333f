// Reports: base64 against known vectors, HTML escaping, charts, reading runs.
#include <gtest/gtest.h>

#include <fstream>

#include "fashionseg/core/error.h"
#include "fashionseg/data/report.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

std::vector<unsigned char> bytes_of(const std::string& text) {
  return std::vector<unsigned char>(text.begin(), text.end());
}

TEST(Report, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes_of("")), "");
  EXPECT_EQ(base64_encode(bytes_of("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes_of("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes_of("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes_of("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes_of("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes_of("foobar")), "Zm9vYmFy");
}

TEST(Report, EscapesHtml) {
  EXPECT_EQ(html_escape("<a href=\"x\">&</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
}

TEST(Report, LineChartPlotsFinitePointsOnly) {
  const std::string svg = svg_line_chart("loss", "epoch", {{"train", {1, 2, 3}, {0.9, NAN, 0.5}}});
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  // Two finite points -> two coordinate pairs.
  const auto points = svg.substr(svg.find("points='") + 8);
  EXPECT_EQ(std::count(points.begin(), points.begin() + points.find('\''), ','), 2);
  EXPECT_NE(svg_line_chart("empty", "epoch", {}).find("no data"), std::string::npos);
}

TEST(Report, ReadsRunAndRendersSelfContainedPage) {
  test::TempDir dir;
  std::ofstream(dir / "log.jsonl")
      << "{\"epoch\":1,\"train_loss\":1.5,\"val\":{\"mean_iou\":0.2}}\n"
         "{\"epoch\":2,\"train_loss\":1.1,\"val\":{\"mean_iou\":0.3}}\n";
  std::ofstream(dir / "best_metrics.json")
      << "{\"mean_iou\":0.3,\"classes\":[{\"name\":\"background\",\"iou\":0.9,"
         "\"truth_pixels\":10},{\"name\":\"shirt, blouse\",\"iou\":null,\"truth_pixels\":0}]}";
  std::ofstream(dir / "config.yaml") << "model:\n  type: unet\n";
  const RunRecord run = read_run(dir.path());
  ASSERT_EQ(run.log.size(), 2u);
  const std::string html = render_run_report(run, {{"photo", "image/png", {1, 2, 3}}}, nullptr);
  EXPECT_NE(html.find("0.3000"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,AQID"), std::string::npos);
  EXPECT_NE(html.find("type: unet"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no external refs
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  const std::string comparison = render_comparison({run, run});
  EXPECT_NE(comparison.find("Comparison of 2 runs"), std::string::npos);
}

TEST(Report, BrokenLogNamesFileAndLine) {
  test::TempDir dir;
  std::ofstream(dir / "log.jsonl") << "{\"epoch\":1}\n{broken\n";
  try {
    read_run(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log.jsonl:2"), std::string::npos) << e.what();
  }
  test::TempDir empty;
  EXPECT_THROW(read_run(empty.path()), Error);
}

}  // namespace
}  // namespace fashionseg
