// `fashionseg predict` end to end against torchvision: the logits it writes for a photo equal
// torchvision's LR-ASPP with the same weights on the same photo; every output is checked by an
// independent Python reading (Kaggle RLE and COCO RLE decoded from their specifications);
// bad photos, inputs and options give one clear error each, and good photos are not lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/lraspp_fixture.h"
#include "support/python_script.h"
#include "support/test_support.h"

namespace fashionseg {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Reads back what predict wrote for photo a and checks it against the reference logits and
// against itself through independent decoders.
const char* const kCheckOutputs = R"(
import json, numpy as np, cv2, sys
out = sys.argv[1]
ref = np.load('reference.npy')
logits = np.load(out + '/a_logits.npy')
assert logits.shape == ref.shape, (logits.shape, ref.shape)
diff = float(np.abs(logits - ref).max())
assert diff <= 1e-4, 'logits differ by %g' % diff
mask = cv2.imread(out + '/a_mask.png', cv2.IMREAD_UNCHANGED)
assert mask.shape == (96, 64) and mask.dtype == np.uint8
agree = float((mask == ref.argmax(0)).mean())
assert agree > 0.999, 'mask agrees with the reference argmax on %.4f' % agree
record = json.load(open(out + '/a.json'))
present = [v for v in np.unique(mask) if v != 0]
assert sorted(c['id'] for c in record['categories']) == sorted(int(v) for v in present), record
for c in record['categories']:
    share = float((mask == c['id']).mean())
    assert abs(c['share'] - share) < 1e-9, (c, share)
    ys, xs = np.nonzero(mask == c['id'])
    assert c['box'] == [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)], c
    n, _ = cv2.connectedComponents((mask == c['id']).astype(np.uint8), connectivity=8)
    assert c['instances'] == n - 1, (c, n - 1)
    # The garment's own colours: up to 3, largest first, shares of its pixels.
    colors = c['colors']
    assert 1 <= len(colors) <= 3, c
    shares = [k['share'] for k in colors]
    assert shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 1.0001, c
    for k in colors:
        assert len(k['hex']) == 7 and k['hex'][0] == '#' and int(k['hex'][1:], 16) >= 0, k
        assert len(k['lab']) == 3 and 0 <= k['lab'][0] <= 100 and k['name'], k
names = ['background', 'shirt, blouse', 'pants', 'shoe', 'bag, wallet']
imat = {1: 0, 2: 6, 3: 23, 4: 24}
# Kaggle RLE: 1-based starts, column-major.
rows = [l.split(',') for l in open(out + '/submission.csv').read().splitlines()[1:]]
for label, class_id in imat.items():
    union = np.zeros(96 * 64, np.uint8)
    for image, rle, cid in rows:
        if image != 'a.png' or int(cid) != class_id: continue
        v = list(map(int, rle.split()))
        for s, n in zip(v[0::2], v[1::2]): union[s - 1:s - 1 + n] += 1
    assert union.max() <= 1, 'pieces overlap'
    assert np.array_equal(union.reshape(64, 96).T, (mask == label).astype(np.uint8)), label
# COCO compressed RLE (the pycocotools string format), decoded from its definition.
def coco_counts(s):
    counts, i = [], 0
    while i < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[i]) - 48; x |= (c & 0x1f) << (5 * k); more = bool(c & 0x20); i += 1; k += 1
            if not more and (c & 0x10): x |= -1 << (5 * k)
        if len(counts) > 2: x += counts[-2]
        counts.append(x)
    return counts
coco = json.load(open(out + '/coco_results.json'))
for label in range(1, 5):
    union = np.zeros(96 * 64, np.uint8)
    for r in coco:
        if r['image_id'] != 'a.png' or r['category_id'] != label: continue
        assert r['segmentation']['size'] == [96, 64]
        assert 0.0 < r['score'] <= 1.0
        pos, val = 0, 0
        for n in coco_counts(r['segmentation']['counts']):
            union[pos:pos + n] += val; pos += n; val = 1 - val
        assert pos == 96 * 64
    assert np.array_equal(union.reshape(64, 96).T, (mask == label).astype(np.uint8)), label
