// `fashionseg bench`: inference latency and throughput of a model at a given size, after a
// warm-up, with the compute rate achieved (GFLOP/s, from the counted multiply-adds) and the
// process's peak memory. Times the model's forward pass on a normalised input as the
// Segmenter runs it (inference mode, eval, batch norms folded, channels-last on the CPU); --photo
// times the whole segmentation of a real photo instead (resize, forward, upsampling, argmax,
// categories, their colours) and the colour step alone;
// --train times one training step (forward, cross-entropy, backward, AdamW update) as the
// trainer runs it.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <regex>

#include "commands.h"
#include "default_model.h"
#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/core/precision.h"
#include "fashionseg/data/garment_colors.h"
#include "fashionseg/data/image_io.h"
#include "fashionseg/data/json_text.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/cpu_autocast.h"
#include "fashionseg/torch/device.h"
#include "fashionseg/torch/flops.h"
#include "fashionseg/torch/model_registry.h"
#include "fashionseg/torch/optimizer.h"
#include "fashionseg/torch/segmenter.h"

namespace fashionseg::cli {
namespace {

struct BenchArguments {
  std::string model;
  std::string arch;
  ModelOptions options;  ///< for --arch: --classes and the knobs (--base-width, ...)
  std::string size = "512x512";
  std::string photo;
  int batch = 1;
  int warmup = 3;
  int iterations = 20;
  std::string layout = "auto";
  std::string precision = "auto";
  bool train = false;
  bool no_fold = false;
  bool no_fuse = false;
  std::string json;
};

/// "HxW" -> {height, width}.
std::pair<int64_t, int64_t> parse_size(const std::string& text) {
  static const std::regex pattern("([0-9]{1,5})x([0-9]{1,5})");
  std::smatch match;
  if (!std::regex_match(text, match, pattern) || std::stoi(match[1]) < 16 ||
      std::stoi(match[2]) < 16) {
    throw_config_error("--size '" + text + "' is not HEIGHTxWIDTH with both >= 16, e.g. 512x512");
  }
  return {std::stoll(match[1]), std::stoll(match[2])};
}

/// The process's peak resident memory (VmHWM), in MiB; 0 when unknown.
double peak_memory_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

struct Timings {
  std::vector<double> ms;
  double mean() const { return std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size(); }
  double percentile(double p) const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p / 100.0 * sorted.size()))];
  }
};

template <typename Fn>
Timings time_calls(int warmup, int iterations, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  Timings timings;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    timings.ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return timings;
}

