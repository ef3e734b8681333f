#include "fashionseg/data/synth.h"

#include <nlohmann/json.hpp>

#include <opencv2/imgproc.hpp>
#include <random>

#include "fashionseg/core/files.h"
#include "fashionseg/core/parallel.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/imaterialist.h"
#include "fashionseg/data/rle.h"

namespace fashionseg {
namespace fs = std::filesystem;
namespace {

// Category ids used by the scenes (iMaterialist 2019).
enum : int {
  kShirt = 0,
  kTop = 1,
  kSweater = 2,
  kJacket = 4,
  kPants = 6,
  kShorts = 7,
  kSkirt = 8,
  kDress = 10,
  kGlasses = 13,
  kHat = 14,
  kBelt = 19,
  kShoe = 23,
  kBag = 24,
  kSleeve = 31,
  kPocket = 32,
  kNeckline = 33,
};

// A few real attributes (id, name, supercategory) of label_descriptions.json.
struct AttributeEntry {
  int id;
  const char* name;
  const char* supercategory;
};
constexpr AttributeEntry kAttributes[] = {
    {5, "knee (length)", "length"},
    {10, "single breasted", "opening type"},
    {28, "bell", "silhouette"},
    {33, "straight", "silhouette"},
    {41, "regular (fit)", "silhouette"},
    {42, "loose (fit)", "silhouette"},
    {46, "washed", "textile finishing, manufacturing techniques"},
    {61, "plain (pattern)", "textile pattern"},
    {72, "stripe", "textile pattern"},
    {77, "leopard", "animal"},
    {88, "normal waist", "waistline"},
};

struct SynthInstance {
  int category = 0;
  std::vector<int> attributes;
  cv::Mat mask;  // CV_8UC1, 1 = instance
};

class Scene {
 public:
  Scene(int width, int height, uint64_t seed) : w_(width), h_(height), rng_(seed) {}

  cv::Mat photo;
  std::vector<SynthInstance> instances;