color = cv2.imread(out + '/a_color.png')
assert color.shape == (96, 64, 3)
overlay = cv2.imread(out + '/a_overlay.jpg')
assert overlay.shape[0] >= 96 and overlay.shape[1] > 64
for c in record['categories']:
    cut = cv2.imread(out + '/' + [f for f in record['outputs']['cutouts'] if f.split('/')[-1].startswith('%d_' % c['id'])][0], cv2.IMREAD_UNCHANGED)
    assert cut.shape[2] == 4 and cut.shape[1] == c['box'][2] and cut.shape[0] == c['box'][3]
    assert int((cut[:, :, 3] > 0).sum()) == c['pixels']
print('OUTPUTS OK', len(record['categories']), 'categories', len(rows), 'csv rows', len(coco), 'coco records')
)";

class PredictCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    made_ = test::run_python_script(*dir_, test::kMakeLrasppInputs);
    if (made_.exit_code == 0) {
      imported_ = test::run_fashionseg(test::import_lraspp_arguments(*dir_));
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    ASSERT_EQ(made_.exit_code, 0) << made_.output;
    ASSERT_EQ(imported_.exit_code, 0) << imported_.output;
  }
  static std::string at(const std::string& name) {
    return test::shell_quote((*dir_ / name).string());
  }
  // fp32: the outputs are compared with torchvision's fp32 logits to 1e-4 (bf16's accuracy
  // has its own guard, tests/models/precision_test.cpp).
  static test::CommandResult predict(const std::string& arguments) {
    return test::run_fashionseg("predict --precision fp32 -m " + at("model.fsm") + " " + arguments);
  }
  static std::unique_ptr<test::TempDir> dir_;
  static test::CommandResult made_, imported_;
};
std::unique_ptr<test::TempDir> PredictCli::dir_;
test::CommandResult PredictCli::made_, PredictCli::imported_;

