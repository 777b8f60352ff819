// The budget policy's JSON form: the shipped example equals the built-in default, defaults for absent
// keys, release margins, and malformed policies rejected with the key named.
#include "runtime/elastic/budget_policy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "runtime/elastic/budget_controller.h"

namespace mobiq {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BudgetPolicy, ExampleFileIsTheBuiltInDefault) {
  const std::string text = read_text(std::string(MOBIQ_SOURCE_DIR) + "/examples/policies/default.json");
  ASSERT_FALSE(text.empty());
  auto parsed = parse_budget_policy(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  const BudgetPolicy expected = default_budget_policy();
  ASSERT_EQ(parsed->rules.size(), expected.rules.size());
  for (size_t i = 0; i < expected.rules.size(); ++i) EXPECT_EQ(parsed->rules[i], expected.rules[i]) << "rule " << i;
  EXPECT_EQ(*parsed, expected);
}

TEST(BudgetPolicy, DocumentedDefaultIsTheBuiltInDefault) {
  const std::string doc = read_text(std::string(MOBIQ_SOURCE_DIR) + "/runtime/elastic/POLICY.md");
  const size_t section = doc.find("## The built-in default");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```json\n", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  auto parsed = parse_budget_policy(doc.substr(begin + 8, end - begin - 8));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, default_budget_policy());
}

TEST(BudgetPolicy, DefaultValidatesAndRestricts) {
  const BudgetPolicy policy = default_budget_policy();
  EXPECT_TRUE(validate_budget_policy(policy).ok());
  bool battery = false, temperature = false, memory = false;
  for (const BudgetRule& rule : policy.rules) {
    battery = battery || rule.metric == Metric::kBatteryPercent;
    temperature = temperature || rule.metric == Metric::kTemperatureC;
    memory = memory || (rule.resident_planes && *rule.resident_planes < kMaxPlanes);
  }
  EXPECT_TRUE(battery && temperature && memory);
}

TEST(BudgetPolicy, EmptyObjectIsCapFloorAndNoRules) {
  auto policy = parse_budget_policy("{}");
  ASSERT_TRUE(policy.ok()) << policy.status().to_string();
  EXPECT_EQ(policy->cap, (Budget{8.0, 4}));
  EXPECT_EQ(policy->floor, (Budget{2.0, 1}));
  EXPECT_TRUE(policy->rules.empty());
  EXPECT_FALSE(policy->speed_target);
}

TEST(BudgetPolicy, ReleaseMarginsFromPolicyAndRule) {
  auto policy = parse_budget_policy(R"({
    "release_margins": {"battery_percent": 5},
    "rules": [
      {"when": "battery_percent", "below": 20, "bits": 3},
      {"when": "battery_percent", "below": 10, "bits": 2, "release_margin": 1.5},
      {"when": "temperature_c", "above": 80, "bits": 4, "resident_planes": 2}
    ],
    "speed_target": {"tokens_per_second": 12}
  })");
  ASSERT_TRUE(policy.ok()) << policy.status().to_string();
  ASSERT_EQ(policy->rules.size(), 3u);
  EXPECT_EQ(policy->rules[0].release_margin, 5.0);
  EXPECT_EQ(policy->rules[1].release_margin, 1.5);
  EXPECT_EQ(policy->rules[2].release_margin, default_release_margin(Metric::kTemperatureC));
  EXPECT_EQ(policy->rules[2].resident_planes, 2);
  ASSERT_TRUE(policy->speed_target);
  EXPECT_EQ(policy->speed_target->tokens_per_second, 12.0);
  EXPECT_EQ(policy->speed_target->step_bits, 0.25);
}

struct BadPolicy {
  const char* json;
  const char* key;  // what the message must name
};

class MalformedPolicy : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(MalformedPolicy, IsAnErrorNamingTheKey) {
  const BadPolicy& bad = GetParam();
  auto policy = parse_budget_policy(bad.json);
  ASSERT_FALSE(policy.ok()) << bad.json;
  EXPECT_EQ(policy.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(policy.status().message().find(bad.key), std::string::npos)
      << "message: " << policy.status().message() << "\nexpected to name: " << bad.key;
  auto controller = BudgetController::from_json(bad.json);
  EXPECT_FALSE(controller.ok());
}

INSTANTIATE_TEST_SUITE_P(
    Policies, MalformedPolicy,
    ::testing::Values(
        BadPolicy{"{\"rules\": [", "not valid JSON"},
        BadPolicy{"[]", "expected an object"},
        BadPolicy{R"({"version": 2})", "version"},
        BadPolicy{R"({"rules": {}})", "rules: expected an array"},
        BadPolicy{R"({"rules": [{"when": "battery_percent", "below": 15, "bits": 9}]})", "rules[0].bits"},
        BadPolicy{R"({"rules": [{"when": "battery", "below": 15, "bits": 3}]})", "rules[0].when"},
        BadPolicy{R"({"rules": [{"below": 15, "bits": 3}]})", "rules[0].when"},
        BadPolicy{R"({"rules": [{"when": "temperature_c", "below": 80, "bits": 4}]})", "rules[0].below"},
        BadPolicy{R"({"rules": [{"when": "temperature_c", "bits": 4}]})", "rules[0].above"},
        BadPolicy{R"({"rules": [{"when": "temperature_c", "above": "hot", "bits": 4}]})", "rules[0].above"},
        BadPolicy{R"({"rules": [{"when": "battery_percent", "below": 15}]})", "rules[0]"},
        BadPolicy{R"({"rules": [{"when": "battery_percent", "below": 15, "bits": 3},
                                {"when": "battery_percent", "belwo": 10, "bits": 2}]})", "rules[1].belwo"},
        BadPolicy{R"({"rules": [{"when": "battery_percent", "below": 15, "bits": 3, "unless_charging": "yes"}]})",
                  "rules[0].unless_charging"},
        BadPolicy{R"({"rules": [{"when": "available_memory_fraction", "below": 1.5, "resident_planes": 2}]})",
                  "rules[0].below"},
        BadPolicy{R"({"rules": [{"when": "available_memory_bytes", "below": 1e9, "resident_planes": 2.0}]})",
                  "rules[0].resident_planes"},
        BadPolicy{R"({"rules": [{"when": "battery_percent", "below": 15, "bits": 3, "release_margin": -1}]})",
                  "rules[0].release_margin"},
        BadPolicy{R"({"cap": {"resident_planes": 5}})", "cap.resident_planes"},
        BadPolicy{R"({"cap": {"bits": 4}, "floor": {"bits": 6}})", "floor.bits"},
        BadPolicy{R"({"cap": {"resident_planes": 2}, "floor": {"bits": 6}})", "floor.bits"},
        BadPolicy{R"({"cap": {"resident_planes": 2}, "floor": {"resident_planes": 3}})", "floor.resident_planes"},
        BadPolicy{R"({"floor": {"bits": 2, "planes": 1}})", "floor.planes"},
        BadPolicy{R"({"min_dwell_tokens": -1})", "min_dwell_tokens"},
        BadPolicy{R"({"min_dwell_tokens": 1.5})", "min_dwell_tokens"},
        BadPolicy{R"({"release_margins": {"battery": 2}})", "release_margins.battery"},
        BadPolicy{R"({"speed_target": {"step_bits": 0.25}})", "speed_target.tokens_per_second"},
        BadPolicy{R"({"speed_target": {"tokens_per_second": 0}})", "speed_target.tokens_per_second"},
        BadPolicy{R"({"speed_target": {"tokens_per_second": 10, "raise_above": 0.5}})", "speed_target.raise_above"},
        BadPolicy{R"({"dwell": 10})", "dwell"}));

}  // namespace
}  // namespace mobiq

namespace mobiq {
namespace {

TEST(BudgetPolicy, BudgetModeIsReadAndChecked) {
  auto cap = parse_budget_policy(R"({"budget_mode": "cap"})");
  ASSERT_TRUE(cap.ok()) << cap.status().to_string();
  EXPECT_EQ(cap->budget_mode, BudgetMode::kCap);
  auto absent = parse_budget_policy("{}");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->budget_mode.has_value());
  auto bad = parse_budget_policy(R"({"budget_mode": "closed"})");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("budget_mode"), std::string::npos);
  EXPECT_FALSE(parse_budget_policy(R"({"budget_mode": 1})").ok());
}

}  // namespace
}  // namespace mobiq
