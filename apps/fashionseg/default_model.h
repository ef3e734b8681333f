#pragma once
/// Where the bundled model is found when a command gets no --model.

#include <filesystem>
#include <string>

namespace fashionseg::cli {

/// The bundled model's file name under models/.
inline constexpr const char* kBundledModel = "fashionseg-ccp.fsm";

/// `requested` when not empty; otherwise $FASHIONSEG_MODEL, then models/<bundled> beside the
/// executable's folder (build tree or install prefix), then in the source tree. Throws
/// Error(kNotFound) listing the places searched when none exists.
std::filesystem::path resolve_model_path(const std::string& requested);

}  // namespace fashionseg::cli
