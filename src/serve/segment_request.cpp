#include "segment_request.h"

#include <cmath>
#include <opencv2/core.hpp>

#include "fashionseg/core/error.h"
#include "fashionseg/data/coco_mask.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/prediction_formats.h"
#include "fashionseg/data/report.h"
#include "fashionseg/data/rle.h"
#include "http_error.h"

namespace fashionseg::serve {
namespace {

const std::string kWhere = "POST /v1/segment: ";

[[noreturn]] void bad_request(const std::string& message) {
  throw HttpError(400, kWhere + message);
}

/// The single value of a query parameter, or "" when absent.
std::string single_value(const std::multimap<std::string, std::string>& params,
                         const std::string& key) {
  const auto [first, last] = params.equal_range(key);
  if (first == last) return {};
  if (std::next(first) != last) bad_request(key + " is given more than once");
  if (first->second.empty()) bad_request(key + "= has no value");
  return first->second;
}

}  // namespace

SegmentQuery parse_segment_query(const std::multimap<std::string, std::string>& params,
                                 const ServeOptions& defaults) {
  for (const auto& [key, value] : params) {
    if (key != "mask" && key != "flip" && key != "min_area" && key != "colors") {
      bad_request("unknown parameter '" + key + "' (known: mask, flip, min_area, colors)");
    }
  }
  SegmentQuery query;
  query.flip = defaults.flip;
  query.min_area = defaults.min_area;
  query.min_area_given = defaults.min_area_given;
  if (const std::string mask = single_value(params, "mask"); !mask.empty()) {
    if (mask == "png") {
      query.mask = MaskFormat::kPng;
    } else if (mask == "rle") {
      query.mask = MaskFormat::kRle;
    } else if (mask == "none") {
      query.mask = MaskFormat::kNone;
    } else {
      bad_request("mask=" + mask + " is not one of png, rle, none");
    }
  }
  if (const std::string flip = single_value(params, "flip"); !flip.empty()) {
    if (flip != "0" && flip != "1") bad_request("flip=" + flip + " is not 0 or 1");
    query.flip = flip == "1";
  }
  if (const std::string colors = single_value(params, "colors"); !colors.empty()) {
    if (colors != "0" && colors != "1") bad_request("colors=" + colors + " is not 0 or 1");
    query.colors = colors == "1";
  }
  if (const std::string text = single_value(params, "min_area"); !text.empty()) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !(value >= 0.0 && value < 1.0)) {
      bad_request("min_area=" + text + " is not a number in [0, 1)");
    }
    query.min_area = value;
    query.min_area_given = true;
  }
  return query;
}

std::string_view request_image(bool is_form, const FormFields& fields, std::string_view body) {
  std::string_view image = body;
  if (is_form) {
    const auto found = fields.find("image");
    if (found == fields.end())
      bad_request("the multipart/form-data body has no field named \"image\"");
    image = found->second;
  }
  if (image.empty()) {
    bad_request(
        "the image is empty; send the image bytes as the body or a multipart field \"image\"");
  }
  return image;
}

cv::Mat decode_request_image(std::string_view bytes, int64_t max_pixels) {
  try {
    // The header is checked against the limit before any pixel is decoded.
    return decode_image_rgb(bytes, "the image (" + std::to_string(bytes.size()) + " bytes)",
                            max_pixels);
  } catch (const Error& error) {
    bad_request(error.what());
  }
}

cv::Mat keep_only(const cv::Mat& labels, const std::vector<FoundCategory>& kept) {
  uint8_t lookup[256] = {};
  for (const auto& category : kept) lookup[category.id] = static_cast<uint8_t>(category.id);
  cv::Mat table(1, 256, CV_8UC1, lookup);
  cv::Mat result;
  cv::LUT(labels, table, result);
  return result;
}

nlohmann::json mask_json(const cv::Mat& labels, MaskFormat format,
                         const std::vector<FoundCategory>& categories) {
  if (format == MaskFormat::kNone) return nullptr;
  if (format == MaskFormat::kPng) {
    return {{"format", "png"}, {"data", base64_encode(encode_png(labels, false))}};
  }
  nlohmann::json counts = nlohmann::json::object();
  for (const auto& category : categories) {
    const cv::Mat mine = labels == category.id;
    counts[std::to_string(category.id)] =
        coco_counts_to_string(coco_counts_from_runs(mask_to_runs(mine), labels.rows, labels.cols));
  }
  return {{"format", "rle"},
          {"encoding", "coco"},
          {"size", {labels.rows, labels.cols}},
          {"counts", counts}};
}

nlohmann::json model_json(const ServedModel& model) {
  nlohmann::json classes = nlohmann::json::array();
  for (size_t id = 0; id < model.class_names.size(); ++id) {
    classes.push_back({{"id", id},
                       {"name", model.class_names[id]},
                       {"color", label_color_hex(static_cast<int>(id))}});
  }
  return {{"architecture", model.architecture},
          {"classes", classes},
          {"input", {{"height", model.input_size.height}, {"width", model.input_size.width}}},
          {"parameters", model.parameters},
          {"category_head", model.category_head},
          {"precision", model.bf16 ? "bf16" : "fp32"},
          {"calibrated_categories", model.calibrated_categories}};
}

}  // namespace fashionseg::serve
