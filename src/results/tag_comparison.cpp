#include "fashionseg/data/tag_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "fashionseg/core/error.h"
#include "fashionseg/core/files.h"
#include "fashionseg/data/csv.h"
#include "fashionseg/data/image_tags.h"
#include "fashionseg/data/imaterialist.h"

namespace fashionseg {
namespace {

std::vector<std::string> tokens_of(const std::string& field) {
  // Names with spaces are written with ';' between categories (as prepare --tags reads).
  const char separator = field.find(';') != std::string::npos ? ';' : ' ';
  std::vector<std::string> tokens;
  std::istringstream in(field);
  for (std::string token; std::getline(in, token, separator);) {
    const size_t first = token.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    tokens.push_back(token.substr(first, token.find_last_not_of(" \t") - first + 1));
  }
  return tokens;
}

std::string joined(const std::vector<int>& ids, const std::vector<std::string>& names) {
  std::string text;
  for (int id : ids) {
    // Class names hold commas ("shirt, blouse"): categories are set apart with slashes.
    if (!text.empty()) text += " / ";
    text += static_cast<size_t>(id) < names.size() ? names[id] : "class_" + std::to_string(id);
  }
  return text;
}

}  // namespace

PhotoTags read_photo_tags(const std::filesystem::path& csv,
                          const std::vector<std::string>& class_names) {
  const std::string text = read_file(csv);
  const Taxonomy taxonomy{imaterialist_categories(), {}};
  const TagVocabulary vocabulary(taxonomy);
  PhotoTags tags;
  std::set<std::string> outside;
  std::istringstream lines(text);
  std::string line;
  size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const Location where{csv.string(), number, {}};
    if (number == 1) {
      if (line != "ImageId,ClassIds") {
        throw_input_error("the header must be 'ImageId,ClassIds'", where);
      }
      continue;
    }
    if (line.empty()) continue;
    const std::vector<std::string> fields = parse_csv_record(line, where);
    if (fields.size() != 2) throw_input_error("a record needs 2 fields: ImageId,ClassIds", where);
    if (tags.by_image.count(fields[0])) {
      throw_input_error("ImageId " + fields[0] + " is listed twice", where);
    }
    std::set<int> values;
    for (const std::string& token : tokens_of(fields[1])) {
      const std::optional<int> id = vocabulary.find(token);
      const Category* category = id ? taxonomy.find_category(*id) : nullptr;
      if (!category) throw_input_error("unknown category '" + token + "'", where);
      const auto named = std::find(class_names.begin(), class_names.end(), category->name);
      if (named == class_names.end()) {
        outside.insert(category->name);
        continue;
      }
      values.insert(static_cast<int>(named - class_names.begin()));
    }
    tags.by_image[fields[0]] = std::vector<int>(values.begin(), values.end());
  }
  if (number == 0) throw_input_error("the tag file is empty", Location{csv.string(), 0, {}});
  tags.outside_model.assign(outside.begin(), outside.end());
  return tags;
}

TagComparison compare_with_tags(const std::vector<FoundCategory>& listed,
                                const std::vector<int>& tags) {
  std::set<int> in_list, in_tags;
  for (const auto& category : listed) {
    if (category.id > 0) in_list.insert(category.id);
  }
  for (int id : tags) {
    if (id > 0) in_tags.insert(id);
  }
  TagComparison comparison;
  for (int id : in_tags) (in_list.count(id) ? comparison.found : comparison.missed).push_back(id);
  for (int id : in_list) {
    if (!in_tags.count(id)) comparison.added.push_back(id);
  }
  return comparison;
}

std::string comparison_line(const TagComparison& comparison,
                            const std::vector<std::string>& class_names) {
  std::vector<std::string> parts;
  auto part = [&](const char* what, const std::vector<int>& ids) {
    if (!ids.empty())
      parts.push_back(fmt::format("{} {}: {}", what, ids.size(), joined(ids, class_names)));
  };
  part("found", comparison.found);
  part("missed", comparison.missed);
  part("added", comparison.added);
  if (parts.empty()) return "  tags: none, nothing listed";
  std::string line = "  tags: ";
  for (size_t i = 0; i < parts.size(); ++i) line += (i ? " | " : "") + parts[i];
  return line;
}

void TagTotals::add(const TagComparison& comparison) {
  ++photos;
  found += static_cast<int>(comparison.found.size());
  missed += static_cast<int>(comparison.missed.size());
  added += static_cast<int>(comparison.added.size());
}

std::string totals_line(const TagTotals& totals) {
  const int tagged = totals.found + totals.missed;
  const int listed = totals.found + totals.added;
  auto ratio = [](int a, int b) { return b > 0 ? fmt::format("{:.2f}", double(a) / b) : "-"; };
  return fmt::format(
      "tags of {} photo{}: found {} of {} tagged categories (recall {}), {} listed categories "
      "not tagged (precision {})",
      totals.photos, totals.photos == 1 ? "" : "s", totals.found, tagged,
      ratio(totals.found, tagged), totals.added, ratio(totals.found, listed));
}

}  // namespace fashionseg
