#pragma once
/// Decoding photos at a fraction of their size. A JPEG decoded at 1/2, 1/4 or 1/8 scale
/// (libjpeg's scaled inverse DCT) costs a fraction of a full decode and is a proper
/// low-pass reduction, so a loader that shrinks photos anyway decodes less and resizes less.

#include <opencv2/core.hpp>

#include <string>
#include <string_view>

namespace fashionseg {

/// The largest reduction in {1, 2, 4, 8} that keeps a `full` image at least as large as
/// `target` in both dimensions (1 when target is larger than full / 2).
int decode_reduction_for(cv::Size full, cv::Size target);

/// Decodes a photo to 8-bit RGB (CV_8UC3), EXIF orientation applied, as decode_image_rgb,
/// but a JPEG at 1/`reduction` of its size (each side rounded up; reduction 1, 2, 4 or 8).
/// Other formats are decoded at full size (for them a reduced decode would only add a
/// resize): the caller must use the size it gets. Throws Error(kInput) naming `name` when
/// the bytes are not a decodable image, Error(kConfig) for another reduction.
cv::Mat decode_image_rgb_reduced(std::string_view bytes, const std::string& name, int reduction);

}  // namespace fashionseg