void run_bench(const BenchArguments& a, const GlobalOptions& global) {
  const auto [height, width] = parse_size(a.size);
  nlohmann::json report = {{"threads", torch::get_num_threads()},
                           {"batch", a.batch},
                           {"height", height},
                           {"width", width},
                           {"warmup", a.warmup},
                           {"iterations", a.iterations}};
  Timings timings;
  Timings colors;  // --photo: the colour step alone
  std::string name;
  int64_t parameters = 0;
  double gflop_per_image = 0.0;
  if (!a.photo.empty()) {
    const std::filesystem::path path = resolve_model_path(a.model);
    SegmenterOptions options;
    if (a.layout != "auto") options.channels_last = a.layout == "nhwc";
    options.fold_batch_norms = !a.no_fold;
    options.fuse_convolutions = !a.no_fuse;
    options.precision = a.precision;
    const Segmenter segmenter(path, options);
    report["precision"] = segmenter.bf16() ? "bf16" : "fp32";
    const cv::Mat rgb = read_image_rgb(a.photo);
    name = segmenter.architecture() + " (" + path.string() + ")";
    parameters = segmenter.parameters();
    timings = time_calls(a.warmup, a.iterations, [&] { segmenter.segment(rgb); });
    // The colour step alone (it is part of every segmentation timed above).
    const Segmentation once = segmenter.segment(rgb);
    colors = time_calls(a.warmup, a.iterations, [&] {
      garment_colors(rgb, once.labels, once.categories, options.color_options);
    });
    report["colors_ms"] = {{"mean", colors.mean()}, {"p50", colors.percentile(50)}};
    report["colors_share"] = colors.mean() / timings.mean();
    report["categories"] = once.categories.size();
    report["photo"] = a.photo;
    report["photo_size"] = {rgb.rows, rgb.cols};
    report["model_input"] = {segmenter.input_size().height, segmenter.input_size().width};
  } else {
    ModelPtr model;
    std::string architecture = a.arch;
    if (!a.arch.empty()) {
      check_model_knobs(a.arch, a.options);
      model = create_model(a.arch, a.options);
      name = a.arch + " (random weights, " + std::to_string(a.options.num_classes) + " classes)";
    } else {
      const std::filesystem::path path = resolve_model_path(a.model);
      LoadedModel loaded = load_model(path);
      model = loaded.model;
      architecture = loaded.checkpoint.architecture;
      name = path.string();
    }
    model->eval();
    parameters = count_parameters(*model);
    gflop_per_image = 2.0 * count_model_macs(*model, height, width).total() / 1e9;
    const ModelInfo& info = find_model(architecture);
    const bool bf16 =
        resolve_bf16(a.precision, a.train ? info.bf16_helps_training : info.bf16_helps, "cpu");
    report["precision"] = bf16 ? "bf16" : "fp32";
    // As the Segmenter decides: NHWC in bf16, and in fp32 where the registry says.
    const bool channels_last = a.layout == "auto"
                                   ? bf16 || find_model(architecture).prefers_channels_last
                                   : a.layout == "nhwc";
    report["layout"] = channels_last ? "nhwc" : "nchw";
    if (a.train) {
      if (channels_last) to_channels_last(*model);
    } else {
      // Prepared as the Segmenter prepares it (training can fold nothing and keeps fp32
      // master weights).
      const InferencePrepared prepared =
          prepare_for_inference(*model, {torch::kCPU, channels_last, !a.no_fold, bf16, !a.no_fuse});
      if (!a.no_fold) report["batch_norms_folded"] = prepared.batch_norms_folded;
      report["convolutions_fused"] = prepared.convolutions_fused;
    }
    torch::Tensor input = torch::randn({a.batch, 3, height, width});
    if (channels_last) input = input.contiguous(torch::MemoryFormat::ChannelsLast);
    if (a.train) {
      // A training step: the backward pass costs about twice the forward, so the compute
      // figure below counts 3 forward passes per image.
      // The class count from one eval-mode pass (train-mode BatchNorm needs a batch > 1).
      int64_t classes = 0;
      {
        c10::InferenceMode inference;
        classes = model->forward(input.slice(0, 0, 1)).size(1);
      }
      const torch::Tensor labels =
          torch::randint(0, classes, {a.batch, height, width}, torch::kLong);
      model->train();
      // The trainer's AdamW (make_optimizer) with PyTorch's defaults but lr 1e-4, as
      // bench/torch_reference.py's.
      OptimizerConfig adamw;
      adamw.type = "adamw";
      adamw.lr = 1e-4;
      adamw.weight_decay = 1e-2;
      const std::unique_ptr<torch::optim::Optimizer> optimizer =
          make_optimizer(adamw, model->parameters());
      gflop_per_image *= 3.0;
      timings = time_calls(a.warmup, a.iterations, [&] {
        optimizer->zero_grad();
        torch::Tensor loss;
        {
          // The forward pass under autocast; the loss reads fp32 logits, backward runs after.
          const CpuBf16Autocast autocast(bf16);
          loss =
              torch::nn::functional::cross_entropy(model->forward(input).to(torch::kFloat), labels);
        }
        loss.backward();
        optimizer->step();
      });
      report["mode"] = "train step";
    } else {
      c10::InferenceMode inference;
      timings = time_calls(a.warmup, a.iterations, [&] {
        const CpuBf16Autocast autocast(bf16);
        model->forward(input);
      });
      report["mode"] = "forward";
    }
  }
  const double images_per_second = a.batch * 1000.0 / timings.mean();
  report.update({{"model", name},
                 {"parameters", parameters},
                 {"latency_ms",
                  {{"mean", timings.mean()},
                   {"p50", timings.percentile(50)},
                   {"p90", timings.percentile(90)},
                   {"min", timings.percentile(0)}}},
                 {"images_per_second", images_per_second},
                 {"peak_memory_mib", peak_memory_mib()}});
  std::cout << std::fixed << std::setprecision(2) << name << "\n  "
            << (a.photo.empty() ? std::string(a.train ? "train step" : "forward") + ", batch " +
                                      std::to_string(a.batch) + " at " + a.size
                                : "segment " + a.photo)
            << ", " << torch::get_num_threads() << " threads, " << a.iterations << " timed after "
            << a.warmup << " warm-up\n"
            << "  latency ms: mean " << timings.mean() << ", p50 " << timings.percentile(50)
            << ", p90 " << timings.percentile(90) << ", min " << timings.percentile(0) << "\n"
            << "  throughput: " << images_per_second << " images/s\n";
  if (!colors.ms.empty()) {
    std::cout << "  colours: " << colors.mean() << " ms mean, " << std::setprecision(1)
              << 100.0 * colors.mean() / timings.mean() << "% of the segmentation ("
              << report["categories"].get<size_t>() << " categories)\n"
              << std::setprecision(2);
  }
  if (gflop_per_image > 0) {
    report["gflop_per_image"] = gflop_per_image;
    report["gflop_per_second"] = gflop_per_image * images_per_second;
    std::cout << "  compute: " << gflop_per_image << " GFLOP per image (multiply-adds x 2"
              << (a.train ? " x 3 for forward + backward" : "") << "), "
              << gflop_per_image * images_per_second << " GFLOP/s achieved\n";
  }
  std::cout << "  parameters: " << parameters << ", peak memory: " << peak_memory_mib() << " MiB\n";
  if (!a.json.empty()) {
    write_file_atomic(a.json, json_text(report, 2) + "\n");
    std::cout << "wrote " << a.json << "\n";
  }
}

}  // namespace