  void draw() {
    background();
    const double cx = w_ * uniform(0.42, 0.58);
    const double s = h_ / 288.0;  // scale of the figure
    const cv::Scalar skin =
        pick({{190, 150, 120}, {225, 185, 160}, {140, 100, 75}, {240, 205, 180}});
    // Body (skin) first, garments are painted over it.
    cv::ellipse(photo, cv::Point(int(cx), int(36 * s)), cv::Size(int(15 * s), int(19 * s)), 0, 0,
                360, skin, -1, cv::LINE_AA);
    cv::rectangle(photo, cv::Rect(int(cx - 5 * s), int(50 * s), int(10 * s), int(14 * s)), skin,
                  -1);
    const double shoulder = 30 * s, waist = 22 * s, top_y = 62 * s, waist_y = 150 * s;
    std::vector<cv::Point> torso = {{int(cx - shoulder), int(top_y)},
                                    {int(cx + shoulder), int(top_y)},
                                    {int(cx + waist), int(waist_y)},
                                    {int(cx - waist), int(waist_y)}};
    std::vector<cv::Point> left_arm = {{int(cx - shoulder), int(top_y)},
                                       {int(cx - shoulder + 8 * s), int(top_y + 8 * s)},
                                       {int(cx - shoulder - 6 * s), int(150 * s)},
                                       {int(cx - shoulder - 18 * s), int(146 * s)}};
    std::vector<cv::Point> right_arm;
    for (const auto& p : left_arm) right_arm.emplace_back(int(2 * cx - p.x), p.y);
    fill(photo, left_arm, skin);
    fill(photo, right_arm, skin);
    const bool dress = bernoulli(0.3);
    const double hem_y = dress ? uniform(200, 235) * s : waist_y;
    // Legs.
    const double foot_y = 268 * s;
    for (int side : {-1, 1}) {
      std::vector<cv::Point> leg = {{int(cx + side * 2 * s), int(waist_y)},
                                    {int(cx + side * waist), int(waist_y)},
                                    {int(cx + side * 16 * s), int(foot_y)},
                                    {int(cx + side * 5 * s), int(foot_y)}};
      fill(photo, leg, skin);
    }

    // Upper garment (or dress) covering torso and arms, with sleeves as parts on top.
    const cv::Scalar garment_colour = random_colour();
    const bool striped = bernoulli(0.4);
    std::vector<cv::Point> body = torso;
    if (dress) {
      body = {{int(cx - shoulder), int(top_y)}, {int(cx + shoulder), int(top_y)},
              {int(cx + waist), int(waist_y)},  {int(cx + 40 * s), int(hem_y)},
              {int(cx - 40 * s), int(hem_y)},   {int(cx - waist), int(waist_y)}};
    }
    const double sleeve_end = uniform(0.35, 1.0);  // short to long sleeves
    auto sleeve_of = [&](const std::vector<cv::Point>& arm) {
      std::vector<cv::Point> sleeve = arm;
      sleeve[2] = arm[1] + (arm[2] - arm[1]) * sleeve_end;
      sleeve[3] = arm[0] + (arm[3] - arm[0]) * sleeve_end;
      return sleeve;
    };
    const auto left_sleeve = sleeve_of(left_arm), right_sleeve = sleeve_of(right_arm);
    cv::Mat garment = blank();
    fill(garment, body, 1);
    fill(garment, left_sleeve, 1);
    fill(garment, right_sleeve, 1);
    const int upper = dress ? kDress : pick_int({kShirt, kTop, kSweater, kJacket});
    std::vector<int> upper_attributes = {striped ? 72 : 61, bernoulli(0.5) ? 41 : 42};
    if (dress) upper_attributes.insert(upper_attributes.begin(), 5);
    paint(garment, garment_colour, striped);
    add(upper, upper_attributes, garment);
    const cv::Scalar sleeve_colour = shade(garment_colour, 0.85);
    for (const auto& sleeve : {left_sleeve, right_sleeve}) {
      cv::Mat part = blank();
      fill(part, sleeve, 1);
      paint(part, sleeve_colour, striped);
      add(kSleeve, {}, part);
    }
    cv::Mat neckline = blank();
    fill(neckline,
         {{int(cx - 9 * s), int(top_y)},
          {int(cx + 9 * s), int(top_y)},
          {int(cx), int(top_y + 14 * s)}},
         1);
    paint(neckline, skin, false);
    add(kNeckline, {}, neckline);

    if (!dress) {
      // Lower garment with a pocket lying on it.
      const int lower = pick_int({kPants, kPants, kShorts, kSkirt});
      const double lower_end = lower == kPants    ? foot_y - 6 * s
                               : lower == kShorts ? 185 * s
                                                  : 215 * s;
      cv::Mat bottom = blank();
      if (lower == kSkirt) {
        fill(bottom,
             {{int(cx - waist), int(waist_y)},
              {int(cx + waist), int(waist_y)},
              {int(cx + 38 * s), int(lower_end)},
              {int(cx - 38 * s), int(lower_end)}},
             1);
      } else {
        for (int side : {-1, 1}) {
          fill(bottom,
               {{int(cx + side * 1 * s), int(waist_y)},
                {int(cx + side * (waist + 1)), int(waist_y)},
                {int(cx + side * 17 * s), int(lower_end)},
                {int(cx + side * 4 * s), int(lower_end)}},
               1);
        }
        fill(bottom,
             {{int(cx - waist), int(waist_y)},
              {int(cx + waist), int(waist_y)},
              {int(cx + waist), int(waist_y + 16 * s)},
              {int(cx - waist), int(waist_y + 16 * s)}},
             1);
      }
      const cv::Scalar lower_colour = random_colour();
      paint(bottom, lower_colour, false);
      add(lower, {lower == kSkirt ? 28 : 33, 46}, bottom);
      cv::Mat pocket = blank();
      const int px = int(cx + (bernoulli(0.5) ? -1 : 1) * 12 * s);
      cv::rectangle(
          pocket, cv::Rect(px - int(5 * s), int(waist_y + 6 * s), int(10 * s), int(12 * s)), 1, -1);
      pocket &= bottom;
      paint(pocket, shade(lower_colour, 0.7), false);
      add(kPocket, {}, pocket);
      if (bernoulli(0.5)) {
        cv::Mat belt = blank();
        cv::rectangle(belt,
                      cv::Rect(int(cx - waist), int(waist_y - 3 * s), int(2 * waist), int(6 * s)),
                      1, -1);
        paint(belt, cv::Scalar(60, 40, 30), false);
        add(kBelt, {}, belt);
      }
    }
    // Shoes, two instances.
    const cv::Scalar shoe_colour = pick({{30, 30, 30}, {200, 200, 200}, {120, 60, 40}});
    for (int side : {-1, 1}) {
      cv::Mat shoe = blank();
      cv::ellipse(shoe, cv::Point(int(cx + side * 11 * s), int(foot_y + 4 * s)),
                  cv::Size(int(10 * s), int(6 * s)), 0, 0, 360, 1, -1);
      paint(shoe, shoe_colour, false);
      add(kShoe, {}, shoe);
    }
    if (bernoulli(0.5)) {
      cv::Mat hat = blank();
      cv::ellipse(hat, cv::Point(int(cx), int(20 * s)), cv::Size(int(22 * s), int(9 * s)), 0, 180,
                  360, 1, -1);
      cv::rectangle(hat, cv::Rect(int(cx - 24 * s), int(19 * s), int(48 * s), int(4 * s)), 1, -1);
      paint(hat, random_colour(), false);
      add(kHat, {}, hat);
    }
    if (bernoulli(0.4)) {
      cv::Mat glasses = blank();
      for (int side : {-1, 1}) {
        cv::ellipse(glasses, cv::Point(int(cx + side * 6 * s), int(34 * s)),
                    cv::Size(int(5 * s), int(3 * s)), 0, 0, 360, 1, -1);
      }
      paint(glasses, cv::Scalar(20, 20, 20), false);
      add(kGlasses, {}, glasses);
    }
    if (bernoulli(0.6)) {
      // A bag held at the side, partly over the garments.
      cv::Mat bag = blank();
      const int side = bernoulli(0.5) ? -1 : 1;
      cv::rectangle(
          bag, cv::Rect(int(cx + side * 38 * s - 14 * s), int(140 * s), int(28 * s), int(32 * s)),
          1, -1);
      paint(bag, random_colour(), false);
      add(kBag, {bernoulli(0.3) ? 77 : 61}, bag);
    }
    cv::GaussianBlur(photo, photo, cv::Size(3, 3), 0.6);
    cv::Mat noise(photo.size(), CV_8UC3);
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(4));
    cv::Mat signed_noise;
    noise.convertTo(signed_noise, CV_16SC3);
    cv::Mat wide;
    photo.convertTo(wide, CV_16SC3);
    wide += signed_noise - cv::Scalar::all(0);
    wide.convertTo(photo, CV_8UC3);
  }

