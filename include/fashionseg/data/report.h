#pragma once
/// HTML reports of training runs, viewable offline (one self-contained file: charts are inline
/// SVG, pictures inline base64 images; no external scripts or fonts).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fashionseg {

/// What a run directory (see trainer.h) holds, read back.
struct RunRecord {
  std::string name;  ///< the directory's name
  std::filesystem::path dir;
  std::vector<nlohmann::json> log;  ///< log.jsonl, one entry per epoch
  nlohmann::json best_metrics;      ///< best_metrics.json (null when never validated)
  std::string config_yaml;          ///< config.yaml
};

/// Reads a run directory. Throws Error(kNotFound) when it has no log.jsonl, Error(kInput)
/// naming file and line for malformed JSON.
RunRecord read_run(const std::filesystem::path& dir);

/// A picture for the report, already encoded (PNG or JPEG).
struct ReportImage {
  std::string caption;
  std::string mime_type;  ///< "image/png" or "image/jpeg"
  std::vector<unsigned char> bytes;
};

/// One data series of a line chart.
struct ChartSeries {
  std::string name;
  std::vector<double> x, y;
};

/// An SVG line chart with axes, ticks and a legend; NaN/null points are skipped.
std::string svg_line_chart(const std::string& title, const std::string& x_label,
                           const std::vector<ChartSeries>& series, int width = 640,
                           int height = 300);

/// An SVG horizontal bar chart (one bar per label, values in [0, 1] shown as numbers too).
std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, int width = 640);

/// The report of one run: summary table, loss and metric curves, per-class IoU bars, the
/// confusion matrix, `examples` (e.g. photo | truth | prediction panels), the config.
std::string render_run_report(const RunRecord& run, const std::vector<ReportImage>& examples,
                              const ReportImage* confusion);

/// Several runs side by side: one table of their best metrics and shared curves.
std::string render_comparison(const std::vector<RunRecord>& runs);

/// Escapes text for HTML.
std::string html_escape(const std::string& text);

/// Base64 of bytes (for data: URLs).
std::string base64_encode(const std::vector<unsigned char>& bytes);

}  // namespace fashionseg
