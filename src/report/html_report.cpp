// Run reports and run comparisons as self-contained HTML pages.
#include <cmath>
#include <sstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/report.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

const char* kStyle =
    "<style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%;border:1px solid #ddd;margin:4px 0}figure{margin:8px 0}"
    "pre{background:#f7f7f7;padding:8px;overflow:auto}</style>";

double value_at(const nlohmann::json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_number()) return NAN;
  return object.at(key).get<double>();
}

std::string format(double value) {
  if (!std::isfinite(value)) return "-";
  std::ostringstream out;
  out.precision(4);
  out << std::fixed << value;
  return out.str();
}

std::vector<ChartSeries> curves(const RunRecord& run, const std::vector<std::string>& keys,
                                bool validation, const std::string& prefix) {
  std::vector<ChartSeries> series;
  for (const auto& key : keys) {
    ChartSeries s{prefix + key, {}, {}};
    for (const auto& entry : run.log) {
      const nlohmann::json& source = validation ? entry.value("val", nlohmann::json()) : entry;
      const double y = value_at(source, key);
      if (std::isfinite(y)) {
        s.x.push_back(entry.value("epoch", 0.0));
        s.y.push_back(y);
      }
    }
    series.push_back(s);
  }
  return series;
}

const std::vector<std::string> kHeadline = {"mean_iou",       "mean_iou_truth",
                                            "foreground_iou", "pixel_accuracy",
                                            "category_f1",    "mean_class_accuracy"};

std::string image_tag(const ReportImage& image) {
  return "<figure><img alt='" + html_escape(image.caption) + "' src='data:" + image.mime_type +
         ";base64," + base64_encode(image.bytes) + "'><figcaption>" + html_escape(image.caption) +
         "</figcaption></figure>";
}

}  // namespace

std::string base64_encode(const std::vector<unsigned char>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = bytes[i] << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

RunRecord read_run(const fs::path& dir) {
  RunRecord run;
  run.dir = dir;
  run.name = fs::absolute(dir).lexically_normal().filename().string();
  if (run.name.empty()) run.name = fs::absolute(dir).lexically_normal().parent_path().filename();
  const fs::path log_path = dir / "log.jsonl";
  std::istringstream lines(read_file(log_path));
  std::string line;
  size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.is_object()) {
      throw_input_error("not a JSON object", {log_path.string(), number, ""});
    }
    run.log.push_back(std::move(entry));
  }
  if (fs::exists(dir / "best_metrics.json")) {
    run.best_metrics = nlohmann::json::parse(read_file(dir / "best_metrics.json"), nullptr, false);
    if (run.best_metrics.is_discarded()) {
      throw_input_error("not valid JSON", {(dir / "best_metrics.json").string(), 0, ""});
    }
  }
  if (fs::exists(dir / "config.yaml")) run.config_yaml = read_file(dir / "config.yaml");
  return run;
}

std::string render_run_report(const RunRecord& run, const std::vector<ReportImage>& examples,
                              const ReportImage* confusion) {
  std::ostringstream html;
  html << "<!doctype html><html><head><meta charset='utf-8'><title>fashionseg run "
       << html_escape(run.name) << "</title>" << kStyle << "</head><body>";
  html << "<h1>Run " << html_escape(run.name) << "</h1>";
  html << "<p>" << run.log.size() << " epoch(s) logged.</p>";
  if (run.best_metrics.is_object()) {
    html << "<h2>Best validation</h2><table><tr><th>metric</th><th>value</th></tr>";
    for (const auto& key : kHeadline) {
      html << "<tr><td>" << key << "</td><td>" << format(value_at(run.best_metrics, key))
           << "</td></tr>";
    }
    html << "</table>";
  }
  html << "<h2>Curves</h2>";
  html << svg_line_chart("Training loss", "epoch", curves(run, {"train_loss"}, false, ""));
  html << svg_line_chart(
      "Validation", "epoch",
      curves(run, {"mean_iou", "foreground_iou", "pixel_accuracy", "category_f1"}, true, ""));
  if (run.best_metrics.is_object() && run.best_metrics.contains("classes")) {
    std::vector<std::string> labels;
    std::vector<double> values;
    for (const auto& row : run.best_metrics["classes"]) {
      if (row.value("truth_pixels", uint64_t{0}) == 0 && !row["iou"].is_number()) continue;
      labels.push_back(row.value("name", std::string("?")));
      values.push_back(value_at(row, "iou"));
    }
    html << "<h2>Per-class IoU (best checkpoint)</h2>"
         << svg_bar_chart("IoU per class", labels, values);
  }
  if (confusion) html << "<h2>Confusion matrix</h2>" << image_tag(*confusion);
  if (!examples.empty()) {
    html << "<h2>Validation photos: ground truth and prediction</h2>";
    for (const auto& example : examples) html << image_tag(example);
  }
  if (!run.config_yaml.empty()) {
    html << "<h2>Configuration</h2><pre>" << html_escape(run.config_yaml) << "</pre>";
  }
  html << "</body></html>\n";
  return html.str();
}

std::string render_comparison(const std::vector<RunRecord>& runs) {
  std::ostringstream html;
  html << "<!doctype html><html><head><meta charset='utf-8'><title>fashionseg comparison</title>"
       << kStyle << "</head><body><h1>Comparison of " << runs.size() << " runs</h1>";
  html << "<table><tr><th>run</th><th>epochs</th>";
  for (const auto& key : kHeadline) html << "<th>" << key << "</th>";
  html << "<th>best epoch s</th></tr>";
  for (const auto& run : runs) {
    double seconds = 0;
    for (const auto& entry : run.log) seconds += entry.value("seconds", 0.0);
    html << "<tr><td>" << html_escape(run.name) << "</td><td>" << run.log.size() << "</td>";
    for (const auto& key : kHeadline)
      html << "<td>" << format(value_at(run.best_metrics, key)) << "</td>";
    html << "<td>" << format(seconds) << "</td></tr>";
  }
  html << "</table>";
  std::vector<ChartSeries> losses, mious;
  for (const auto& run : runs) {
    auto loss = curves(run, {"train_loss"}, false, run.name + " ");
    auto miou = curves(run, {"mean_iou"}, true, run.name + " ");
    losses.insert(losses.end(), loss.begin(), loss.end());
    mious.insert(mious.end(), miou.begin(), miou.end());
  }
  html << svg_line_chart("Training loss", "epoch", losses)
       << svg_line_chart("Validation mIoU", "epoch", mious);
  html << "</body></html>\n";
  return html.str();
}

}  // namespace fashionseg