 private:
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  bool bernoulli(double p) { return uniform(0, 1) < p; }
  int pick_int(std::initializer_list<int> values) {
    return *(values.begin() + std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng_));
  }
  cv::Scalar pick(std::initializer_list<cv::Scalar> values) {
    return *(values.begin() + std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng_));
  }
  cv::Scalar random_colour() {
    return cv::Scalar(uniform(20, 235), uniform(20, 235), uniform(20, 235));
  }
  static cv::Scalar shade(const cv::Scalar& c, double f) {
    return cv::Scalar(c[0] * f, c[1] * f, c[2] * f);
  }
  cv::Mat blank() const { return cv::Mat::zeros(h_, w_, CV_8UC1); }
  static void fill(cv::Mat& image, const std::vector<cv::Point>& polygon, const cv::Scalar& value) {
    cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, value, cv::LINE_8);
  }
  static void fill(cv::Mat& image, const std::vector<cv::Point>& polygon, int value) {
    fill(image, polygon, cv::Scalar(value));
  }

  void background() {
    photo.create(h_, w_, CV_8UC3);
    const cv::Scalar top = random_colour(), bottom = random_colour();
    for (int y = 0; y < h_; ++y) {
      const double t = double(y) / std::max(1, h_ - 1);
      photo.row(y).setTo(top * (1 - t) + bottom * t);
    }
  }

  // Paints the photo where `mask` is set, with optional stripes (an attribute one can see).
  void paint(const cv::Mat& mask, const cv::Scalar& colour, bool striped) {
    photo.setTo(colour, mask);
    if (striped) {
      cv::Mat stripes = cv::Mat::zeros(h_, w_, CV_8UC1);
      for (int y = 0; y < h_; y += 8) stripes.rowRange(y, std::min(h_, y + 3)).setTo(1);
      photo.setTo(shade(colour, 0.6), stripes & mask);
    }
  }

  void add(int category, std::vector<int> attributes, const cv::Mat& mask) {
    if (cv::countNonZero(mask) == 0) return;
    instances.push_back({category, std::move(attributes), mask.clone()});
  }

  int w_, h_;
  std::mt19937_64 rng_;
};

}  // namespace

