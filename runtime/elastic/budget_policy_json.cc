// parse_budget_policy: the JSON form of a BudgetPolicy (runtime/elastic/POLICY.md). Every value is
// type-checked by hand so that nlohmann never throws past this file; a syntax error is caught here.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "runtime/elastic/budget_policy.h"

namespace mobiq {
namespace {

using nlohmann::json;

Status bad(const std::string& key, const std::string& what) {
  return invalid_argument("budget policy: " + key + ": " + what);
}

std::string join_key(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

Status check_keys(const json& object, const std::string& where, std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return bad(where.empty() ? "the document" : where, std::string("expected an object, got ") + object.type_name());
  for (const auto& item : object.items()) {
    bool known = false;
    for (std::string_view key : allowed) known = known || item.key() == key;
    if (known) continue;
    std::string list;
    for (std::string_view key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
    return bad(join_key(where, item.key()), "unknown key (expected one of: " + list + ")");
  }
  return Status::Ok();
}

// Reads object[key] into *out when present; leaves *out alone when absent.
Status read_number(const json& object, const std::string& where, const char* key, double* out) {
  const auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number()) return bad(join_key(where, key), std::string("expected a number, got ") + it->type_name());
  *out = it->get<double>();
  return Status::Ok();
}

template <typename Int>
Status read_integer(const json& object, const std::string& where, const char* key, Int* out) {
  const auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_number_integer()) return bad(join_key(where, key), std::string("expected an integer, got ") + it->dump());
  const int64_t value = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                            ? INT64_MAX
                            : it->get<int64_t>();
  if (value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max())
    return bad(join_key(where, key), it->dump() + " is out of range");
  *out = static_cast<Int>(value);
  return Status::Ok();
}

Status read_bool(const json& object, const std::string& where, const char* key, bool* out) {
  const auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  if (!it->is_boolean()) return bad(join_key(where, key), std::string("expected true or false, got ") + it->type_name());
  *out = it->get<bool>();
  return Status::Ok();
}

Status read_budget(const json& object, const std::string& key, Budget* out) {
  const auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  MOBIQ_RETURN_IF_ERROR(check_keys(*it, key, {"bits", "resident_planes"}));
  MOBIQ_RETURN_IF_ERROR(read_number(*it, key, "bits", &out->bits));
  return read_integer(*it, key, "resident_planes", &out->resident_planes);
}

constexpr std::array<Metric, 4> kMetrics = {Metric::kBatteryPercent, Metric::kTemperatureC,
                                            Metric::kAvailableMemoryBytes, Metric::kAvailableMemoryFraction};

// Per-metric release margins ("release_margins" at the top level; a rule's own "release_margin" wins).
struct Margins {
  std::array<double, kMetrics.size()> by_metric = {
      default_release_margin(Metric::kBatteryPercent), default_release_margin(Metric::kTemperatureC),
      default_release_margin(Metric::kAvailableMemoryBytes), default_release_margin(Metric::kAvailableMemoryFraction)};
  double& of(Metric metric) { return by_metric[static_cast<size_t>(metric)]; }
};

Status read_margins(const json& document, Margins* margins) {
  const auto it = document.find("release_margins");
  if (it == document.end()) return Status::Ok();
  const std::string where = "release_margins";
  MOBIQ_RETURN_IF_ERROR(check_keys(*it, where, {"battery_percent", "temperature_c", "available_memory_bytes",
                                                "available_memory_fraction"}));
  for (Metric metric : kMetrics) MOBIQ_RETURN_IF_ERROR(read_number(*it, where, metric_name(metric), &margins->of(metric)));
  return Status::Ok();
}

Result<BudgetRule> read_rule(const json& object, const std::string& where, Margins& margins) {
  MOBIQ_RETURN_IF_ERROR(check_keys(object, where, {"when", "below", "above", "bits", "resident_planes",
                                                   "release_margin", "unless_charging"}));
  const auto when = object.find("when");
  if (when == object.end()) return bad(where + ".when", "missing (battery_percent, temperature_c, available_memory_bytes or available_memory_fraction)");
  if (!when->is_string()) return bad(where + ".when", std::string("expected a string, got ") + when->type_name());
  const std::string& name = when->get_ref<const std::string&>();
  BudgetRule rule;
  bool known = false;
  for (Metric metric : kMetrics) {
    if (name != metric_name(metric)) continue;
    rule.metric = metric;
    known = true;
  }
  if (!known) return bad(where + ".when", "unknown reading \"" + name + "\"");

  const char* direction = fires_above(rule.metric) ? "above" : "below";
  const char* other = fires_above(rule.metric) ? "below" : "above";
  if (object.contains(other))
    return bad(where + "." + other, std::string("a ") + metric_name(rule.metric) + " rule fires " + direction +
                                        " its threshold; use \"" + direction + "\"");
  if (!object.contains(direction)) return bad(where + "." + direction, "missing (the threshold)");
  MOBIQ_RETURN_IF_ERROR(read_number(object, where, direction, &rule.threshold));

  rule.release_margin = margins.of(rule.metric);
  MOBIQ_RETURN_IF_ERROR(read_number(object, where, "release_margin", &rule.release_margin));
  if (object.contains("bits")) {
    double bits = 0;
    MOBIQ_RETURN_IF_ERROR(read_number(object, where, "bits", &bits));
    rule.bits = bits;
  }
  if (object.contains("resident_planes")) {
    int32_t planes = 0;
    MOBIQ_RETURN_IF_ERROR(read_integer(object, where, "resident_planes", &planes));
    rule.resident_planes = planes;
  }
  MOBIQ_RETURN_IF_ERROR(read_bool(object, where, "unless_charging", &rule.unless_charging));
  return rule;
}

Result<BudgetPolicy> read_policy(const json& document) {
  MOBIQ_RETURN_IF_ERROR(check_keys(document, "", {"version", "cap", "floor", "min_dwell_tokens", "release_margins",
                                                  "rules", "speed_target", "budget_mode"}));
  int64_t version = 1;
  MOBIQ_RETURN_IF_ERROR(read_integer(document, "", "version", &version));
  if (version != 1) return bad("version", std::to_string(version) + " is not supported (this build reads version 1)");

  BudgetPolicy policy;
  MOBIQ_RETURN_IF_ERROR(read_budget(document, "cap", &policy.cap));
  MOBIQ_RETURN_IF_ERROR(read_budget(document, "floor", &policy.floor));
  MOBIQ_RETURN_IF_ERROR(read_integer(document, "", "min_dwell_tokens", &policy.min_dwell_tokens));
  Margins margins;
  MOBIQ_RETURN_IF_ERROR(read_margins(document, &margins));

  if (const auto rules = document.find("rules"); rules != document.end()) {
    if (!rules->is_array()) return bad("rules", std::string("expected an array, got ") + rules->type_name());
    for (size_t i = 0; i < rules->size(); ++i) {
      MOBIQ_ASSIGN_OR_RETURN(BudgetRule rule, read_rule((*rules)[i], "rules[" + std::to_string(i) + "]", margins));
      policy.rules.push_back(rule);
    }
  }
  if (const auto speed = document.find("speed_target"); speed != document.end()) {
    const std::string where = "speed_target";
    MOBIQ_RETURN_IF_ERROR(check_keys(*speed, where, {"tokens_per_second", "step_bits", "raise_above"}));
    if (!speed->contains("tokens_per_second")) return bad(where + ".tokens_per_second", "missing");
    SpeedTarget target;
    MOBIQ_RETURN_IF_ERROR(read_number(*speed, where, "tokens_per_second", &target.tokens_per_second));
    MOBIQ_RETURN_IF_ERROR(read_number(*speed, where, "step_bits", &target.step_bits));
    MOBIQ_RETURN_IF_ERROR(read_number(*speed, where, "raise_above", &target.raise_above));
    policy.speed_target = target;
  }
  if (const auto mode = document.find("budget_mode"); mode != document.end()) {
    if (!mode->is_string()) return bad("budget_mode", std::string("expected a string, got ") + mode->type_name());
    Result<BudgetMode> parsed = parse_budget_mode(mode->get_ref<const std::string&>());
    if (!parsed.ok()) return bad("budget_mode", parsed.status().message());
    policy.budget_mode = *parsed;
  }
  return policy;
}

}  // namespace

Result<BudgetPolicy> parse_budget_policy(const std::string& text) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("budget policy: not valid JSON: ") + e.what());
  }
  MOBIQ_ASSIGN_OR_RETURN(BudgetPolicy policy, read_policy(document));
  MOBIQ_RETURN_IF_ERROR(validate_budget_policy(policy));
  return policy;
}

}  // namespace mobiq
