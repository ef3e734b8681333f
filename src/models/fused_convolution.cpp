#include "models/fused_convolution.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/add_relu_kernel.h"
#include "models/winograd_kernel.h"

namespace fashionseg::models {
namespace {

using dnnl::memory;
using Dims = memory::dims;

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

/// A dense NHWC bf16 tensor's description for oneDNN.
memory::desc nhwc_bf16(int64_t n, int64_t c, int64_t h, int64_t w) {
  return memory::desc({n, c, h, w}, memory::data_type::bf16, memory::format_tag::nhwc);
}

bool is_dense_channels_last_bf16(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kBFloat16 && t.dim() == 4 &&
         t.is_contiguous(torch::MemoryFormat::ChannelsLast);
}

// Plans hold one primitive per input size; photos come in a few sizes, so a small bound.
constexpr size_t kMaxPlans = 16;

// Winograd's F(2x2, 3x3) (winograd_kernel.h) runs a 3x3 convolution when its products are at
// most this share of the direct convolution's (which skips the taps in the padding: for ASPP's
// rates 12-36 on a 64 x 64 map many taps are padding, and Winograd's tiles would compute them:
// measured 2.2-3.6x slower there), and both channel counts are at least the minimum (64 -> 64
// at 128 x 128 ran no faster than direct; 128 -> 128 15% faster; 512 -> 512 30%).
constexpr double kWinogradMaxWorkShare = 0.6;
constexpr int64_t kWinogradMinChannels = 128;

/// Tiles per round of Winograd's three steps: M (16 x tiles x out floats) about 2 MB, so that
/// V and M stay in the cache from one step to the next (measured: 512 -> 512 channels at
/// 64 x 64, 26 ms in one round, 13 ms in rounds of 2 MB, 15 ms of 1 MB).
int64_t winograd_chunk(int64_t out_channels) {
  constexpr int64_t kProductBytes = int64_t{1} << 21;
  return std::max<int64_t>(32, kProductBytes / (16 * 4 * out_channels) / 16 * 16);
}

/// How many of a 3-tap dilated kernel's taps fall inside `size` positions, summed over them.
int64_t taps_inside(int64_t size, int64_t dilation) {
  int64_t taps = 0;
  for (int64_t position = 0; position < size; ++position) {
    for (int64_t tap = -1; tap <= 1; ++tap) {
      const int64_t at = position + tap * dilation;
      taps += at >= 0 && at < size ? 1 : 0;
    }
  }
  return taps;
}

}  // namespace

struct FusedConvolution::State {
  int64_t in_channels = 0, out_channels = 0;
  std::array<int64_t, 2> kernel{}, stride{}, padding{}, dilation{};
  ConvEpilogue epilogue = ConvEpilogue::kNone;
  torch::Tensor weight;  // the module's own (shared, not copied): the source for packing
  torch::Tensor bias;    // float copy; undefined without a bias
  // Whether Winograd can run this convolution (3x3, stride 1, the input's size out, channels
  // in 16s, at least kWinogradMinChannels, a CPU with AVX512-BF16).
  bool winograd_shape = false;

  struct Plan {
    dnnl::convolution_forward primitive;
    memory::desc src, dst, scratchpad;
    std::shared_ptr<memory> weights;  // packed; shared by plans that want the same layout
    memory bias;
    int64_t out_height = 0, out_width = 0;
    // Winograd instead of the convolution primitive: its tiles and the 16 products.
    bool winograd = false;
    std::vector<WinogradTile> tiles;
    int64_t chunk = 0;      // tiles per round of transform, products, transform back
    dnnl::matmul products;  // of one round: V [16][chunk][in] bf16 x U -> M [16][chunk][out] f32
    memory::desc transformed, product_sums;
  };
  std::mutex mutex;
  std::map<std::array<int64_t, 3>, std::shared_ptr<const Plan>> plans;  // by N, H, W
  std::vector<std::shared_ptr<memory>> packed_weights;

  int64_t output_size(int64_t in, int axis) const {
    return (in + 2 * padding[axis] - dilation[axis] * (kernel[axis] - 1) - 1) / stride[axis] + 1;
  }

  std::shared_ptr<const Plan> plan_for(int64_t n, int64_t h, int64_t w) {
    const std::lock_guard<std::mutex> lock(mutex);
    const std::array<int64_t, 3> key{n, h, w};
    if (const auto found = plans.find(key); found != plans.end()) return found->second;
    auto plan = std::make_shared<Plan>();
    plan->out_height = output_size(h, 0);
    plan->out_width = output_size(w, 1);
    if (plan->out_height < 1 || plan->out_width < 1) {
      throw std::invalid_argument("FusedConvolution: input " + std::to_string(h) + "x" +
                                  std::to_string(w) + " is smaller than the kernel");
    }
    plan->src = nhwc_bf16(n, in_channels, h, w);
    plan->dst = nhwc_bf16(n, out_channels, plan->out_height, plan->out_width);
    if (winograd_pays(n, h, w)) {
      plan_winograd(*plan, n, h, w);
    } else {
      plan_direct(*plan);
    }
    if (plans.size() >= kMaxPlans) plans.clear();  // running calls keep their shared_ptr
    plans.emplace(key, plan);
    return plan;
  }

