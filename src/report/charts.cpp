// Inline SVG charts: line charts for curves, horizontal bars for per-class values.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "fashionseg/data/render.h"
#include "fashionseg/data/report.h"

namespace fashionseg {
namespace {

std::string colour_of(size_t index) {
  const auto c = label_color(static_cast<int>(index) * 7 + 1);
  char text[8];
  std::snprintf(text, sizeof text, "#%02x%02x%02x", c[0], c[1], c[2]);
  return text;
}

std::string number(double value) {
  std::ostringstream out;
  out.precision(std::abs(value) >= 100 ? 0 : 3);
  out << std::fixed << value;
  std::string text = out.str();
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  return text;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_line_chart(const std::string& title, const std::string& x_label,
                           const std::vector<ChartSeries>& series, int width, int height) {
  const int left = 56, right = 150, top = 30, bottom = 40;
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x_min = std::min(x_min, s.x[i]);
      x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]);
      y_max = std::max(y_max, s.y[i]);
    }
  }
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>";
  svg << "<text x='" << left << "' y='16' font-size='13' font-weight='bold'>" << html_escape(title)
      << "</text>";
  if (!std::isfinite(x_min)) {
    svg << "<text x='" << left << "' y='" << height / 2 << "'>no data</text></svg>";
    return svg.str();
  }
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) {
    y_max += 0.5;
    y_min -= 0.5;
  }
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return top + (1 - (y - y_min) / (y_max - y_min)) * plot_h; };
  svg << "<rect x='" << left << "' y='" << top << "' width='" << plot_w << "' height='" << plot_h
      << "' fill='none' stroke='#999'/>";
  for (int t = 0; t <= 4; ++t) {
    const double y = y_min + (y_max - y_min) * t / 4.0;
    svg << "<line x1='" << left << "' x2='" << left + plot_w << "' y1='" << py(y) << "' y2='"
        << py(y) << "' stroke='#eee'/><text x='" << left - 4 << "' y='" << py(y) + 4
        << "' text-anchor='end'>" << number(y) << "</text>";
    const double x = x_min + (x_max - x_min) * t / 4.0;
    svg << "<text x='" << px(x) << "' y='" << top + plot_h + 14 << "' text-anchor='middle'>"
        << number(x) << "</text>";
  }
  svg << "<text x='" << left + plot_w / 2 << "' y='" << height - 6 << "' text-anchor='middle'>"
      << html_escape(x_label) << "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    std::string points;
    for (size_t i = 0; i < series[k].x.size() && i < series[k].y.size(); ++i) {
      if (!std::isfinite(series[k].y[i])) continue;
      points += number(px(series[k].x[i])) + "," + number(py(series[k].y[i])) + " ";
    }
    svg << "<polyline fill='none' stroke='" << colour_of(k) << "' stroke-width='2' points='"
        << points << "'/>";
    svg << "<rect x='" << width - right + 10 << "' y='" << top + 16 * k
        << "' width='10' height='10' fill='" << colour_of(k) << "'/><text x='" << width - right + 24
        << "' y='" << top + 16 * k + 9 << "'>" << html_escape(series[k].name) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string svg_bar_chart(const std::string& title, const std::vector<std::string>& labels,
                          const std::vector<double>& values, int width) {
  const int label_width = 220, row = 18, top = 26;
  const int height = top + static_cast<int>(labels.size()) * row + 10;
  const double bar_space = width - label_width - 60;
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='11'>";
  svg << "<text x='4' y='16' font-size='13' font-weight='bold'>" << html_escape(title) << "</text>";
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = top + static_cast<double>(i) * row;
    const double v = i < values.size() ? values[i] : NAN;
    svg << "<text x='" << label_width - 6 << "' y='" << y + 12 << "' text-anchor='end'>"
        << html_escape(labels[i]) << "</text>";
    if (std::isfinite(v)) {
      svg << "<rect x='" << label_width << "' y='" << y + 2 << "' width='"
          << number(std::clamp(v, 0.0, 1.0) * bar_space) << "' height='" << row - 5
          << "' fill='#4a7fb5'/><text x='" << label_width + std::clamp(v, 0.0, 1.0) * bar_space + 4
          << "' y='" << y + 12 << "'>" << number(v) << "</text>";
    } else {
      svg << "<text x='" << label_width + 4 << "' y='" << y + 12 << "' fill='#999'>n/a</text>";
    }
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace fashionseg
