#include "models/layers.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <ATen/Parallel.h>

#include "fashionseg/core/error.h"
#include "models/bilinear_kernel.h"

namespace fashionseg::models {

torch::nn::Conv2d conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
                         int64_t padding, int64_t dilation, bool bias, int64_t groups) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                               .stride(stride)
                               .padding(padding)
                               .dilation(dilation)
                               .groups(groups)
                               .bias(bias));
}

FoldableBatchNorm2d batch_norm(int64_t channels, double eps, double momentum) {
  return FoldableBatchNorm2d(torch::nn::BatchNorm2dOptions(channels).eps(eps).momentum(momentum));
}

void init_kaiming_fan_out(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* conv = child->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* conv_t = child->as<torch::nn::ConvTranspose2d>()) {
      torch::nn::init::kaiming_normal_(conv_t->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv_t->bias.defined()) conv_t->bias.zero_();
    } else if (auto* bn = child->as<FoldableBatchNorm2d>()) {
      if (bn->weight.defined()) bn->weight.fill_(1.0);
      if (bn->bias.defined()) bn->bias.zero_();
    }
  }
}

namespace {

/// Whether resize_bilinear's own kernel can resize `x`: a channels-last [B, C, H, W] CPU
/// tensor in float or bf16.
bool own_resize_applies(const torch::Tensor& x) {
  return x.dim() == 4 && x.device().is_cpu() &&
         x.is_contiguous(torch::MemoryFormat::ChannelsLast) && !x.is_contiguous() &&
         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16);
}

/// F::interpolate(bilinear, align_corners=false) of a channels-last tensor, in its type
/// (bf16 autocast leaves upsampling in the input's type; LibTorch computes it in float and
/// rounds each value once, as here).
torch::Tensor resize_channels_last(const torch::Tensor& x, int64_t height, int64_t width) {
  const bool bf16 = x.scalar_type() == torch::kBFloat16;
  const torch::Tensor input = x.to(torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast);
  const int64_t batch = input.size(0), channels = input.size(1);
  const auto in_height = static_cast<int>(input.size(2));
  const auto in_width = static_cast<int>(input.size(3));
  torch::Tensor output = torch::empty({batch, channels, height, width},
                                      x.options().memory_format(torch::MemoryFormat::ChannelsLast));
  const BilinearTaps rows = bilinear_taps(in_height, static_cast<int>(height));
  const BilinearTaps columns = bilinear_taps(in_width, static_cast<int>(width));
  const float* source = input.data_ptr<float>();
  const int64_t in_image = input.size(2) * input.size(3) * channels;
  const int64_t out_image = height * width * channels;
  at::parallel_for(0, batch * height, 8, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(in_width * channels));
    for (int64_t row = begin; row < end;) {  // rows of one image at a time
      const int64_t image = row / height;
      const int64_t stop = std::min(end, (image + 1) * height);
      const auto first = static_cast<int>(row - image * height);
      const auto last = static_cast<int>(stop - image * height);
      const float* in = source + image * in_image;
      if (bf16) {
        auto* out =
            reinterpret_cast<uint16_t*>(output.data_ptr<at::BFloat16>()) + image * out_image;
        resize_bilinear_hwc_rows_bf16(in, in_width, static_cast<int>(channels), out, rows, columns,
                                      first, last, scratch.data());
      } else {
        float* out = output.data_ptr<float>() + image * out_image;
        resize_bilinear_hwc_rows(in, in_width, static_cast<int>(channels), out, rows, columns,
                                 first, last, scratch.data());
      }
      row = stop;
    }
  });
  return output;
}