  bool winograd_pays(int64_t n, int64_t h, int64_t w) const {
    if (!winograd_shape) {
      return false;
    }
    const int64_t products =
        static_cast<int64_t>(winograd_tiles(static_cast<int>(n), static_cast<int>(h),
                                            static_cast<int>(w), static_cast<int>(dilation[0]))
                                 .size() *
                             16);
    const int64_t direct = n * taps_inside(h, dilation[0]) * taps_inside(w, dilation[1]);
    return static_cast<double>(products) <= kWinogradMaxWorkShare * static_cast<double>(direct);
  }

  /// The packed copy, in the layout `packed_desc`, of the bf16 weights `make_plain` returns
  /// (`dims` in layout `tag`); shared with plans that want the same layout, and made (and the
  /// plain weights with it) only when none does.
  std::shared_ptr<memory> packed(const memory::desc& packed_desc, const Dims& dims,
                                 memory::format_tag tag,
                                 const std::function<torch::Tensor()>& make_plain) {
    for (const auto& candidate : packed_weights) {
      if (candidate->get_desc() == packed_desc) return candidate;
    }
    const torch::Tensor plain_weights = make_plain();
    memory plain({dims, memory::data_type::bf16, tag}, cpu_engine(), plain_weights.data_ptr());
    dnnl::stream stream(cpu_engine());
    auto result = std::make_shared<memory>(packed_desc, cpu_engine());
    dnnl::reorder(plain, *result).execute(stream, plain, *result);
    stream.wait();
    packed_weights.push_back(result);
    return result;
  }

  /// Winograd's transformed weights U [16][in][out] in bf16: computed in float from the
  /// (folded, usually bf16) weights and rounded once.
  torch::Tensor winograd_weights_bf16() const {
    const torch::Tensor weights = weight.to(torch::kFloat).contiguous();  // [out][in][3][3]
    std::vector<float> transformed = winograd_weights(
        weights.data_ptr<float>(), static_cast<int>(in_channels), static_cast<int>(out_channels));
    return torch::from_blob(transformed.data(), {16, in_channels, out_channels}, torch::kFloat)
        .to(torch::kBFloat16);
  }

  void plan_winograd(Plan& plan, int64_t n, int64_t h, int64_t w) {
    plan.winograd = true;
    plan.tiles = winograd_tiles(static_cast<int>(n), static_cast<int>(h), static_cast<int>(w),
                                static_cast<int>(dilation[0]));
    // Rounds of equal size (the last one's extra rows are products of stale rows of V, left
    // unread), at most the size that keeps V and M in the cache.
    const auto tiles = static_cast<int64_t>(plan.tiles.size());
    const int64_t rounds =
        (tiles + winograd_chunk(out_channels) - 1) / winograd_chunk(out_channels);
    plan.chunk = (tiles + rounds - 1) / rounds;
    plan.transformed = memory::desc({16, plan.chunk, in_channels}, memory::data_type::bf16,
                                    memory::format_tag::abc);
    plan.product_sums = memory::desc({16, plan.chunk, out_channels}, memory::data_type::f32,
                                     memory::format_tag::abc);
    const memory::desc any_weights({16, in_channels, out_channels}, memory::data_type::bf16,
                                   memory::format_tag::any);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::matmul::primitive_desc primitive_desc(
        dnnl::matmul::desc(plan.transformed, any_weights, plan.product_sums), attr, cpu_engine());
    plan.products = dnnl::matmul(primitive_desc);
    plan.scratchpad = primitive_desc.scratchpad_desc();
    plan.weights = packed(primitive_desc.weights_desc(), {16, in_channels, out_channels},
                          memory::format_tag::abc, [this] { return winograd_weights_bf16(); });
  }

