#pragma once
/// The pure parts of POST /v1/segment: reading the query, finding the image in the body,
/// checking its size, and writing the answer's JSON. No sockets, so each is unit-tested.

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fashionseg/data/found_categories.h"
#include "fashionseg/serve/serve.h"

namespace fashionseg::serve {

/// How the mask travels in the answer.
enum class MaskFormat { kPng, kRle, kNone };

/// The options of one segmentation request.
struct SegmentQuery {
  MaskFormat mask = MaskFormat::kPng;
  bool flip = false;
  double min_area = 0.001;
  /// min_area was asked for (by the request or serve --min-area): it replaces a calibrated
  /// model's per-class area thresholds (AreaRule::overrides_calibration).
  bool min_area_given = false;
  bool colors = true;  ///< name each category's dominant colours (garment_colors.h)
};

/// Reads mask=png|rle|none, flip=0|1, min_area=[0,1) and colors=0|1 over the service's
/// defaults (colors defaults to 1: a few milliseconds against the model's tens to hundreds).
/// Throws HttpError(400) naming the parameter for a bad value or an unknown parameter.
SegmentQuery parse_segment_query(const std::multimap<std::string, std::string>& params,
                                 const ServeOptions& defaults);

/// A multipart/form-data body's parts, by field name, as the HTTP library parsed them.
using FormFields = std::multimap<std::string, std::string>;

/// The image bytes of a request: the multipart field "image" when the request is a form,
/// else the raw body. Throws HttpError(400) when the form has no "image" field or the image
/// is empty.
std::string_view request_image(bool is_form, const FormFields& fields, std::string_view body);

/// Decodes the image (EXIF orientation applied) after checking, from its header, that it has
/// at most `max_pixels` (decode_image_rgb). Throws HttpError(400) with the reason.
cv::Mat decode_request_image(std::string_view bytes, int64_t max_pixels);

/// The labels with every class that is not among `kept` set to background, so the mask shows
/// exactly the categories listed.
cv::Mat keep_only(const cv::Mat& labels, const std::vector<FoundCategory>& kept);

/// The mask entry of the answer: {"format": "png", "data": base64 8-bit gray PNG} for kPng;
/// for kRle {"format": "rle", "encoding": "coco", "size": [h, w], "counts": {"<id>": COCO
/// compressed RLE of that class}}; null for kNone.
nlohmann::json mask_json(const cv::Mat& labels, MaskFormat format,
                         const std::vector<FoundCategory>& categories);

/// GET /v1/model's answer.
nlohmann::json model_json(const ServedModel& model);

}  // namespace fashionseg::serve
