#include "results/color_names.h"

#include <limits>

namespace fashionseg {
namespace {

/// Name and typical sRGB value. The values are what such garments photograph as (black cloth
/// is rarely #000000), chosen so that the boundaries between neighbours fall where a shopper
/// would draw them; docs/colors.md lists the same table. Keep the two in step.
struct Entry {
  const char* name;
  const char* hex;
};

constexpr Entry kEntries[] = {
    {"black", "#1e1e1e"},      {"grey", "#808080"},   {"light grey", "#c4c4c4"},
    {"white", "#f4f4f2"},      {"cream", "#efe6cf"},  {"beige", "#d8c6a5"},
    {"camel", "#b3845a"},      {"khaki", "#a39d72"},  {"brown", "#66442c"},
    {"olive", "#6b6a2c"},      {"green", "#2f7d4a"},  {"light green", "#9ed49a"},
    {"dark green", "#1e4d2b"}, {"teal", "#1d7a7d"},   {"light blue", "#9dc0e3"},
    {"blue", "#2a5cc8"},       {"denim", "#4c6a92"},  {"navy", "#1b2752"},
    {"purple", "#6e3480"},     {"lilac", "#b6a0d0"},  {"pink", "#eaa1b6"},
    {"fuchsia", "#c4288c"},    {"red", "#c42a2e"},    {"burgundy", "#6b1d2c"},
    {"orange", "#e07030"},     {"yellow", "#f0cc3a"}, {"mustard", "#c6a032"},
};

}  // namespace

const std::vector<NamedColor>& color_palette() {
  static const std::vector<NamedColor> palette = [] {
    std::vector<NamedColor> colors;
    for (const Entry& entry : kEntries) {
      NamedColor color;
      color.name = entry.name;
      color.srgb = parse_srgb_hex(entry.hex);
      color.lab = srgb_to_lab(color.srgb[0], color.srgb[1], color.srgb[2]);
      colors.push_back(std::move(color));
    }
    return colors;
  }();
  return palette;
}

const NamedColor& nearest_color_name(const Lab& lab) {
  const std::vector<NamedColor>& palette = color_palette();
  const NamedColor* best = &palette.front();
  double best_distance = std::numeric_limits<double>::infinity();
  for (const NamedColor& color : palette) {
    // kL = 2, as textile colour tolerancing does: a lighter or darker (lit or shaded) patch
    // of a cloth keeps its name; hue and chroma decide it.
    const double distance = ciede2000(lab, color.lab, 2.0);
    if (distance < best_distance) {
      best_distance = distance;
      best = &color;
    }
  }
  return *best;
}

}  // namespace fashionseg