  void plan_direct(Plan& plan) {
    const memory::desc any_weights({out_channels, in_channels, kernel[0], kernel[1]},
                                   memory::data_type::bf16, memory::format_tag::any);
    const memory::desc bias_desc =
        bias.defined() ? memory::desc({out_channels}, memory::data_type::f32, memory::format_tag::a)
                       : memory::desc();
    dnnl::post_ops post_ops;
    // The residual add is not a post-op: oneDNN's sum post-op made ResNet-50's 1x1
    // convolutions 20-50% slower, more than a pass of add_relu_bf16 costs.
    if (epilogue == ConvEpilogue::kRelu) {
      post_ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(post_ops);
    // Scratch memory per call (user mode) keeps concurrent calls of one primitive apart.
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    // oneDNN counts dilation from 0 (a dense kernel has dilation 0).
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, plan.src,
        any_weights, bias_desc, plan.dst, Dims{stride[0], stride[1]},
        Dims{dilation[0] - 1, dilation[1] - 1}, Dims{padding[0], padding[1]},
        Dims{padding[0], padding[1]});
    const dnnl::convolution_forward::primitive_desc primitive_desc(desc, attr, cpu_engine());
    plan.primitive = dnnl::convolution_forward(primitive_desc);
    plan.scratchpad = primitive_desc.scratchpad_desc();

    plan.weights = packed(
        primitive_desc.weights_desc(), {out_channels, in_channels, kernel[0], kernel[1]},
        memory::format_tag::oihw, [this] { return weight.to(torch::kBFloat16).contiguous(); });
    if (bias.defined()) plan.bias = memory(bias_desc, cpu_engine(), bias.data_ptr());
  }

  void run(const Plan& plan, const torch::Tensor& input, const torch::Tensor& output) const {
    // Named in LibTorch's profiler like its own operators.
    RECORD_FUNCTION("fashionseg::fused_convolution", std::vector<c10::IValue>{});
    const dnnl::engine& engine = cpu_engine();
    dnnl::stream stream(engine);
    const torch::Tensor scratch =
        torch::empty({static_cast<int64_t>(plan.scratchpad.get_size())}, torch::kUInt8);
    if (plan.winograd) {
      run_winograd(plan, input, output, scratch);
      return;
    }
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(plan.src, engine, input.data_ptr())},
        {DNNL_ARG_WEIGHTS, *plan.weights},
        {DNNL_ARG_DST, memory(plan.dst, engine, output.data_ptr())},
        {DNNL_ARG_SCRATCHPAD, memory(plan.scratchpad, engine, scratch.data_ptr())}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, plan.bias);
    plan.primitive.execute(stream, args);
    stream.wait();
  }

  void run_winograd(const Plan& plan, const torch::Tensor& input, const torch::Tensor& output,
                    const torch::Tensor& scratch) const {
    const dnnl::engine& engine = cpu_engine();
    dnnl::stream stream(engine);
    const auto tiles = static_cast<int64_t>(plan.tiles.size());
    const auto height = static_cast<int>(input.size(2));
    const auto width = static_cast<int>(input.size(3));
    const auto d = static_cast<int>(dilation[0]);
    // One chunk's V and M at a time: they stay in the cache between the three steps.
    torch::Tensor transformed = torch::empty({16, plan.chunk, in_channels}, torch::kBFloat16);
    torch::Tensor product_sums = torch::empty({16, plan.chunk, out_channels}, torch::kFloat);
    const auto* input_bits = reinterpret_cast<const uint16_t*>(input.data_ptr());
    auto* transformed_bits = reinterpret_cast<uint16_t*>(transformed.data_ptr());
    const float* sums = product_sums.data_ptr<float>();
    const float* bias_values = bias.defined() ? bias.data_ptr<float>() : nullptr;
    auto* output_bits = reinterpret_cast<uint16_t*>(output.data_ptr());
    const bool relu = epilogue == ConvEpilogue::kRelu;
    constexpr int64_t kTilesPerTask = 4;
    for (int64_t first = 0; first < tiles; first += plan.chunk) {
      const int64_t count = std::min(plan.chunk, tiles - first);
      const WinogradTile* chunk_tiles = plan.tiles.data() + first;
      at::parallel_for(0, count, kTilesPerTask, [&](int64_t begin, int64_t end) {
        winograd_input_transform(input_bits, height, width, static_cast<int>(in_channels), d,
                                 chunk_tiles, plan.chunk, begin, end, transformed_bits);
      });
      plan.products.execute(
          stream, {{DNNL_ARG_SRC, memory(plan.transformed, engine, transformed.data_ptr())},
                   {DNNL_ARG_WEIGHTS, *plan.weights},
                   {DNNL_ARG_DST, memory(plan.product_sums, engine, product_sums.data_ptr())},
                   {DNNL_ARG_SCRATCHPAD, memory(plan.scratchpad, engine, scratch.data_ptr())}});
      stream.wait();
      at::parallel_for(0, count, kTilesPerTask, [&](int64_t begin, int64_t end) {
        winograd_output_transform(sums, height, width, static_cast<int>(out_channels), d,
                                  chunk_tiles, plan.chunk, begin, end, bias_values, relu,
                                  output_bits);
      });
    }
  }
};