TEST_F(PredictCli, EveryOutputMatchesTorchvisionAndItsFormat) {
  const auto result = predict(at("photos/a.png") + " --all --min-area 0 -o " + at("all"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("a.png: "));
  EXPECT_THAT(result.output, HasSubstr("segmented 1 of 1 photos"));
  // Each category's colours on a line of its own: "  shirt, blouse: navy (61%), white (30%)".
  EXPECT_THAT(result.output, ContainsRegex("\n  [a-z, ]+: [a-z ]+ \\([0-9]+%\\)"));
  const auto checked = test::run_python_script(*dir_, kCheckOutputs, at("all"), "check_outputs.py");
  ASSERT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_THAT(checked.output, HasSubstr("OUTPUTS OK"));
}

TEST_F(PredictCli, FolderBatchEqualsOnePhotoAtATime) {
  const auto batched = predict(at("photos") + "/[ab].png --batch-size 2 --mask -o " + at("b2"));
  ASSERT_EQ(batched.exit_code, 0) << batched.output;
  const auto single = predict(at("photos/b.png") + " --batch-size 1 --mask -o " + at("b1"));
  ASSERT_EQ(single.exit_code, 0) << single.output;
  EXPECT_EQ(test::run_command("cmp " + at("b2/b_mask.png") + " " + at("b1/b_mask.png")).exit_code,
            0);
}

TEST_F(PredictCli, DefaultOutputsAndTestTimeAugmentation) {
  const auto result =
      predict(at("photos/a.png") + " --flip --scales 0.75,1,1.5 --window 1.5 -o " + at("tta"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  for (const char* name : {"tta/a_mask.png", "tta/a_overlay.jpg", "tta/a.json"}) {
    EXPECT_TRUE(std::filesystem::exists(*dir_ / name)) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "tta/a_color.png"));
}

TEST_F(PredictCli, ColoursCanBeLeftOut) {
  const auto result = predict(at("photos/a.png") + " --json --no-colors -o " + at("plain"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, Not(ContainsRegex("\n  [a-z, ]+: [a-z ]+ \\([0-9]+%\\)")));
  std::ifstream file(*dir_ / "plain/a.json");
  const nlohmann::json record = nlohmann::json::parse(file);
  ASSERT_FALSE(record["categories"].empty());
  for (const auto& category : record["categories"]) EXPECT_FALSE(category.contains("colors"));
}

// Without a category head a category's confidence is its pixels' mean winning probability;
// the engine computes it from the category pixels alone unless every pixel's probability is
// wanted anyway (--coco): both ways must agree.
TEST_F(PredictCli, CategoryConfidenceIsTheSameFromCategoryPixelsOrEveryPixel) {
  ASSERT_EQ(predict(at("photos/a.png") + " --json --min-area 0 -q -o " + at("conf_fast")).exit_code,
            0);
  ASSERT_EQ(predict(at("photos/a.png") + " --json --coco --min-area 0 -q -o " + at("conf_full"))
                .exit_code,
            0);
  auto read = [](const std::filesystem::path& path) {
    std::ifstream file(path);
    return nlohmann::json::parse(file)["categories"];
  };
  const nlohmann::json fast = read(*dir_ / "conf_fast/a.json");
  const nlohmann::json full = read(*dir_ / "conf_full/a.json");
  ASSERT_EQ(fast.size(), full.size());
  ASSERT_FALSE(fast.empty());
  for (size_t i = 0; i < fast.size(); ++i) {
    const double confidence = fast[i]["confidence"].get<double>();
    EXPECT_GT(confidence, 0.0);
    EXPECT_LE(confidence, 1.0);
    EXPECT_NEAR(confidence, full[i]["confidence"].get<double>(), 1.5e-4) << fast[i]["name"];
  }
}

TEST_F(PredictCli, ShardsPartitionTheInputs) {
  const auto first = predict(at("photos") + "/*.png --shard 0/2 --json -q -o " + at("s"));
  const auto second = predict(at("photos") + "/*.png --shard 1/2 --json -q -o " + at("s"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(first.output, HasSubstr("segmented 1 of 1"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "s/a.json"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "s/b.json"));
  const auto bad = predict(at("photos") + " --shard 2/2 -o " + at("s"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--shard '2/2' needs 0 <= i < n"));
}

TEST_F(PredictCli, ABrokenPhotoIsNamedAndTheOthersAreKept) {
  const auto result = predict(at("photos") + " --json -o " + at("mixed"));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_THAT(result.output, HasSubstr("broken.jpg"));
  EXPECT_THAT(result.output, HasSubstr("1 of 3 photos could not be segmented"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "mixed/a.json"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "mixed/b.json"));
}

TEST_F(PredictCli, PhotosSharingAStemKeepTheirOwnIdsAndFiles) {
  // same.jpg and same.png: the submission rows name each photo by its file name, and the
  // per-photo files do not overwrite each other.
  const std::filesystem::path stems = *dir_ / "stems";
  std::filesystem::create_directories(stems);
  const cv::Mat photo = cv::imread((*dir_ / "photos/a.png").string());
  ASSERT_FALSE(photo.empty());
  ASSERT_TRUE(cv::imwrite((stems / "same.png").string(), photo));
  ASSERT_TRUE(cv::imwrite((stems / "same.jpg").string(), photo));
  const auto result = predict(at("stems") + " --csv --json --min-area 0 -q -o " + at("stems_out"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream csv(*dir_ / "stems_out/submission.csv");
  std::set<std::string> ids;
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) ids.insert(line.substr(0, line.find(',')));
  EXPECT_EQ(ids, (std::set<std::string>{"same.jpg", "same.png"}));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "stems_out/same.json"));
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "stems_out/same_2.json"));
}

TEST_F(PredictCli, ListFilesAndMissingInputs) {
  {
    std::ofstream list(*dir_ / "photos/list.txt");
    list << "# photos to segment\na.png\n\nb.png\n";
  }
  const auto listed = predict("--list " + at("photos/list.txt") + " -q -o " + at("l"));
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_THAT(listed.output, HasSubstr("segmented 2 of 2"));
  {
    std::ofstream list(*dir_ / "photos/bad_list.txt");
    list << "a.png\nnot-there.png\n";
  }
  const auto bad_list = predict("--list " + at("photos/bad_list.txt") + " -o " + at("l"));
  EXPECT_EQ(bad_list.exit_code, 3) << bad_list.output;
  EXPECT_THAT(bad_list.output, HasSubstr("bad_list.txt:2"));
  const auto missing = predict(at("photos/none.png") + " -o " + at("l"));
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("none.png"));
  const auto no_model = test::run_fashionseg("predict -m " + at("absent.fsm") + " " +
                                             at("photos/a.png") + " -o " + at("l"));
  EXPECT_EQ(no_model.exit_code, 4) << no_model.output;
  EXPECT_THAT(no_model.output, HasSubstr("absent.fsm"));
}

}  // namespace
}  // namespace fashionseg
