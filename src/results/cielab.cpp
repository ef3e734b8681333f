#include "fashionseg/data/cielab.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "fashionseg/core/error.h"

namespace fashionseg {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The D65 white of the sRGB matrix below (its rows' sums), so sRGB white is exactly a* = b* = 0.
constexpr double kWhiteX = 0.4124564 + 0.3575761 + 0.1804375;
constexpr double kWhiteY = 1.0;
constexpr double kWhiteZ = 0.0193339 + 0.1191920 + 0.9503041;

// CIE constants in their exact rational form: epsilon = (6/29)^3, kappa = (29/3)^3.
constexpr double kEpsilon = 216.0 / 24389.0;
constexpr double kKappa = 24389.0 / 27.0;

double srgb_to_linear(double v) {
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

double linear_to_srgb(double v) {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
}

/// The 256 linear values of the 8-bit sRGB codes: the conversion runs on many pixels.
const std::array<double, 256>& linear_table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = srgb_to_linear(i / 255.0);
    return t;
  }();
  return table;
}

double lab_f(double t) { return t > kEpsilon ? std::cbrt(t) : (kKappa * t + 16.0) / 116.0; }

double lab_f_inverse(double f) {
  const double cube = f * f * f;
  return cube > kEpsilon ? cube : (116.0 * f - 16.0) / kKappa;
}

double degrees(double radians) { return radians * 180.0 / kPi; }
double radians(double degrees) { return degrees * kPi / 180.0; }

uint8_t to_byte(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v * 255.0), 0L, 255L));
}

}  // namespace

Lab srgb_to_lab(uint8_t r8, uint8_t g8, uint8_t b8) {
  const auto& linear = linear_table();
  const double r = linear[r8], g = linear[g8], b = linear[b8];
  const double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
  const double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  const double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
  const double fx = lab_f(x / kWhiteX), fy = lab_f(y / kWhiteY), fz = lab_f(z / kWhiteZ);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

std::array<uint8_t, 3> lab_to_srgb(const Lab& lab) {
  const double fy = (lab.L + 16.0) / 116.0;
  const double fx = fy + lab.a / 500.0, fz = fy - lab.b / 200.0;
  const double x = kWhiteX * lab_f_inverse(fx), y = kWhiteY * lab_f_inverse(fy),
               z = kWhiteZ * lab_f_inverse(fz);
  const double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
  const double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  auto encode = [](double v) { return to_byte(linear_to_srgb(std::clamp(v, 0.0, 1.0))); };
  return {encode(r), encode(g), encode(b)};
}

std::string srgb_hex(const std::array<uint8_t, 3>& rgb) {
  char text[8];
  std::snprintf(text, sizeof(text), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return text;
}

std::array<uint8_t, 3> parse_srgb_hex(const std::string& text) {
  const std::string digits = !text.empty() && text[0] == '#' ? text.substr(1) : text;
  if (digits.size() != 6 || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    throw_input_error("'" + text + "' is not an sRGB colour written #rrggbb");
  }
  const unsigned long value = std::stoul(digits, nullptr, 16);
  return {static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 8),
          static_cast<uint8_t>(value)};
}

double ciede2000(const Lab& x, const Lab& y, double kL, double kC, double kH) {
  // Step 1: a* rescaled by G so that neutral colours get the right hue weight.
  const double c1 = std::hypot(x.a, x.b), c2 = std::hypot(y.a, y.b);
  const double c_mean = (c1 + c2) / 2.0;
  const double c_mean7 = std::pow(c_mean, 7.0);
  const double g = 0.5 * (1.0 - std::sqrt(c_mean7 / (c_mean7 + std::pow(25.0, 7.0))));
  const double a1 = (1.0 + g) * x.a, a2 = (1.0 + g) * y.a;
  const double c1p = std::hypot(a1, x.b), c2p = std::hypot(a2, y.b);
  auto hue = [](double b, double a) {
    if (a == 0.0 && b == 0.0) return 0.0;
    const double h = degrees(std::atan2(b, a));
    return h < 0.0 ? h + 360.0 : h;
  };
  const double h1 = hue(x.b, a1), h2 = hue(y.b, a2);

  // Step 2: the differences.
  const double dL = y.L - x.L;
  const double dC = c2p - c1p;
  double dh = 0.0;
  if (c1p * c2p != 0.0) {
    dh = h2 - h1;
    if (dh > 180.0) dh -= 360.0;
    if (dh < -180.0) dh += 360.0;
  }
  const double dH = 2.0 * std::sqrt(c1p * c2p) * std::sin(radians(dh / 2.0));

  // Step 3: the weighting functions at the pair's mean.
  const double L_mean = (x.L + y.L) / 2.0;
  const double cp_mean = (c1p + c2p) / 2.0;
  double h_mean = h1 + h2;
  if (c1p * c2p != 0.0) {
    if (std::abs(h1 - h2) <= 180.0) {
      h_mean = (h1 + h2) / 2.0;
    } else if (h1 + h2 < 360.0) {
      h_mean = (h1 + h2 + 360.0) / 2.0;
    } else {
      h_mean = (h1 + h2 - 360.0) / 2.0;
    }
  }
  const double t =
      1.0 - 0.17 * std::cos(radians(h_mean - 30.0)) + 0.24 * std::cos(radians(2.0 * h_mean)) +
      0.32 * std::cos(radians(3.0 * h_mean + 6.0)) - 0.20 * std::cos(radians(4.0 * h_mean - 63.0));
  const double d_theta = 30.0 * std::exp(-std::pow((h_mean - 275.0) / 25.0, 2.0));
  const double cp_mean7 = std::pow(cp_mean, 7.0);
  const double rc = 2.0 * std::sqrt(cp_mean7 / (cp_mean7 + std::pow(25.0, 7.0)));
  const double l50 = (L_mean - 50.0) * (L_mean - 50.0);
  const double sl = 1.0 + 0.015 * l50 / std::sqrt(20.0 + l50);
  const double sc = 1.0 + 0.045 * cp_mean;
  const double sh = 1.0 + 0.015 * cp_mean * t;
  const double rt = -std::sin(radians(2.0 * d_theta)) * rc;

  const double tl = dL / (kL * sl), tc = dC / (kC * sc), th = dH / (kH * sh);
  return std::sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}

}  // namespace fashionseg
