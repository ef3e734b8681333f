#pragma once
/// JSON text for the files and answers fashionseg writes.

#include <nlohmann/json.hpp>

#include <string>

namespace fashionseg {

/// `value` as JSON text (`indent` as nlohmann's dump). Strings from outside (file names,
/// folder paths, URL parameters) may hold bytes that are not UTF-8: each such byte becomes
/// U+FFFD instead of failing the whole output.
std::string json_text(const nlohmann::json& value, int indent = -1);

}  // namespace fashionseg
