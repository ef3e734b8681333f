// Checkpoint files: everything round-trips, fp16 storage stays within tolerance, and broken or
// foreign files are clear input errors that name the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model_registry.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::HasSubstr;

Error catch_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no fashionseg::Error thrown";
  return Error(ErrorKind::kInternal, "none");
}

Checkpoint sample_checkpoint() {
  torch::manual_seed(3);
  torch::nn::Sequential net(torch::nn::Conv2d(3, 8, 3), torch::nn::BatchNorm2d(8),
                            torch::nn::Conv2d(8, 4, 1));
  ModelOptions options;
  options.num_classes = 4;
  options.aux_head = true;
  options.output_stride = 16;
  options.width_multiplier = 0.5;
  options.dropout = 0.2;
  Checkpoint checkpoint = make_checkpoint("deeplabv3_resnet50", options, *net,
                                          {"background", "shirt", "sleeve", "bag"});
  checkpoint.preprocessing.input_height = 288;
  checkpoint.preprocessing.input_width = 192;
  checkpoint.preprocessing.normalization.mean = {0.5f, 0.25f, 0.125f};
  checkpoint.provenance.config_text = "model:\n  type: deeplabv3_resnet50\n";
  checkpoint.provenance.epoch = 7;
  checkpoint.provenance.source = "unit test";
  checkpoint.training.blobs["optimizer"] = std::string("\0\x01\xff binary", 10);
  checkpoint.training.tensors["rng.cpu"] = torch::arange(5, torch::kUInt8);
  checkpoint.training.numbers["best_miou"] = 0.4125;
  checkpoint.training.texts["scheduler"] = "poly";
  return checkpoint;
}

TEST(Checkpoint, RoundTripsEveryField) {
  test::TempDir dir;
  const Checkpoint saved = sample_checkpoint();
  save_checkpoint(saved, dir / "model.fsm");
  const Checkpoint loaded = load_checkpoint(dir / "model.fsm");
  EXPECT_EQ(loaded.architecture, "deeplabv3_resnet50");
  EXPECT_EQ(loaded.options.num_classes, 4);
  EXPECT_TRUE(loaded.options.aux_head);
  EXPECT_EQ(loaded.options.output_stride, 16);
  EXPECT_DOUBLE_EQ(loaded.options.width_multiplier, 0.5);
  EXPECT_DOUBLE_EQ(loaded.options.dropout, 0.2);
  EXPECT_EQ(loaded.class_names, saved.class_names);
  EXPECT_EQ(loaded.preprocessing.input_height, 288);
  EXPECT_EQ(loaded.preprocessing.input_width, 192);
  EXPECT_EQ(loaded.preprocessing.normalization.mean, saved.preprocessing.normalization.mean);
  EXPECT_EQ(loaded.preprocessing.normalization.std, saved.preprocessing.normalization.std);
  EXPECT_EQ(loaded.provenance.config_text, saved.provenance.config_text);
  EXPECT_EQ(loaded.provenance.epoch, 7);
  EXPECT_EQ(loaded.provenance.source, "unit test");
  EXPECT_EQ(loaded.provenance.fashionseg_version.rfind("0.", 0), 0u);
  EXPECT_EQ(loaded.provenance.created_utc.size(), 20u);  // 2026-01-02T03:04:05Z
  ASSERT_EQ(loaded.weights.keys(), saved.weights.keys());
  for (const auto& item : saved.weights) {
    EXPECT_TRUE(torch::equal(loaded.weights[item.key()], item.value())) << item.key();
  }
  EXPECT_EQ(loaded.training.blobs.at("optimizer"), std::string("\0\x01\xff binary", 10));
  EXPECT_TRUE(torch::equal(loaded.training.tensors.at("rng.cpu"), torch::arange(5, torch::kUInt8)));
  EXPECT_DOUBLE_EQ(loaded.training.numbers.at("best_miou"), 0.4125);
  EXPECT_EQ(loaded.training.texts.at("scheduler"), "poly");
  EXPECT_EQ(remove_atomic_temps(dir.path()), 0u);
}

