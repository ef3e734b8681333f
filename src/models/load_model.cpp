// Rebuilding a registered model from a checkpoint: the registry builds the architecture, the
// checkpoint's weights are loaded strictly by name.
#include <torch/torch.h>

#include "fashionseg/core/error.h"
#include "fashionseg/torch/checkpoint.h"
#include "fashionseg/torch/model_registry.h"

namespace fashionseg {

ModelPtr build_model(const Checkpoint& checkpoint, const std::string& source) {
  ModelPtr model;
  try {
    model = create_model(checkpoint.architecture, checkpoint.options);
  } catch (const Error& e) {
    // Name the file: the architecture or options come from it, not from the user's command.
    throw Error(ErrorKind::kInput,
                "checkpoint describes a model this build cannot create: " + e.message(),
                Location{source, 0, {}}, e.hint());
  }
  LoadStateOptions options;
  options.source = source;
  load_state(*model, checkpoint.weights, options);
  model->eval();
  return model;
}

LoadedModel load_model(const std::filesystem::path& checkpoint_path) {
  LoadedModel loaded;
  loaded.checkpoint = load_checkpoint(checkpoint_path);
  loaded.model = build_model(loaded.checkpoint, checkpoint_path.string());
  return loaded;
}

}  // namespace fashionseg