/// The resize with a gradient: forward by resize_channels_last, backward by LibTorch's own
/// upsample_bilinear2d_backward (what F::interpolate's gradient is).
class ChannelsLastResize : public torch::autograd::Function<ChannelsLastResize> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x,
                               int64_t height, int64_t width) {
    context->saved_data["input_sizes"] = x.sizes().vec();
    return resize_channels_last(x, height, width);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const torch::Tensor& gradient = gradients[0];
    const std::vector<int64_t> input_sizes = context->saved_data["input_sizes"].toIntVector();
    const torch::Tensor input_gradient = at::upsample_bilinear2d_backward(
        gradient, {gradient.size(2), gradient.size(3)}, input_sizes, /*align_corners=*/false);
    return {input_gradient, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width) {
  if (x.size(-2) == height && x.size(-1) == width) return x;
  // LibTorch 1.13's channels-last kernel takes twice as long (4.3 vs 1.9 ms for 47 x 64 x 64
  // to 512 x 512 on 2 threads): a fifth of an LR-ASPP forward pass, and in bf16 (autocast
  // leaves resizing in the input's type) six times as long, rounding along the way.
  if (own_resize_applies(x)) {
    if (torch::GradMode::is_enabled() && x.requires_grad()) {
      return ChannelsLastResize::apply(x, height, width);
    }
    return resize_channels_last(x, height, width);
  }
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

torch::Tensor transposed_conv_2x2(torch::nn::ConvTranspose2dImpl& up, const torch::Tensor& x) {
  const auto& o = up.options;
  const auto all = [](const auto& values, int64_t value) {
    return std::all_of(values->begin(), values->end(), [&](int64_t v) { return v == value; });
  };
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  const bool zero_padding = padding != nullptr && all(*padding, 0);
  if (!(all(o.kernel_size(), 2) && all(o.stride(), 2) && zero_padding &&
        all(o.output_padding(), 0) && all(o.dilation(), 1) && o.groups() == 1 && x.dim() == 4)) {
    return up.forward(x);
  }
  // weight [C_in, C_out, 2, 2] -> [C_out * 4, C_in, 1, 1], row c * 4 + i * 2 + j being the
  // weights of output pixel (2y + i, 2x + j) of channel c: pixel_shuffle's order.
  const int64_t in_channels = up.weight.size(0);
  const int64_t out_channels = up.weight.size(1);
  const torch::Tensor weight =
      up.weight.permute({1, 2, 3, 0}).reshape({out_channels * 4, in_channels, 1, 1});
  const torch::Tensor bias = up.bias.defined() ? up.bias.repeat_interleave(4) : torch::Tensor();
  return torch::pixel_shuffle(torch::conv2d(x, weight, bias), 2);
}

torch::Tensor pad_to_multiple(const torch::Tensor& x, int64_t multiple) {
  const int64_t height = x.size(-2);
  const int64_t width = x.size(-1);
  const int64_t pad_bottom = (multiple - height % multiple) % multiple;
  const int64_t pad_right = (multiple - width % multiple) % multiple;
  if (pad_bottom == 0 && pad_right == 0) return x;
  return torch::constant_pad_nd(x, {0, pad_right, 0, pad_bottom}, 0.0);
}

torch::Tensor crop_to(const torch::Tensor& x, int64_t height, int64_t width) {
  if (x.size(-2) == height && x.size(-1) == width) return x;
  return x.slice(-2, 0, height).slice(-1, 0, width);
}

void check_input(const torch::Tensor& images, const char* model) {
  if (!images.defined() || images.dim() != 4 || images.size(1) != 3 || images.size(0) < 1 ||
      images.size(2) < 1 || images.size(3) < 1 || !images.is_floating_point()) {
    std::string got = "an undefined tensor";
    if (images.defined()) {
      std::ostringstream text;
      text << c10::toString(images.scalar_type()) << " " << images.sizes();
      got = text.str();
    }
    throw_config_error(std::string(model) + ": expected a float image batch [B,3,H,W], got " + got);
  }
}

void check_common_options(const ModelOptions& options, const char* model) {
  const std::string prefix = std::string(model) + ": ";
  if (options.num_classes < 1) {
    throw_config_error(prefix + "num_classes must be >= 1, got " +
                       std::to_string(options.num_classes));
  }
  if (!(options.width_multiplier > 0.0) || !std::isfinite(options.width_multiplier)) {
    throw_config_error(prefix + "width_multiplier must be > 0, got " +
                       std::to_string(options.width_multiplier));
  }
  if (options.base_width < 1) {
    throw_config_error(prefix + "base_width must be >= 1, got " +
                       std::to_string(options.base_width));
  }
  if (!(options.dropout < 1.0) || std::isnan(options.dropout)) {
    throw_config_error(prefix + "dropout must be < 1 (negative = the model's default), got " +
                       std::to_string(options.dropout));
  }
}

int64_t scaled_channels(int64_t channels, double multiplier) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::lround(channels * multiplier)));
}

}  // namespace fashionseg::models
