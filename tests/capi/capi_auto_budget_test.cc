// The automatic budget through the C API: a fake sysfs tree stands in for the device, a small policy
// maps its battery to a budget, and the session's budget, bits and resident planes follow the battery
// between tokens of one generation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "mobiq/mobiq.h"
#include "tests/capi/capi_fixture.h"

namespace mobiq::test {
namespace {

namespace fs = std::filesystem;

// Below 20% battery: at most 4 bits and 2 planes; released at once (no margin), no dwell.
constexpr const char* kBatteryPolicy = R"({
  "version": 1,
  "min_dwell_tokens": 1,
  "rules": [{"when": "battery_percent", "below": 20, "bits": 4.0, "resident_planes": 2}]
})";

class CApiAutoBudget : public CApiFixture {
 protected:
  void SetUp() override {
    root_ = scratch_dir() / ("device-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(root_ / "sys/class/power_supply/BAT0");
    std::ofstream(root_ / "sys/class/power_supply/BAT0/type") << "Battery\n";
    std::ofstream(root_ / "sys/class/power_supply/BAT0/status") << "Discharging\n";
    set_battery(10);
    model_ = open_model();
    session_ = create_session(model_);
  }
  void TearDown() override {
    mobiq_session_close(session_);
    mobiq_model_close(model_);
  }
  void set_battery(int percent) { std::ofstream(root_ / "sys/class/power_supply/BAT0/capacity") << percent << "\n"; }
  mobiq_auto_budget_options options(const char* policy) const {
    mobiq_auto_budget_options o;
    mobiq_auto_budget_options_init(&o);
    o.policy_json = policy;
    o.state_root = root_.c_str();
    o.probe_interval = 4;
    return o;
  }
  mobiq_stats stats() const {
    mobiq_stats s{};
    EXPECT_EQ(mobiq_session_get_stats(session_, &s), MOBIQ_OK);
    return s;
  }

  fs::path root_;
  mobiq_model* model_ = nullptr;
  mobiq_session* session_ = nullptr;
};

TEST_F(CApiAutoBudget, FollowsTheBatteryBetweenTokens) {
  const mobiq_auto_budget_options o = options(kBatteryPolicy);
  ASSERT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_OK) << mobiq_last_error_message();
  mobiq_stats s = stats();
  EXPECT_EQ(s.budget_mode, MOBIQ_BUDGET_AUTO);
  EXPECT_EQ(s.budget_bits, 4.0);
  EXPECT_EQ(s.resident_planes, 2);
  EXPECT_NE(std::string(s.budget_reason).find("battery"), std::string::npos) << s.budget_reason;

  ASSERT_EQ(mobiq_session_feed_text(session_, "The president said", 18, 1), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_generate(session_, 4, nullptr, nullptr, nullptr), MOBIQ_OK);
  EXPECT_EQ(stats().bits_per_weight, 4.0);

  // The charger is plugged in: at the next probe (every 4 tokens) the budget goes back to the cap.
  set_battery(90);
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session_, 8, nullptr, nullptr, &result), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(result.tokens, 8);  // one generation, no reload, across the switch
  s = stats();
  EXPECT_EQ(s.budget_bits, 8.0);
  EXPECT_EQ(s.bits_per_weight, 8.0);
  EXPECT_EQ(s.resident_planes, 4);
  EXPECT_EQ(s.budget_mode, MOBIQ_BUDGET_AUTO);

  // A fixed budget leaves the automatic mode.
  ASSERT_EQ(mobiq_session_set_budget_bits(session_, 6.0), MOBIQ_OK);
  set_battery(5);
  ASSERT_EQ(mobiq_session_generate(session_, 8, nullptr, nullptr, nullptr), MOBIQ_OK);
  s = stats();
  EXPECT_EQ(s.budget_mode, MOBIQ_BUDGET_FIXED);
  EXPECT_EQ(s.budget_bits, 6.0);
  EXPECT_EQ(s.bits_per_weight, 6.0);
}

TEST_F(CApiAutoBudget, PolicyFromAFile) {
  const fs::path policy = root_ / "policy.json";
  std::ofstream(policy) << kBatteryPolicy;
  mobiq_auto_budget_options o = options(nullptr);
  o.policy_path = policy.c_str();
  ASSERT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(stats().budget_bits, 4.0);
}

TEST_F(CApiAutoBudget, BuiltInPolicyWithNoReadingsKeepsTheCap) {
  // An empty device tree: every reading unknown, so the built-in policy stays at its cap.
  const fs::path empty = root_ / "empty";
  fs::create_directories(empty);
  mobiq_auto_budget_options o;
  mobiq_auto_budget_options_init(&o);
  EXPECT_EQ(o.probe_interval, 8);
  o.state_root = empty.c_str();
  ASSERT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_OK) << mobiq_last_error_message();
  const mobiq_stats s = stats();
  EXPECT_EQ(s.budget_mode, MOBIQ_BUDGET_AUTO);
  EXPECT_EQ(s.budget_bits, 8.0);
}

TEST_F(CApiAutoBudget, BadPoliciesAndIntervalsAreErrors) {
  mobiq_auto_budget_options o = options(R"({"version": 1, "rules": [{"when": "battery_percent", "below": 20, "bits": 9.5}]})");
  EXPECT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mobiq_last_error_message()).find("bits"), std::string::npos) << mobiq_last_error_message();
  o = options("{ not json");
  EXPECT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_INVALID_ARGUMENT);
  o = options(kBatteryPolicy);
  o.probe_interval = 0;
  EXPECT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_INVALID_ARGUMENT);
  o = options(nullptr);
  const std::string missing = (root_ / "no-such-policy.json").string();
  o.policy_path = missing.c_str();
  EXPECT_EQ(mobiq_session_set_budget_auto(session_, &o), MOBIQ_NOT_FOUND);
  // Every refusal left the session in its fixed mode.
  EXPECT_EQ(stats().budget_mode, MOBIQ_BUDGET_FIXED);
}

}  // namespace
}  // namespace mobiq::test