FusedConvolution::FusedConvolution(const torch::nn::Conv2dImpl& conv, ConvEpilogue epilogue)
    : state_(std::make_unique<State>()) {
  const auto& options = conv.options;
  if (options.groups() != 1) {
    throw std::invalid_argument("FusedConvolution: grouped convolutions are not fused");
  }
  if (!c10::holds_alternative<torch::enumtype::kZeros>(options.padding_mode())) {
    throw std::invalid_argument("FusedConvolution: only zero padding is fused");
  }
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&options.padding());
  if (padding == nullptr) {
    throw std::invalid_argument("FusedConvolution: 'same'/'valid' padding is not fused");
  }
  State& s = *state_;
  s.in_channels = options.in_channels();
  s.out_channels = options.out_channels();
  for (int axis = 0; axis < 2; ++axis) {
    s.kernel[axis] = (*options.kernel_size())[axis];
    s.stride[axis] = (*options.stride())[axis];
    s.padding[axis] = (**padding)[axis];
    s.dilation[axis] = (*options.dilation())[axis];
  }
  s.epilogue = epilogue;
  s.weight = conv.weight.detach();
  if (conv.bias.defined()) s.bias = conv.bias.detach().to(torch::kFloat).contiguous().clone();
  const bool winograd_shape = s.kernel == std::array<int64_t, 2>{3, 3} &&
                              s.stride == std::array<int64_t, 2>{1, 1} && s.padding == s.dilation &&
                              s.dilation[0] == s.dilation[1] && s.in_channels % 16 == 0 &&
                              s.out_channels % 16 == 0 && epilogue != ConvEpilogue::kAddRelu;
  s.winograd_shape = winograd_shape && winograd_available() &&
                     std::min(s.in_channels, s.out_channels) >= kWinogradMinChannels;
}

FusedConvolution::~FusedConvolution() = default;

std::string FusedConvolution::algorithm(int64_t n, int64_t height, int64_t width) const {
  return state_->plan_for(n, height, width)->winograd ? "winograd" : "direct";
}

bool FusedConvolution::accepts(const torch::Tensor& input) const {
  return !torch::GradMode::is_enabled() && is_dense_channels_last_bf16(input) &&
         input.size(1) == state_->in_channels;
}

torch::Tensor FusedConvolution::forward(const torch::Tensor& input) const {
  TORCH_CHECK(state_->epilogue != ConvEpilogue::kAddRelu,
              "FusedConvolution::forward: an add-ReLU convolution needs forward_add_relu");
  TORCH_CHECK(accepts(input), "FusedConvolution::forward: input not accepted");
  const auto plan = state_->plan_for(input.size(0), input.size(2), input.size(3));
  torch::Tensor output =
      torch::empty({input.size(0), state_->out_channels, plan->out_height, plan->out_width},
                   input.options().memory_format(torch::MemoryFormat::ChannelsLast));
  state_->run(*plan, input, output);
  return output;
}

void FusedConvolution::forward_add_relu(const torch::Tensor& input, torch::Tensor& residual) const {
  TORCH_CHECK(state_->epilogue == ConvEpilogue::kAddRelu,
              "FusedConvolution::forward_add_relu: not built with the add-ReLU epilogue");
  TORCH_CHECK(accepts(input), "FusedConvolution::forward_add_relu: input not accepted");
  const auto plan = state_->plan_for(input.size(0), input.size(2), input.size(3));
  TORCH_CHECK(is_dense_channels_last_bf16(residual) &&
                  residual.sizes() == torch::IntArrayRef({input.size(0), state_->out_channels,
                                                          plan->out_height, plan->out_width}),
              "FusedConvolution::forward_add_relu: residual ", residual.sizes(),
              " is not a bf16 channels-last tensor of the output's shape");
  torch::Tensor output = torch::empty_like(residual);
  state_->run(*plan, input, output);
  // The values LibTorch's add_ and relu_ give (each sum rounded to bf16 once), in one pass.
  auto* accumulator = reinterpret_cast<uint16_t*>(residual.data_ptr());
  const auto* addend = reinterpret_cast<const uint16_t*>(output.data_ptr());
  RECORD_FUNCTION("fashionseg::add_relu_bf16", std::vector<c10::IValue>{});
  at::parallel_for(0, residual.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    add_relu_bf16(accumulator + begin, addend + begin, end - begin);
  });
}

bool fused_convolutions_available() {
  // oneDNN's ISA levels are cumulative bit masks: a CPU at avx512_core_bf16 or above (AMX)
  // has every bit of it. Below it oneDNN emulates bf16 and LibTorch's path is no slower.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

}  // namespace fashionseg::models
