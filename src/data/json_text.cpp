#include "fashionseg/data/json_text.h"

namespace fashionseg {

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t json_integer(const nlohmann::json& value, int64_t min, int64_t max, const std::string& what,
                     const Location& where) {
  if (!value.is_number_integer()) throw_input_error("'" + what + "' is not an integer", where);
  const bool too_large = value.is_number_unsigned()
                             ? value.get<uint64_t>() > static_cast<uint64_t>(max)
                             : value.get<int64_t>() > max;
  if (too_large || (!value.is_number_unsigned() && value.get<int64_t>() < min)) {
    throw_input_error("'" + what + "' " + value.dump() + " is outside [" + std::to_string(min) +
                          ", " + std::to_string(max) + "]",
                      where);
  }
  return value.get<int64_t>();
}

}  // namespace fashionseg