Command add_bench_command(CLI::App& root, const GlobalOptions& global) {
  auto a = std::make_shared<BenchArguments>();
  std::vector<CLI::Option*> arch_knobs;
  CLI::App* app = root.add_subcommand(
      "bench", "Inference latency, throughput, GFLOP/s and peak memory of a model");
  app->add_option("-m,--model", a->model, "Checkpoint (.fsm); default: the bundled model");
  app->add_option("--arch", a->arch, "A registered architecture with random weights instead");
  app->add_option("--classes", a->options.num_classes, "Classes for --arch")
      ->check(CLI::Range(2, 255))
      ->capture_default_str();
  // Every model knob, named as in the YAML config with dashes (model_options.h); a knob the
  // model does not read is an error.
  visit_model_knobs(a->options, [&](const char* knob, auto& value) {
    std::string flag = std::string("--") + knob;
    std::replace(flag.begin(), flag.end(), '_', '-');
    CLI::Option* option = app->add_option(
        flag, value, std::string("Model option ") + knob + " for --arch (see `fashionseg models`)");
    option->capture_default_str();
    arch_knobs.push_back(option);
  });
  app->add_option("--size", a->size, "Input HEIGHTxWIDTH")->capture_default_str();
  app->add_option("--batch", a->batch, "Images per forward pass")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--photo", a->photo, "Time the whole segmentation of this photo instead");
  app->add_option("--warmup", a->warmup, "Untimed runs first")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app->add_option("--iterations", a->iterations, "Timed runs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app->add_option("--precision", a->precision,
                  "fp32, bf16 (autocast) or auto (bf16 where this CPU computes it natively and "
                  "the model gains from it)")
      ->check(CLI::IsMember({"fp32", "bf16", "auto"}))
      ->capture_default_str();
  app->add_option("--layout", a->layout,
                  "Tensor layout on the CPU: auto (NHWC where it is faster, as predict and serve "
                  "run), nhwc or nchw")
      ->check(CLI::IsMember({"auto", "nhwc", "nchw"}))
      ->capture_default_str();
  app->add_flag("--train", a->train,
                "Time a training step (forward, cross-entropy, backward, AdamW) instead");
  app->add_flag("--no-fold", a->no_fold,
                "Keep batch normalisations separate from their convolutions (inference folds "
                "them by default, as predict and serve do)");
  app->add_flag("--no-fuse", a->no_fuse,
                "Run every convolution through LibTorch (in bf16 on the CPU, inference runs "
                "ResNet-50's and ASPP's through oneDNN directly with their ReLU and residual add "
                "fused, as predict and serve do)");
  app->add_option("--json", a->json, "Also write the figures as JSON");
  for (CLI::Option* knob : arch_knobs) knob->needs(app->get_option("--arch"));
  app->get_option("--arch")->excludes(app->get_option("--model"));
  app->get_option("--arch")->excludes(app->get_option("--photo"));
  app->get_option("--train")->excludes(app->get_option("--photo"));
  app->get_option("--train")->excludes(app->get_option("--no-fold"));
  app->get_option("--train")->excludes(app->get_option("--no-fuse"));
  return {app, [a, &global] { run_bench(*a, global); }};
}

}  // namespace fashionseg::cli
