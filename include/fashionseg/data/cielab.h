#pragma once
/// Colour science for naming garment colours: 8-bit sRGB <-> CIELAB (D65 white, the sRGB
/// transfer curve of IEC 61966-2-1) and the CIEDE2000 colour difference (Sharma, Wu and Dalal,
/// "The CIEDE2000 color-difference formula", 2005). No OpenCV: plain numbers in and out.

#include <array>
#include <cstdint>
#include <string>

namespace fashionseg {

/// A CIELAB colour: L* in [0, 100], a* and b* roughly in [-128, 127].
struct Lab {
  double L = 0, a = 0, b = 0;
};

/// 8-bit sRGB (gamma-encoded, as stored in a JPEG or PNG) to CIELAB under D65.
Lab srgb_to_lab(uint8_t r, uint8_t g, uint8_t b);

/// CIELAB (D65) to 8-bit sRGB, each channel rounded and clamped to [0, 255] when the colour
/// lies outside the sRGB gamut.
std::array<uint8_t, 3> lab_to_srgb(const Lab& lab);

/// "#rrggbb" of an 8-bit sRGB colour.
std::string srgb_hex(const std::array<uint8_t, 3>& rgb);

/// The 8-bit sRGB colour of "#rrggbb" (or "rrggbb"). Throws Error(kInput) for anything else.
std::array<uint8_t, 3> parse_srgb_hex(const std::string& text);

/// The CIEDE2000 difference between two colours. kL, kC and kH are the parametric weights of
/// lightness, chroma and hue (1 under reference conditions; textiles often use kL = 2, which
/// counts lightness differences half, as shading does to a garment).
double ciede2000(const Lab& x, const Lab& y, double kL = 1.0, double kC = 1.0, double kH = 1.0);

}  // namespace fashionseg
