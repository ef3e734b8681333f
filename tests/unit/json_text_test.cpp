// JSON text of strings from outside: bytes that are not UTF-8 must not fail the output.
#include <gtest/gtest.h>

#include "fashionseg/data/json_text.h"

namespace fashionseg {
namespace {

TEST(JsonText, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  const nlohmann::json record = {{"file", "photo-\xff\xfe.jpg"}, {"ok", "caf\xc3\xa9"}};
  const std::string text = json_text(record);
  EXPECT_EQ(text, "{\"file\":\"photo-\xEF\xBF\xBD\xEF\xBF\xBD.jpg\",\"ok\":\"caf\xc3\xa9\"}");
  // The text is valid JSON again.
  EXPECT_EQ(nlohmann::json::parse(text)["ok"], "caf\xc3\xa9");
  EXPECT_EQ(json_text({{"a", 1}}, 2), "{\n  \"a\": 1\n}");
}

}  // namespace
}  // namespace fashionseg
