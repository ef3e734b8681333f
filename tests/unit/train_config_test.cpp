// Experiment configs: strict keys with file/line errors, overrides, round trip through YAML.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fashionseg/core/error.h"
#include "fashionseg/data/train_config.h"

namespace fashionseg {
namespace {

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_train_config(yaml, "exp.yaml", overrides);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
    return e.what();
  }
  ADD_FAILURE() << "expected an error for:\n" << yaml;
  return "";
}

TEST(TrainConfig, ReadsValuesAndKeepsDefaults) {
  const auto config = parse_train_config(
      "model:\n  type: fc_densenet56\ndata:\n  root: prepared\n  batch_size: 4\n"
      "optimizer:\n  type: sgd\n  lr: 0.01\n  nesterov: true\n",
      "exp.yaml");
  EXPECT_EQ(config.model.type, "fc_densenet56");
  EXPECT_EQ(config.data.root, "prepared");
  EXPECT_EQ(config.data.batch_size, 4);
  EXPECT_EQ(config.optimizer.type, "sgd");
  EXPECT_DOUBLE_EQ(config.optimizer.lr, 0.01);
  EXPECT_TRUE(config.optimizer.nesterov);
  EXPECT_EQ(config.loss.type, "ce");  // default
  EXPECT_EQ(config.train.epochs, 40);
}

TEST(TrainConfig, UnknownKeyNamesFileLineAndValidKeys) {
  const std::string message = error_of("model:\n  type: unet\n  base_widht: 16\n");
  EXPECT_NE(message.find("exp.yaml:3"), std::string::npos) << message;
  EXPECT_NE(message.find("model.base_widht"), std::string::npos) << message;
  EXPECT_NE(message.find("base_width"), std::string::npos) << message;  // the valid keys
}

TEST(TrainConfig, UnknownSectionIsAnError) {
  const std::string message = error_of("modle:\n  type: unet\n");
  EXPECT_NE(message.find("unknown section"), std::string::npos) << message;
}

