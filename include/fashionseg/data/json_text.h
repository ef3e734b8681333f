#pragma once
/// JSON text for the files and answers fashionseg writes.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "fashionseg/core/error.h"

namespace fashionseg {

/// `value` as JSON text (`indent` as nlohmann's dump). Strings from outside (file names,
/// folder paths, URL parameters) may hold bytes that are not UTF-8: each such byte becomes
/// U+FFFD instead of failing the whole output.
std::string json_text(const nlohmann::json& value, int indent = -1);

/// The integer `value` when it lies in [min, max]; Error(kInput) at `where` naming `what`
/// when it is not an integer or out of range (never silently truncated).
int64_t json_integer(const nlohmann::json& value, int64_t min, int64_t max, const std::string& what,
                     const Location& where);

}  // namespace fashionseg
