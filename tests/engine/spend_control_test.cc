// Closed-loop spend on a calibrated fixture-a, on texts unlike its calibration text (tests/data/spend:
// source code, French, repetitive text, a list of numbers): with control the bits actually read meet
// the budget over 2,000 tokens and in every 128-token window; cap mode keeps every window under the
// budget; a budget change mid-generation reaches the new spend within 64 tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "runtime/core/text_file.h"
#include "runtime/engine/session.h"
#include "runtime/model/model.h"
#include "tests/support/spend_fixture.h"

namespace mobiq {
namespace {

constexpr int64_t kTokens = 2000, kWindow = 128;

class SpendControl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_shared()) return;
    const Status s = test::make_spend_fixture();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  void SetUp() override {
    MOBIQ_REQUIRE_SHARED();
    auto model = Model::open_mbq(test::spend_fixture_path().string());
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::make_unique<Model>(std::move(model).value());
  }

  // The text's tokens, BOS first, repeated until there are `count`.
  std::vector<int32_t> text_tokens(const std::string& name, int64_t count) {
    auto text = read_text_file((std::filesystem::path(MOBIQ_SOURCE_DIR) / "tests/data/spend" / name).string());
    EXPECT_TRUE(text.ok());
    auto ids = model_->tokenizer().encode(*text);
    EXPECT_TRUE(ids.ok() && !ids->empty());
    std::vector<int32_t> out{model_->config().bos_id};
    while (static_cast<int64_t>(out.size()) < count) out.push_back((*ids)[(out.size() - 1) % ids->size()]);
    return out;
  }

  std::unique_ptr<Session> session(double bits, BudgetMode mode) {
    SessionOptions options;
    options.context_size = 2048;
    options.budget_mode = mode;
    options.n_threads = 1;  // ctest runs these side by side
    auto s = Session::create(*model_, options);
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE((*s)->set_budget_bits(bits).ok());
    return std::move(s).value();
  }

  // Feeds `tokens` in passes of `batch`; every token's spend (a pass's tokens at the pass's mean).
  static std::vector<double> feed(Session& session, const std::vector<int32_t>& tokens, size_t batch) {
    std::vector<double> spends;
    for (size_t begin = 0; begin < tokens.size(); begin += batch) {
      const size_t n = std::min(batch, tokens.size() - begin);
      EXPECT_TRUE(session.feed(std::span<const int32_t>(tokens.data() + begin, n)).ok());
      spends.insert(spends.end(), n, session.stats().bits_per_weight);
    }
    return spends;
  }

  std::unique_ptr<Model> model_;
};

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double s = 0.0;
  for (size_t i = begin; i < end; ++i) s += v[i];
  return s / static_cast<double>(end - begin);
}

// Mean within 0.05 of the budget; every aligned 128-token window after the first within 0.15.
void expect_held(const std::vector<double>& spends, double budget, const std::string& what) {
  EXPECT_NEAR(mean(spends, 0, spends.size()), budget, 0.05) << what;
  for (size_t w = kWindow; w + kWindow <= spends.size(); w += kWindow)
    EXPECT_NEAR(mean(spends, w, w + kWindow), budget, 0.15) << what << ", window at token " << w;
}

// One test per text, so ctest runs them side by side. Open loop, these texts miss the budget by more
// than 0.05: by up to 0.19 bits on this fixture (docs/2026-12-02-spend-control.md).
class SpendControlOnText : public SpendControl, public ::testing::WithParamInterface<const char*> {};

TEST_P(SpendControlOnText, AverageModeHoldsTheBudget) {
  const std::vector<int32_t> tokens = text_tokens(GetParam(), kTokens);
  for (double bits : {2.5, 3.0, 4.0, 6.0}) {
    auto s = session(bits, BudgetMode::kAverage);
    const std::vector<double> spends = feed(*s, tokens, 8);
    expect_held(spends, bits, std::string(GetParam()) + " at " + std::to_string(bits));
    EXPECT_NEAR(s->stats().spend_bits, mean(spends, 0, spends.size()), 1e-6);
    EXPECT_EQ(s->stats().spend_tokens, kTokens);
  }
}

INSTANTIATE_TEST_SUITE_P(UnlikeTexts, SpendControlOnText,
                         ::testing::Values("source_code.txt", "french.txt", "repetitive.txt", "numbers.txt"));

TEST_F(SpendControl, TokenByTokenHoldsTheBudget) {
  // Shorter than the batched runs: one pass per token is what makes it slow, not the control.
  auto s = session(3.0, BudgetMode::kAverage);
  expect_held(feed(*s, text_tokens("french.txt", 5 * kWindow), 1), 3.0, "french.txt token by token");
}

TEST_F(SpendControl, CapModeKeepsEveryWindowUnderTheBudget) {
  for (size_t batch : {size_t{1}, size_t{8}})
    for (double bits : {3.0, 4.0}) {
      auto s = session(bits, BudgetMode::kCap);
      const std::vector<double> spends = feed(*s, text_tokens("source_code.txt", kTokens / 2), batch);
      double worst = 0.0;
      for (size_t end = kWindow; end <= spends.size(); ++end) worst = std::max(worst, mean(spends, end - kWindow, end));
      EXPECT_LE(worst, bits + 0.02) << bits << " in passes of " << batch;
      EXPECT_GT(mean(spends, 0, spends.size()), bits - 0.5) << "cap mode should still spend near its budget";
    }
}

TEST_F(SpendControl, ABudgetChangeMidGenerationReachesTheNewSpendWithin64Tokens) {
  for (auto [from, to] : {std::pair{3.0, 4.0}, std::pair{6.0, 2.5}}) {
    auto s = session(from, BudgetMode::kAverage);
    feed(*s, text_tokens("source_code.txt", 64), 8);
    Sampler sampler(SamplingParams{0.8f, 40, 0.95f, 15});
    std::vector<double> spends;
    // 192 generated tokens; an end of sequence is replaced by a word of text so generation goes on.
    const auto generate = [&] {
      spends.clear();
      while (spends.size() < 192) {
        auto r = s->generate(static_cast<int32_t>(192 - spends.size()), sampler, [&](int32_t, const std::string&) {
          spends.push_back(s->stats().bits_per_weight);
          return true;
        });
        ASSERT_TRUE(r.ok());
        if (r->stopped_at_eos) {
          const int32_t word = text_tokens("french.txt", 2)[1];
          ASSERT_TRUE(s->feed(std::span<const int32_t>(&word, 1)).ok());
          spends.push_back(s->stats().bits_per_weight);
        }
      }
    };
    generate();
    ASSERT_TRUE(s->set_budget_bits(to).ok());
    generate();
    // From the 64th token after the change on, the spend is the new budget's.
    EXPECT_NEAR(mean(spends, 64, 192), to, 0.15) << from << " -> " << to;
  }
}

TEST_F(SpendControl, OpenModeKeepsTheCalibratedThresholds) {
  auto s = session(3.0, BudgetMode::kOpen);
  feed(*s, text_tokens("numbers.txt", 256), 8);
  EXPECT_EQ(s->stats().threshold_offset, 0.0f);
  EXPECT_EQ(s->stats().budget_mode, BudgetMode::kOpen);
  EXPECT_GT(s->stats().spend_bits, 2.0);
}

}  // namespace
}  // namespace mobiq