TEST(Checkpoint, HalfPrecisionStorageIsSmallerAndWithinFp16Tolerance) {
  const Checkpoint saved = sample_checkpoint();
  SaveCheckpointOptions half;
  half.half_precision_weights = true;
  const std::string full_bytes = serialize_checkpoint(saved);
  const std::string half_bytes = serialize_checkpoint(saved, half);
  EXPECT_LT(half_bytes.size(), full_bytes.size());
  const Checkpoint loaded = parse_checkpoint(half_bytes, "half.fsm");
  int rounded = 0;  // random conv weights are not exact in fp16 (BatchNorm's 0s and 1s are)
  for (const auto& item : saved.weights) {
    const torch::Tensor& back = loaded.weights[item.key()];
    EXPECT_EQ(back.scalar_type(), item.value().scalar_type()) << item.key();
    if (item.value().is_floating_point()) {
      // fp16 has an 11-bit significand: relative error <= 2^-11.
      const auto error = (back - item.value()).abs() - item.value().abs() * (1.0 / 2048) - 1e-7;
      EXPECT_LE(error.max().item<double>(), 0.0) << item.key();
      if (!torch::equal(back, item.value())) ++rounded;
    } else {
      EXPECT_TRUE(torch::equal(back, item.value())) << item.key();
    }
  }
  EXPECT_GE(rounded, 2) << "weights were not stored as fp16";
}

TEST(Checkpoint, TruncatedFilesAreInputErrorsNamingTheFile) {
  test::TempDir dir;
  const std::string bytes = serialize_checkpoint(sample_checkpoint());
  for (size_t cut :
       {size_t{0}, size_t{2}, size_t{100}, bytes.size() / 3, bytes.size() - 22, bytes.size() - 1}) {
    const auto path = dir / ("cut" + std::to_string(cut) + ".fsm");
    write_file_atomic(path, std::string_view(bytes.data(), cut));
    const Error error = catch_error([&] { load_checkpoint(path); });
    EXPECT_EQ(error.kind(), ErrorKind::kInput) << "cut at " << cut << ": " << error.what();
    EXPECT_THAT(std::string(error.what()), HasSubstr(path.string()));
  }
}

TEST(Checkpoint, CorruptedBytesAreInputErrors) {
  const std::string bytes = serialize_checkpoint(sample_checkpoint());
  // Flip bytes across the file: zip headers, pickle, tensor data. CRC-32 checks catch data
  // damage; every case must be an Error, never a crash.
  int flips = 0, errors = 0;
  for (size_t at = 0; at < bytes.size(); at += bytes.size() / 37 + 1) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    ++flips;
    try {
      parse_checkpoint(damaged, "damaged.fsm");  // a flip in zip padding can leave a valid file
    } catch (const Error& e) {
      ++errors;
      EXPECT_EQ(e.kind(), ErrorKind::kInput) << "flip at " << at << ": " << e.what();
      EXPECT_THAT(std::string(e.what()), HasSubstr("damaged.fsm"));
    }
  }
  EXPECT_GE(errors, flips * 3 / 4) << "damage went unnoticed";
}

TEST(Checkpoint, ForeignFilesPointToImportWeights) {
  StateDict plain;
  plain.insert("conv.weight", torch::zeros({2, 2}));
  const Error plain_error =
      catch_error([&] { parse_checkpoint(serialize_state(plain), "plain.pt"); });
  EXPECT_EQ(plain_error.kind(), ErrorKind::kInput);
  EXPECT_THAT(std::string(plain_error.what()), HasSubstr("plain.pt"));
  EXPECT_THAT(plain_error.hint(), HasSubstr("import-weights"));

  const Error text_error = catch_error([&] { parse_checkpoint("model: unet\n", "config.yaml"); });
  EXPECT_EQ(text_error.kind(), ErrorKind::kInput);
  EXPECT_THAT(std::string(text_error.what()), HasSubstr("config.yaml"));

  test::TempDir dir;
  EXPECT_EQ(catch_error([&] { load_checkpoint(dir / "absent.fsm"); }).kind(), ErrorKind::kNotFound);
}

