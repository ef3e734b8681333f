#include "infer/category_decision.h"

namespace fashionseg {

MaskContents decide_categories(const CategoryEvidence& evidence,
                               const std::vector<std::string>& class_names,
                               const CategoryRule& rule, bool with_pieces) {
  return find_contents(evidence.labels, class_names, rule.area, with_pieces);
}

}  // namespace fashionseg
