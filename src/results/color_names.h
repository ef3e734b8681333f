#pragma once
/// The fixed palette of everyday colour names that shoppers search by (black, navy, burgundy,
/// camel, ...), each with a typical sRGB value, and naming a colour by its nearest palette
/// entry under CIEDE2000 (kL = 2). The palette and why each entry is there: docs/colors.md.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fashionseg/data/cielab.h"

namespace fashionseg {

/// One palette entry.
struct NamedColor {
  std::string name;             ///< lower case, e.g. "light blue"
  std::array<uint8_t, 3> srgb;  ///< its typical colour as a garment photographs
  Lab lab;                      ///< srgb in CIELAB (D65)
};

/// The palette, in the order of docs/colors.md. Built once; never changes.
const std::vector<NamedColor>& color_palette();

/// The palette entry nearest to `lab` by CIEDE2000 with lightness weighted half (kL = 2,
/// kC = kH = 1, the textile convention): shading changes lightness more than hue or chroma.
const NamedColor& nearest_color_name(const Lab& lab);

}  // namespace fashionseg
