// Garment colours on synthetic photos of known colours: flat, shaded, striped, a mask that
// bleeds into the background, several garments, a garment too small for the sampling grid.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/data/garment_colors.h"
#include "results/color_names.h"

namespace fashionseg {
namespace {

cv::Vec3b rgb_of(const std::string& hex) {
  const auto c = parse_srgb_hex(hex);
  return {c[0], c[1], c[2]};
}

/// A photo of `size` filled with `hex`, with mild sensor noise (fixed seed).
cv::Mat photo(cv::Size size, const std::string& hex) {
  return cv::Mat(size, CV_8UC3, cv::Scalar(rgb_of(hex)[0], rgb_of(hex)[1], rgb_of(hex)[2]));
}

void add_noise(cv::Mat& rgb, double sigma = 3.0) {
  cv::Mat noise(rgb.size(), CV_16SC3);
  cv::RNG random(12345);
  random.fill(noise, cv::RNG::NORMAL, 0.0, sigma);
  cv::Mat wide;
  rgb.convertTo(wide, CV_16SC3);
  wide += noise;
  wide.convertTo(rgb, CV_8UC3);  // saturating
}

/// `hex` lit by `light` (linear-light factor) at each row, from `top` at the first row of
/// `region` to `bottom` at its last: the way shade darkens cloth.
void paint_shaded(cv::Mat& rgb, cv::Rect region, const std::string& hex, double top,
                  double bottom) {
  const cv::Vec3b base = rgb_of(hex);
  auto linear = [](double v) {
    v /= 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  auto encode = [](double v) {
    const double s = v <= 0.0031308 ? v * 12.92 : 1.055 * std::pow(v, 1.0 / 2.4) - 0.055;
    return cv::saturate_cast<uint8_t>(s * 255.0);
  };
  for (int y = region.y; y < region.br().y; ++y) {
    const double t = region.height > 1 ? double(y - region.y) / (region.height - 1) : 0.0;
    const double light = top + (bottom - top) * t;
    cv::Vec3b shaded;
    for (int c = 0; c < 3; ++c) shaded[c] = encode(linear(base[c]) * light);
    rgb(cv::Rect(region.x, y, region.width, 1)).setTo(cv::Scalar(shaded[0], shaded[1], shaded[2]));
  }
}

FoundCategory category(int id, const std::string& name, const cv::Mat& labels) {
  for (FoundCategory& found : find_categories(labels, {})) {
    if (found.id == id) {
      found.name = name;
      return found;
    }
  }
  ADD_FAILURE() << "label " << id << " is not in the mask";
  return {};
}

std::vector<std::string> names(const std::vector<GarmentColor>& colors) {
  std::vector<std::string> out;
  for (const auto& c : colors) out.push_back(c.name);
  return out;
}

double share_of(const std::vector<GarmentColor>& colors, const std::string& name) {
  for (const auto& c : colors) {
    if (c.name == name) return c.share;
  }
  return 0.0;
}

TEST(GarmentColors, FlatGarmentIsOneColourWithItsMeanValue) {
  cv::Mat rgb = photo({400, 300}, "#d0d0d0");
  const cv::Rect coat(100, 40, 200, 240);
  rgb(coat).setTo(cv::Scalar(0x6b, 0x1d, 0x2c));
  add_noise(rgb);
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  labels(coat).setTo(10);
  const auto colors = garment_colors(rgb, labels, {category(10, "coat", labels)});
  ASSERT_EQ(colors.size(), 1u);
  ASSERT_EQ(names(colors[0]), std::vector<std::string>{"burgundy"});
  EXPECT_NEAR(colors[0][0].share, 1.0, 1e-12);
  // Its value is the garment's own colour, not the palette's.
  const auto expected = parse_srgb_hex("#6b1d2c");
  EXPECT_LT(ciede2000(colors[0][0].lab, srgb_to_lab(expected[0], expected[1], expected[2])), 1.5);
  const auto hex = parse_srgb_hex(colors[0][0].hex);
  EXPECT_LT(ciede2000(srgb_to_lab(hex[0], hex[1], hex[2]), colors[0][0].lab), 0.5);
}

TEST(GarmentColors, ShadingDoesNotChangeTheName) {
  // Light falling from full to 55% across the garment (in linear light), with noise.
  for (const auto& [hex, name] :
       std::vector<std::pair<std::string, std::string>>{{"#1c1c1c", "black"},
                                                        {"#23304f", "navy"},
                                                        {"#6b1d2c", "burgundy"},
                                                        {"#c42a2e", "red"},
                                                        {"#c19a6b", "camel"},
                                                        {"#2f7d4a", "green"},
                                                        {"#e8a0b4", "pink"}}) {
    cv::Mat rgb = photo({300, 400}, "#e8e8e0");
    const cv::Rect coat(60, 40, 180, 330);
    paint_shaded(rgb, coat, hex, 1.0, 0.55);
    add_noise(rgb);
    cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
    labels(coat).setTo(10);
    const auto colors = garment_colors(rgb, labels, {category(10, "coat", labels)})[0];
    ASSERT_FALSE(colors.empty()) << hex;
    EXPECT_EQ(colors[0].name, name) << hex;
    EXPECT_GE(colors[0].share, 0.8) << hex << ": " << colors[0].name;
  }
}

TEST(GarmentColors, StripesGiveTwoColoursWithTheirShares) {
  // A navy-and-white striped shirt: 8-pixel stripes, navy a third of the rows. The photo is
  // larger than the sampling grid, so this also checks that sampling keeps stripes apart.
  cv::Mat rgb = photo({600, 450}, "#7a9a70");
  const cv::Rect shirt(100, 60, 400, 330);
  for (int y = shirt.y; y < shirt.br().y; ++y) {
    const bool navy = ((y - shirt.y) / 8) % 3 == 0;
    rgb(cv::Rect(shirt.x, y, shirt.width, 1))
        .setTo(navy ? cv::Scalar(0x1f, 0x29, 0x40) : cv::Scalar(0xf4, 0xf4, 0xf2));
  }
  add_noise(rgb);
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  labels(shirt).setTo(1);
  const auto colors = garment_colors(rgb, labels, {category(1, "shirt, blouse", labels)})[0];
  ASSERT_EQ(names(colors), (std::vector<std::string>{"white", "navy"}));
  EXPECT_NEAR(colors[0].share, 2.0 / 3.0, 0.04);
  EXPECT_NEAR(colors[1].share, 1.0 / 3.0, 0.04);
}

TEST(GarmentColors, MaskBleedingIntoTheBackgroundIsIgnored) {
  // The mask reaches 4 pixels past the red garment onto a white wall: 12% of its pixels.
  cv::Mat rgb = photo({400, 300}, "#f4f4f2");
  const cv::Rect garment(120, 60, 100, 150);
  rgb(garment).setTo(cv::Scalar(0xc4, 0x2a, 0x2e));
  add_noise(rgb);
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  labels(cv::Rect(garment.x - 4, garment.y - 4, garment.width + 8, garment.height + 8)).setTo(11);
  const FoundCategory dress = category(11, "dress", labels);
  ASSERT_NEAR(1.0 - double(garment.area()) / dress.pixels, 0.12, 0.01);

  const auto colors = garment_colors(rgb, labels, {dress})[0];
  EXPECT_EQ(names(colors), std::vector<std::string>{"red"});

  // Without the border rule the wall shows up as a second colour.
  ColorOptions no_border;
  no_border.border = 0.0;
  const auto bled = garment_colors(rgb, labels, {dress}, no_border)[0];
  EXPECT_NEAR(share_of(bled, "white"), 0.12, 0.02);
}

TEST(GarmentColors, EachCategoryGetsItsOwnColoursInOrder) {
  cv::Mat rgb = photo({300, 500}, "#9a8f80");
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  auto paint = [&](cv::Rect r, const std::string& hex, int id) {
    const cv::Vec3b c = rgb_of(hex);
    rgb(r).setTo(cv::Scalar(c[0], c[1], c[2]));
    labels(r).setTo(id);
  };
  paint({90, 40, 120, 160}, "#f4f4f2", 1);   // shirt: white
  paint({95, 200, 110, 230}, "#23304f", 7);  // pants: navy
  paint({90, 440, 40, 25}, "#1c1c1c", 24);   // shoes: black, two pieces
  paint({170, 440, 40, 25}, "#1c1c1c", 24);
  add_noise(rgb);
  std::vector<FoundCategory> found = find_categories(labels, {});
  ASSERT_EQ(found.size(), 3u);
  add_garment_colors(rgb, labels, found);
  for (const FoundCategory& c : found) {
    ASSERT_FALSE(c.colors.empty()) << c.id;
    const std::string expected = c.id == 1 ? "white" : c.id == 7 ? "navy" : "black";
    EXPECT_EQ(c.colors[0].name, expected) << c.id;
    EXPECT_GE(c.colors[0].share, 0.95) << c.id;
  }
}

TEST(GarmentColors, TinyCategoryIsSampledAtFullResolution) {
  // 6 x 6 pixels of a 2000 x 1500 photo: less than one point of the sampling grid.
  cv::Mat rgb = photo({2000, 1500}, "#303030");
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  rgb(cv::Rect(1001, 701, 6, 6)).setTo(cv::Scalar(0xf0, 0xcc, 0x3a));
  labels(cv::Rect(1001, 701, 6, 6)).setTo(19);
  ColorOptions options;
  const auto found = find_categories(labels, {}, AreaRule{0.0, 0.0, false});
  ASSERT_EQ(found.size(), 1u);
  const auto colors = garment_colors(rgb, labels, found, options)[0];
  EXPECT_EQ(names(colors), std::vector<std::string>{"yellow"});
}

TEST(GarmentColors, MaxColoursAndMinShareAreHonoured) {
  // Four equal vertical bands of distinct colours.
  cv::Mat rgb = photo({400, 200}, "#808080");
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  const char* bands[] = {"#c42a2e", "#2a5cc8", "#f0cc3a", "#2f7d4a"};
  for (int i = 0; i < 4; ++i) {
    const cv::Vec3b c = rgb_of(bands[i]);
    rgb(cv::Rect(i * 100, 0, 100, 200)).setTo(cv::Scalar(c[0], c[1], c[2]));
  }
  labels.setTo(5);
  const FoundCategory dress = category(5, "dress", labels);
  const auto three = garment_colors(rgb, labels, {dress})[0];
  ASSERT_EQ(three.size(), 3u);
  for (const auto& c : three) EXPECT_NEAR(c.share, 0.25, 0.03) << c.name;
  ColorOptions one;
  one.max_colors = 1;
  EXPECT_EQ(garment_colors(rgb, labels, {dress}, one)[0].size(), 1u);
  ColorOptions large_only;
  large_only.min_share = 0.3;  // the largest colour is kept even so
  EXPECT_EQ(garment_colors(rgb, labels, {dress}, large_only)[0].size(), 1u);
}

TEST(GarmentColors, DeterministicAndEmptyForNoCategories) {
  cv::Mat rgb = photo({200, 200}, "#808080");
  paint_shaded(rgb, {20, 20, 160, 160}, "#c19a6b", 1.0, 0.3);
  add_noise(rgb, 8.0);
  cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(0));
  labels(cv::Rect(20, 20, 160, 160)).setTo(3);
  const auto found = find_categories(labels, {});
  const auto first = garment_colors(rgb, labels, found)[0];
  const auto second = garment_colors(rgb, labels, found)[0];
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].hex, second[i].hex);
    EXPECT_EQ(first[i].share, second[i].share);
  }
  EXPECT_TRUE(garment_colors(rgb, labels, {}).empty());
}

