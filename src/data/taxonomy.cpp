#include "fashionseg/data/annotations.h"

namespace fashionseg {

const Category* Taxonomy::find_category(int id) const {
  for (const Category& category : categories) {
    if (category.id == id) return &category;
  }
  return nullptr;
}

const Category* Taxonomy::find_category(const std::string& name) const {
  for (const Category& category : categories) {
    if (category.name == name) return &category;
  }
  return nullptr;
}

const Attribute* Taxonomy::find_attribute(int id) const {
  for (const Attribute& attribute : attributes) {
    if (attribute.id == id) return &attribute;
  }
  return nullptr;
}

}  // namespace fashionseg