TEST(Checkpoint, UnknownModelOptionsAreErrors) {
  EXPECT_EQ(model_options_from_json(R"({"num_classes": 5})", "x").num_classes, 5);
  EXPECT_EQ(model_options_from_json(R"({"num_classes": 5})", "x").output_stride, 8);
  const Error error =
      catch_error([&] { model_options_from_json(R"({"num_classes": 5, "depth": 3})", "x.fsm"); });
  EXPECT_THAT(std::string(error.what()), HasSubstr("depth"));
}

TEST(Checkpoint, PythonReadsTheFileWithTorchLoad) {
  test::TempDir dir;
  save_checkpoint(sample_checkpoint(), dir / "model.fsm", SaveCheckpointOptions{true});
  const auto result = test::run_python_script(dir, R"(
import json, torch
c = torch.load('model.fsm')
meta = json.loads(c['metadata'])
w = c['weights']
print('FORMAT', c['format'], c['format_version'])
print('ARCH', meta['architecture'], meta['model_options']['num_classes'], meta['weights_dtype'])
print('WEIGHT', w['0.weight'].dtype, tuple(w['0.weight'].shape))
print('BLOB', bytes(c['training']['blobs']['optimizer'].tolist()))
)");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("FORMAT fashionseg.checkpoint 1"));
  EXPECT_THAT(result.output, HasSubstr("ARCH deeplabv3_resnet50 4 float16"));
  EXPECT_THAT(result.output, HasSubstr("WEIGHT torch.float16 (8, 3, 3, 3)"));
  EXPECT_THAT(result.output, HasSubstr(R"(BLOB b'\x00\x01\xff binary')"));
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

TEST(LoadModel, RebuildsTheRegisteredModelWithItsWeights) {
  test::TempDir dir;
  ModelOptions options;
  options.num_classes = 3;
  ModelPtr model = create_model("lraspp_mobilenet_v3_large", options);
  model->eval();
  save_checkpoint(make_checkpoint("lraspp_mobilenet_v3_large", options, *model), dir / "m.fsm");
  const LoadedModel loaded = load_model(dir / "m.fsm");
  EXPECT_FALSE(loaded.model->is_training());
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({1, 3, 33, 45});
  EXPECT_TRUE(torch::equal(loaded.model->forward(x), model->forward(x)));
}

TEST(LoadModel, UnknownArchitectureAndWrongWeightsNameTheFile) {
  test::TempDir dir;
  ModelOptions options;
  options.num_classes = 3;
  ModelPtr model = create_model("lraspp_mobilenet_v3_large", options);
  Checkpoint checkpoint = make_checkpoint("lraspp_mobilenet_v3_large", options, *model);

  checkpoint.architecture = "no_such_net";
  save_checkpoint(checkpoint, dir / "unknown.fsm");
  const Error unknown = catch_error([&] { load_model(dir / "unknown.fsm"); });
  EXPECT_EQ(unknown.kind(), ErrorKind::kInput);
  EXPECT_THAT(std::string(unknown.what()), HasSubstr("unknown.fsm"));
  EXPECT_THAT(std::string(unknown.what()), HasSubstr("no_such_net"));
  EXPECT_THAT(unknown.hint(), HasSubstr("lraspp_mobilenet_v3_large"));

  // Weights of one architecture under the name of another: every key is named.
  checkpoint.architecture = "fcn_resnet50";
  save_checkpoint(checkpoint, dir / "wrong.fsm");
  const Error wrong = catch_error([&] { load_model(dir / "wrong.fsm"); });
  EXPECT_EQ(wrong.kind(), ErrorKind::kInput);
  EXPECT_THAT(std::string(wrong.what()), HasSubstr("wrong.fsm"));
  EXPECT_THAT(std::string(wrong.what()), HasSubstr("backbone.layer4.2.conv3.weight"));
  EXPECT_THAT(std::string(wrong.what()), HasSubstr("classifier.low_classifier.weight"));
}

}  // namespace
}  // namespace fashionseg