TEST(GarmentColors, BadInputAndOptionsAreRefused) {
  const cv::Mat rgb = photo({50, 40}, "#808080");
  const cv::Mat labels(rgb.size(), CV_8UC1, cv::Scalar(1));
  const std::vector<FoundCategory> found = find_categories(labels, {});
  EXPECT_THROW(garment_colors(cv::Mat(), labels, found), Error);
  EXPECT_THROW(garment_colors(cv::Mat(40, 50, CV_8UC1), labels, found), Error);
  EXPECT_THROW(garment_colors(rgb, cv::Mat(41, 50, CV_8UC1, cv::Scalar(1)), found), Error);
  EXPECT_THROW(garment_colors(rgb, cv::Mat(40, 50, CV_16UC1), found), Error);
  for (auto change : std::vector<void (*)(ColorOptions&)>{
           [](ColorOptions& o) { o.max_colors = 0; }, [](ColorOptions& o) { o.min_share = 1.5; },
           [](ColorOptions& o) { o.max_side = 4; }, [](ColorOptions& o) { o.border = 0.5; },
           [](ColorOptions& o) { o.max_samples = 1; },
           [](ColorOptions& o) { o.lightness_weight = 0.0; },
           [](ColorOptions& o) { o.merge_distance = -1.0; }}) {
    ColorOptions options;
    change(options);
    try {
      garment_colors(rgb, labels, found, options);
      ADD_FAILURE() << "invalid options accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kConfig) << e.what();
    }
  }
}

TEST(GarmentColors, ColorsLineReadsLikeAShop) {
  FoundCategory coat;
  coat.name = "coat";
  EXPECT_EQ(colors_line(coat), "coat");
  coat.colors = {{"burgundy", "#6b1d2c", {24.3, 35.5, 10.2}, 0.823},
                 {"black", "#1e1e1e", {11.3, 0, 0}, 0.114}};
  EXPECT_EQ(colors_line(coat), "coat: burgundy (82%), black (11%)");
}

}  // namespace
}  // namespace fashionseg
