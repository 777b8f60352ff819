#include "runtime/tokenizer/documents.h"

#include <gtest/gtest.h>

#include "tests/support/shared_data.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

TEST(JoinDocuments, SeparatesStripsAndJoins) {
  EXPECT_EQ(join_documents("first doc\n<|doc|>\nsecond doc\n"), "first doc\n\nsecond doc");
  EXPECT_EQ(join_documents("  a \n\n<|doc|>\n\t b\n c  \n<|doc|>\nd"), "a\n\nb\n c\n\nd");
  EXPECT_EQ(join_documents("a\r\n<|doc|>\r\nb\r\n"), "a\n\nb");
  EXPECT_EQ(join_documents("<|doc|>\na\n<|doc|>\n<|doc|>\nb\n<|doc|>"), "a\n\nb");  // empty documents dropped
  EXPECT_EQ(join_documents("x <|doc|> y\n<|doc|>z"), "x <|doc|> y\n<|doc|>z");  // only a whole line separates
  EXPECT_EQ(join_documents("  just one  \n"), "just one");
  EXPECT_EQ(join_documents(""), "");
}

TEST(JoinDocuments, SharedTexts) {
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  const std::string text = join_documents(test::read_file(test::shared_data("eval_sotu.txt").string()));
  EXPECT_EQ(text.find("<|doc|>"), std::string::npos);
  EXPECT_EQ(text.substr(0, 12), "Mr. Speaker,");
  EXPECT_FALSE(text.ends_with("\n"));
  size_t joins = 0;
  for (size_t p = text.find("\n\n"); p != std::string::npos; p = text.find("\n\n", p + 2)) ++joins;
  EXPECT_EQ(joins, 10u);  // 11 addresses, one per line in the file
}

}  // namespace
}  // namespace mobiq
