// A session owns its budget governor: inside generate() it asks the governor after every token and
// applies the answer (bits and slice cap) before the next one, with no help from the caller's
// callback; a fixed budget ends the governor's control; a bad answer stops generate with an error.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/budget_governor.h"
#include "runtime/engine/sampler.h"
#include "runtime/engine/session.h"
#include "tests/support/synthetic_model.h"

namespace mobiq {
namespace {

// What the test keeps of a governor the session owns (and destroys when it lets go of it).
struct GovernorLog {
  std::vector<GovernorReading> readings;
};

// Answers from a script: the budget listed for a token count, nothing otherwise.
class ScriptedGovernor final : public BudgetGovernor {
 public:
  ScriptedGovernor(std::map<int64_t, Budget> script, std::shared_ptr<GovernorLog> log)
      : script_(std::move(script)), log_(std::move(log)) {}
  std::optional<BudgetMode> budget_mode() const override { return BudgetMode::kOpen; }
  std::optional<Budget> decide(const GovernorReading& reading) override {
    log_->readings.push_back(reading);
    const auto it = script_.find(reading.tokens);
    if (it == script_.end()) return std::nullopt;
    reason_ = "scripted at token " + std::to_string(reading.tokens);
    return it->second;
  }
  const std::string& reason() const override { return reason_; }

 private:
  std::map<int64_t, Budget> script_;
  std::shared_ptr<GovernorLog> log_;
  std::string reason_;
};

// What one generated token ran at, read in the token callback.
struct TokenRecord {
  double budget_bits;
  int32_t slice_cap;
  double bits_read;
};

class BudgetGovernorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionOptions options;
    options.backend = "cpu";
    options.context_size = 64;
    options.n_threads = 1;
    auto session = Session::create(model_, options);
    ASSERT_TRUE(session.ok()) << session.status().to_string();
    session_ = std::move(session).value();
    const std::vector<int32_t> prompt = {1, 5, 7, 11};
    ASSERT_TRUE(session_->feed(prompt).ok());
  }

  // Generates n tokens greedily (EOS is never sampled past the token budget: eos id 2 may come up,
  // so the test asserts on the tokens that did run).
  Result<std::vector<TokenRecord>> generate(int32_t n) {
    std::vector<TokenRecord> records;
    SamplingParams greedy;
    greedy.temperature = 0.0f;
    Sampler sampler(greedy);
    MOBIQ_ASSIGN_OR_RETURN(GenerateResult result, session_->generate(n, sampler, [&](int32_t, const std::string&) {
      records.push_back({session_->budget_bits(), session_->slice_cap(), session_->stats().bits_per_weight});
      return true;
    }));
    (void)result;
    return records;
  }

  Model model_ = test::make_synthetic_model(test::SyntheticShape{}, 5);
  std::unique_ptr<Session> session_;
};

TEST_F(BudgetGovernorTest, AppliesEachDecisionFromTheNextToken) {
  auto log = std::make_shared<GovernorLog>();
  const std::map<int64_t, Budget> script = {{0, Budget{8.0, 4}}, {3, Budget{2.0, 1}}, {6, Budget{5.0, 3}}};
  ASSERT_TRUE(session_->set_governor(std::make_unique<ScriptedGovernor>(script, log)).ok());
  EXPECT_TRUE(session_->governed());
  EXPECT_EQ(session_->budget_mode(), BudgetMode::kOpen);
  ASSERT_EQ(log->readings.size(), 1u);
  EXPECT_EQ(log->readings[0].tokens, 0);

  auto records = generate(8);
  ASSERT_TRUE(records.ok()) << records.status().to_string();
  ASSERT_GE(records->size(), 7u) << "the synthetic model sampled EOS too early for this test";
  for (size_t i = 0; i < records->size(); ++i) {
    const int64_t token = static_cast<int64_t>(i) + 1;  // generated tokens so far, this one included
    const Budget expected = token <= 3 ? Budget{8.0, 4} : token <= 6 ? Budget{2.0, 1} : Budget{5.0, 3};
    EXPECT_DOUBLE_EQ((*records)[i].budget_bits, expected.bits) << "token " << token;
    EXPECT_EQ((*records)[i].slice_cap, expected.resident_planes) << "token " << token;
  }
  // One slice in every linear at 2.0 bits with the cap at 1 (the model has no budget table: uniform
  // slices), every slice at 8.0.
  EXPECT_DOUBLE_EQ((*records)[0].bits_read, 8.0);
  EXPECT_DOUBLE_EQ((*records)[4].bits_read, 2.0);
  // Asked once when set and after every generated token, counting from the governor's start.
  ASSERT_EQ(log->readings.size(), records->size() + 1);
  for (size_t i = 0; i < log->readings.size(); ++i) EXPECT_EQ(log->readings[i].tokens, static_cast<int64_t>(i));
  EXPECT_GT(log->readings.back().tokens_per_second, 0.0);
  EXPECT_EQ(session_->budget_reason(), "scripted at token 6");
}

TEST_F(BudgetGovernorTest, AFixedBudgetEndsTheGovernorsControl) {
  auto log = std::make_shared<GovernorLog>();
  ASSERT_TRUE(session_->set_governor(std::make_unique<ScriptedGovernor>(
                                         std::map<int64_t, Budget>{{0, Budget{2.0, 1}}}, log))
                  .ok());
  EXPECT_EQ(session_->slice_cap(), 1);
  ASSERT_TRUE(session_->set_budget_bits(6.0, "fixed by the test").ok());
  EXPECT_FALSE(session_->governed());
  EXPECT_EQ(session_->slice_cap(), 4) << "leaving the governor lifts its slice cap";
  EXPECT_EQ(session_->budget_reason(), "fixed by the test");
  const size_t asked = log->readings.size();
  auto records = generate(3);
  ASSERT_TRUE(records.ok()) << records.status().to_string();
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(log->readings.size(), asked) << "a governor that was replaced is not asked again";
  EXPECT_DOUBLE_EQ(records->front().budget_bits, 6.0);
  // A bad fixed budget changes nothing.
  EXPECT_EQ(session_->set_budget_bits(9.0).code(), ErrorCode::kOutOfRange);
  EXPECT_DOUBLE_EQ(session_->budget_bits(), 6.0);
}

TEST_F(BudgetGovernorTest, ABadDecisionStopsGenerateWithAnError) {
  auto log = std::make_shared<GovernorLog>();
  const std::map<int64_t, Budget> script = {{0, Budget{4.0, 2}}, {2, Budget{std::nan(""), 4}}};
  ASSERT_TRUE(session_->set_governor(std::make_unique<ScriptedGovernor>(script, log)).ok());
  auto records = generate(6);
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(records.status().message().find("budget governor"), std::string::npos) << records.status().to_string();
  EXPECT_DOUBLE_EQ(session_->budget_bits(), 4.0) << "the budget in force stays";
}

TEST_F(BudgetGovernorTest, AGovernorWithoutAFirstBudgetIsRefused) {
  auto log = std::make_shared<GovernorLog>();
  EXPECT_EQ(session_->set_governor(std::make_unique<ScriptedGovernor>(std::map<int64_t, Budget>{}, log)).code(),
            ErrorCode::kInternal);
  EXPECT_FALSE(session_->governed());
  EXPECT_EQ(session_->set_governor(nullptr).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mobiq