TEST(TrainConfig, WrongTypesAreErrors) {
  EXPECT_NE(error_of("data:\n  batch_size: eight\n").find("expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("train:\n  amp: maybe\n").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("data:\n  batch_size: [1, 2]\n").find("data.batch_size"), std::string::npos);
  EXPECT_NE(error_of("model: unet\n").find("mapping"), std::string::npos);
  EXPECT_NE(error_of("model:\n  type: [unclosed\n").find("invalid YAML"), std::string::npos);
}

TEST(TrainConfig, RangesAndChoicesAreChecked) {
  EXPECT_NE(error_of("optimizer:\n  type: rmsprop\n").find("sgd, adam, adamw"), std::string::npos);
  EXPECT_NE(error_of("data:\n  scale_min: 2\n  scale_max: 1\n").find("data.scale_min"),
            std::string::npos);
  EXPECT_NE(error_of("model:\n  output_stride: 32\n").find("8 or 16"), std::string::npos);
  EXPECT_NE(error_of("loss:\n  class_weights: magic\n").find("median"), std::string::npos);
}

TEST(TrainConfig, PhotosWithoutMasksAndNewAugmentationsAreDataKeys) {
  const auto defaults = parse_train_config("data:\n  root: d\n", "empty.yaml");
  EXPECT_EQ(defaults.data.unmasked_per_batch, 0);
  EXPECT_EQ(defaults.data.unmasked_photos, "all");
  EXPECT_FALSE(defaults.data.two_views);
  EXPECT_DOUBLE_EQ(defaults.data.zoom, 0.0);
  EXPECT_DOUBLE_EQ(defaults.data.background, 0.0);
  const auto config = parse_train_config(
      "data:\n  root: d\n  batch_size: 8\n  unmasked_per_batch: 2\n  unmasked_photos: tagged\n"
      "  two_views: true\n  zoom: 0.3\n  zoom_max: 6\n  background: 0.4\n"
      "  background_photo: 0.25\n  grayscale: 0.1\n  blur: 0.2\n  blur_sigma: 3\n"
      "  jpeg: 0.3\n  jpeg_quality: 20\n  gamma: 0.4\n  color_cast: 0.15\n  cutout: 2\n",
      "exp.yaml");
  EXPECT_EQ(config.data.unmasked_per_batch, 2);
  EXPECT_EQ(config.data.unmasked_photos, "tagged");
  EXPECT_TRUE(config.data.two_views);
  EXPECT_DOUBLE_EQ(config.data.zoom_max, 6.0);
  EXPECT_DOUBLE_EQ(config.data.background_photo, 0.25);
  EXPECT_EQ(config.data.jpeg_quality, 20);
  EXPECT_EQ(config.data.cutout, 2);
  EXPECT_EQ(to_yaml(parse_train_config(to_yaml(config), "resolved.yaml")), to_yaml(config));
  EXPECT_NE(error_of("data:\n  root: d\n  batch_size: 4\n  unmasked_per_batch: 4\n")
                .find("data.unmasked_per_batch"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  unmasked_photos: some\n").find("all, tagged"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  zoom: 1.5\n").find("data.zoom"), std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  zoom_min: 5\n").find("data.zoom_min"), std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  background: -0.1\n").find("data.background"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  jpeg_quality: 100\n").find("data.jpeg_quality"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  color_cast: 1\n").find("data.color_cast"),
            std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  cutout: -1\n").find("data.cutout"), std::string::npos);
  EXPECT_NE(error_of("data:\n  root: d\n  unlabeled_ratio: 0.5\n").find("unmasked_per_batch"),
            std::string::npos)
      << "an unknown key lists the valid ones";
}

TEST(TrainConfig, OverridesApplyOnTopAndAreValidated) {
  const auto config = parse_train_config("train:\n  epochs: 40\n", "exp.yaml",
                                         {"train.epochs=3", "data.root=/tmp/x", "model.type=unet"});
  EXPECT_EQ(config.train.epochs, 3);
  EXPECT_EQ(config.data.root, "/tmp/x");
  EXPECT_NE(error_of("", {"train.epoch=3"}).find("unknown key"), std::string::npos);
  EXPECT_NE(error_of("", {"epochs=3"}).find("section.key"), std::string::npos);
  EXPECT_NE(error_of("", {"train.epochs"}).find("section.key=value"), std::string::npos);
}

TEST(TrainConfig, ResolvedYamlParsesBackToTheSameConfig) {
  auto config = parse_train_config("", "empty.yaml",
                                   {"optimizer.lr=0.000123", "data.root=a b", "train.seed=7"});
  const std::string yaml = to_yaml(config);
  const auto again = parse_train_config(yaml, "resolved.yaml");
  EXPECT_EQ(to_yaml(again), yaml);
  EXPECT_DOUBLE_EQ(again.optimizer.lr, 0.000123);
  EXPECT_EQ(again.data.root, "a b");
  EXPECT_EQ(again.train.seed, 7u);
}

}  // namespace
}  // namespace fashionseg

namespace fashionseg {
namespace {

std::string config_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_train_config(yaml, "exp.yaml", overrides);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig) << e.what();
    return e.what();
  }
  return "";
}

TEST(TrainConfig, EmptyListDuplicateAndHugeConfigsAreClearErrors) {
  using ::testing::HasSubstr;
  // An empty file, or one without a data section: the data folder is named as missing.
  EXPECT_THAT(config_error(""), HasSubstr("data.root: must name the prepared dataset"));
  EXPECT_THAT(config_error("model:\n  type: unet\n"), HasSubstr("data.root"));
  // A top-level list is refused, also when an override would have replaced it.
  EXPECT_THAT(config_error("- a\n- b\n", {"data.root=x"}), HasSubstr("must be a mapping"));
  EXPECT_THAT(config_error("- a\n- b\n"), HasSubstr("must be a mapping"));
  // A repeated key names its line instead of silently reading one of the two.
  EXPECT_THAT(config_error("data:\n  root: a\n  batch_size: 4\n  batch_size: 8\n"),
              HasSubstr("exp.yaml:4: data.batch_size: the key is given twice"));
  EXPECT_THAT(config_error("data:\n  root: a\ndata:\n  root: b\n"),
              HasSubstr("data: the key is given twice"));
  for (const char* value : {"1e12", "1000000000000"}) {
    EXPECT_THAT(config_error(std::string("data:\n  root: a\n  batch_size: ") + value + "\n"),
                HasSubstr("data.batch_size"))
        << value;
  }
}

}  // namespace
}  // namespace fashionseg