SynthSummary write_synthetic_imaterialist(const SynthOptions& options) {
  if (options.count == 0) throw_config_error("--count must be at least 1");
  if (options.width < 64 || options.height < 96)
    throw_config_error("synthetic photos need at least 64x96 pixels");
  const fs::path out = options.output_dir;

  nlohmann::json labels;
  labels["info"] = {
      {"year", 2019},
      {"version", "1.0"},
      {"description", "fashionseg synthetic data in the iMaterialist (Fashion) 2019 layout"}};
  labels["categories"] = nlohmann::json::array();
  for (const Category& category : imaterialist_categories()) {
    labels["categories"].push_back({{"id", category.id},
                                    {"name", category.name},
                                    {"supercategory", category.supercategory},
                                    {"level", 2}});
  }
  labels["attributes"] = nlohmann::json::array();
  for (const auto& attribute : kAttributes) {
    labels["attributes"].push_back({{"id", attribute.id},
                                    {"name", attribute.name},
                                    {"supercategory", attribute.supercategory},
                                    {"level", 1}});
  }
  write_file_atomic(out / "label_descriptions.json", labels.dump(2) + "\n");

  std::vector<std::string> rows(options.count);
  std::vector<size_t> instance_counts(options.count);
  parallel_for(options.count, options.threads, [&](size_t i) {
    char name[32];
    std::snprintf(name, sizeof(name), "synth_%04zu.jpg", i + 1);
    Scene scene(options.width, options.height, options.seed * 0x9E3779B97F4A7C15ull + i);
    scene.draw();
    cv::Mat rgb;
    cv::cvtColor(scene.photo, rgb, cv::COLOR_BGR2RGB);
    write_jpeg(out / "train" / name, rgb, 90);
    std::string text;
    for (const SynthInstance& instance : scene.instances) {
      std::string class_id = std::to_string(instance.category);
      for (int attribute : instance.attributes) class_id += "_" + std::to_string(attribute);
      text += std::string(name) + "," + encode_kaggle_rle(instance.mask) + "," +
              std::to_string(options.height) + "," + std::to_string(options.width) + "," +
              class_id + "\n";
    }
    rows[i] = std::move(text);
    instance_counts[i] = scene.instances.size();
  });
  std::string csv = "ImageId,EncodedPixels,Height,Width,ClassId\n";
  SynthSummary summary;
  for (size_t i = 0; i < options.count; ++i) {
    csv += rows[i];
    summary.instances += instance_counts[i];
  }
  write_file_atomic(out / "train.csv", csv);
  summary.photos = options.count;
  return summary;
}

}  // namespace fashionseg
