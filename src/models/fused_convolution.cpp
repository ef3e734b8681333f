#include "models/fused_convolution.h"

#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/add_relu_kernel.h"

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

}  // namespace

struct FusedConvolution::State {
  int64_t in_channels = 0, out_channels = 0;
  std::array<int64_t, 2> kernel{}, stride{}, padding{}, dilation{};
  ConvEpilogue epilogue = ConvEpilogue::kNone;
  torch::Tensor weight;  // the module's own (shared, not copied): the source for packing
  torch::Tensor bias;    // float copy; undefined without a bias

  struct Plan {
    dnnl::convolution_forward primitive;
    memory::desc src, dst, scratchpad;
    std::shared_ptr<memory> weights;  // packed; shared by plans that want the same layout
    memory bias;
    int64_t out_height = 0, out_width = 0;
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
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, plan->src,
        any_weights, bias_desc, plan->dst, Dims{stride[0], stride[1]},
        Dims{dilation[0] - 1, dilation[1] - 1}, Dims{padding[0], padding[1]},
        Dims{padding[0], padding[1]});
    const dnnl::convolution_forward::primitive_desc primitive_desc(desc, attr, cpu_engine());
    plan->primitive = dnnl::convolution_forward(primitive_desc);
    plan->scratchpad = primitive_desc.scratchpad_desc();

    const memory::desc packed_desc = primitive_desc.weights_desc();
    for (const auto& packed : packed_weights) {
      if (packed->get_desc() == packed_desc) plan->weights = packed;
    }
    if (!plan->weights) {
      dnnl::stream stream(cpu_engine());
      const torch::Tensor plain = weight.to(torch::kBFloat16).contiguous();  // OIHW
      memory source({{out_channels, in_channels, kernel[0], kernel[1]},
                     memory::data_type::bf16,
                     memory::format_tag::oihw},
                    cpu_engine(), plain.data_ptr());
      plan->weights = std::make_shared<memory>(packed_desc, cpu_engine());
      dnnl::reorder(source, *plan->weights).execute(stream, source, *plan->weights);
      stream.wait();
      packed_weights.push_back(plan->weights);
    }
    if (bias.defined()) plan->bias = memory(bias_desc, cpu_engine(), bias.data_ptr());

    if (plans.size() >= kMaxPlans) plans.clear();  // running calls keep their shared_ptr
    plans.emplace(key, plan);
    return plan;
  }

  void run(const Plan& plan, const torch::Tensor& input, const torch::Tensor& output) const {
    // Named in LibTorch's profiler like its own operators.
    RECORD_FUNCTION("fashionseg::fused_convolution", std::vector<c10::IValue>{});
    const dnnl::engine& engine = cpu_engine();
    dnnl::stream stream(engine);
    const torch::Tensor scratch =
        torch::empty({static_cast<int64_t>(plan.scratchpad.get_size())}, torch::kUInt8);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(plan.src, engine, input.data_ptr())},
        {DNNL_ARG_WEIGHTS, *plan.weights},
        {DNNL_ARG_DST, memory(plan.dst, engine, output.data_ptr())},
        {DNNL_ARG_SCRATCHPAD, memory(plan.scratchpad, engine, scratch.data_ptr())}};
    if (bias.defined()) args.emplace(DNNL_ARG_BIAS, plan.bias);
    plan.primitive.execute(stream, args);
    stream.wait();
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
}

FusedConvolution::~FusedConvolution() = default;

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
