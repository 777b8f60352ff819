#include "runtime/core/result.h"

#include <gtest/gtest.h>

namespace mobiq {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("value must be positive, got " + std::to_string(v));
  return v;
}

Result<int> doubled(int v) {
  MOBIQ_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

TEST(Status, CarriesCodeAndContext) {
  Status s = corrupt_file("bad magic").with_context("model.mbq");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(s.to_string(), "corrupt file: model.mbq: bad magic");
  EXPECT_TRUE(Status::Ok().with_context("x").ok());
}

TEST(Result, PropagatesErrorsThroughAssignOrReturn) {
  EXPECT_EQ(*doubled(4), 8);
  Result<int> bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("-1"), std::string::npos);
}

TEST(Result, OkStatusWithoutValueIsAnInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

// Reading the value of an error used to read an empty std::optional: undefined behaviour that could
// return garbage. Now every accessor stops the process and says which error was ignored.
TEST(ResultDeathTest, ValueOfAnErrorAbortsWithTheStatus) {
  const Result<std::string> bad = not_found("model.mbq: no such file");
  EXPECT_DEATH((void)bad.value(), "failed Result was read: not found: model.mbq: no such file");
  EXPECT_DEATH((void)bad->size(), "not found: model.mbq");
  EXPECT_DEATH((void)*bad, "not found: model.mbq");
  EXPECT_DEATH((void)Result<int>(io_error("disk")).value(), "I/O error: disk");
}

TEST(Result, ValueOrGivesTheFallbackOnlyForAnError) {
  EXPECT_EQ(Result<std::string>(std::string("x")).value_or("y"), "x");
  EXPECT_EQ(Result<std::string>(io_error("disk")).value_or("y"), "y");
}

}  // namespace
}  // namespace mobiq
