// A test fixture on the calibrated fixture-a (tests/support/spend_fixture.h, made once per ctest run)
// and the first `eval_tokens` protocol ids of ../shared's eval_sotu.txt (shared/README.md).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "runtime/core/text_file.h"
#include "runtime/engine/perplexity.h"
#include "runtime/model/model.h"
#include "tests/support/spend_fixture.h"

namespace mobiq::test {

class CalibratedEvalTest : public ::testing::Test {
 protected:
  explicit CalibratedEvalTest(int64_t eval_tokens) : eval_tokens_(eval_tokens) {}

  static void SetUpTestSuite() {
    if (!have_shared()) return;
    const Status s = make_spend_fixture();  // already there under ctest
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  void SetUp() override {
    MOBIQ_REQUIRE_SHARED();
    MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
    auto model = Model::open_mbq(spend_fixture_path().string());
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::make_unique<Model>(std::move(model).value());
    auto text = read_text_file(shared_data("eval_sotu.txt").string());
    ASSERT_TRUE(text.ok()) << text.status().to_string();
    auto tokens = protocol_tokens(model_->tokenizer(), model_->config().bos_id, *text);
    ASSERT_TRUE(tokens.ok()) << tokens.status().to_string();
    ASSERT_GE(static_cast<int64_t>(tokens->size()), eval_tokens_);
    tokens_.assign(tokens->begin(), tokens->begin() + eval_tokens_);
  }

  std::unique_ptr<Model> model_;
  std::vector<int32_t> tokens_;  // the first eval_tokens_ ids of the protocol

 private:
  int64_t eval_tokens_;
};

}  // namespace mobiq::test
