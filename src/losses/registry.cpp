// The loss registry: parses "[w*]name+..." specs into a weighted sum of losses.
#include <torch/torch.h>

#include <sstream>

#include "fashionseg/core/error.h"
#include "losses/losses.h"

namespace fashionseg {
namespace {

using LossFn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const LossOptions&);

struct LossEntry {
  const char* name;
  const char* summary;
  LossFn function;
};

const LossEntry kLosses[] = {
    {"ce", "cross-entropy (class weights, ignore 255, label smoothing)", cross_entropy_loss},
    {"focal", "focal loss (gamma, per-class alpha)", focal_loss},
    {"dice", "soft Dice over classes present in the batch", soft_dice_loss},
    {"gdice", "generalised Dice, w_c = 1/(sum y_c)^2, absent classes weigh 0",
     generalized_dice_loss},
    {"lovasz", "Lovasz-softmax over classes present", lovasz_softmax_loss},
};

std::string valid_names() {
  std::string names;
  for (const auto& entry : kLosses) names += (names.empty() ? "" : ", ") + std::string(entry.name);
  return names;
}

class WeightedSumLoss final : public Loss {
 public:
  WeightedSumLoss(std::string spec, LossOptions options,
                  std::vector<std::pair<double, LossFn>> terms)
      : spec_(std::move(spec)), options_(std::move(options)), terms_(std::move(terms)) {}

  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& target) override {
    TORCH_CHECK(logits.dim() == 4 && target.dim() == 3 && logits.size(0) == target.size(0) &&
                    logits.size(2) == target.size(1) && logits.size(3) == target.size(2),
                "loss: logits [B,C,H,W] and target [B,H,W] disagree");
    torch::Tensor total;
    for (const auto& [weight, function] : terms_) {
      torch::Tensor term = weight * function(logits, target, options_);
      total = total.defined() ? total + term : term;
    }
    return total;
  }
  std::string name() const override { return spec_; }

 private:
  std::string spec_;
  LossOptions options_;
  std::vector<std::pair<double, LossFn>> terms_;
};

double parse_weight(const std::string& text, const std::string& spec) {
  try {
    size_t used = 0;
    const double weight = std::stod(text, &used);
    if (used == text.size() && weight > 0) return weight;
  } catch (const std::exception&) {
  }
  throw_config_error("loss '" + spec + "': weight '" + text + "' is not a positive number");
}

}  // namespace

std::unique_ptr<Loss> create_loss(const std::string& spec, const LossOptions& options,
                                  int64_t num_classes) {
  if (!options.class_weights.empty() &&
      static_cast<int64_t>(options.class_weights.size()) != num_classes) {
    throw_config_error("loss: " + std::to_string(options.class_weights.size()) +
                       " class weights given for " + std::to_string(num_classes) + " classes");
  }
  if (!options.focal_alpha.empty() &&
      static_cast<int64_t>(options.focal_alpha.size()) != num_classes) {
    throw_config_error("loss: " + std::to_string(options.focal_alpha.size()) +
                       " focal alpha values given for " + std::to_string(num_classes) + " classes");
  }
  if (options.label_smoothing < 0 || options.label_smoothing >= 1) {
    throw_config_error("loss: label smoothing must be in [0, 1)");
  }
  if (options.focal_gamma < 0) throw_config_error("loss: focal gamma must be >= 0");

  std::vector<std::pair<double, LossFn>> terms;
  std::stringstream stream(spec);
  std::string term;
  while (std::getline(stream, term, '+')) {
    double weight = 1.0;
    std::string name = term;
    if (const size_t star = term.find('*'); star != std::string::npos) {
      weight = parse_weight(term.substr(0, star), spec);
      name = term.substr(star + 1);
    }
    const LossEntry* found = nullptr;
    for (const auto& entry : kLosses) {
      if (name == entry.name) found = &entry;
    }
    if (!found) {
      throw_config_error("unknown loss '" + name + "' in '" + spec + "'",
                         "valid losses: " + valid_names());
    }
    terms.emplace_back(weight, found->function);
  }
  if (terms.empty()) throw_config_error("empty loss spec", "valid losses: " + valid_names());
  return std::make_unique<WeightedSumLoss>(spec, options, std::move(terms));
}

std::vector<std::pair<std::string, std::string>> list_losses() {
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& entry : kLosses) names.emplace_back(entry.name, entry.summary);
  return names;
}

}  // namespace fashionseg
