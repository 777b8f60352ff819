// The budget policy JSON (runtime/elastic/POLICY.md), then a controller on it fed device readings
// derived from the input's bytes: a policy that validates must never produce a budget outside it.
#include <cstdint>
#include <string>

#include "runtime/elastic/budget_controller.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto policy = mobiq::parse_budget_policy(json);
  if (!policy.ok()) return 0;
  mobiq::fuzz::check(mobiq::validate_budget_policy(*policy).ok());
  auto controller = mobiq::BudgetController::create(*policy);
  mobiq::fuzz::check(controller.ok());
  for (size_t i = 0; i < size && i < 64; ++i) {
    mobiq::DeviceState state;
    const uint8_t b = data[i];
    state.battery_percent = b % 101;
    state.charging = (b & 0x80) != 0;
    state.temperature_c = static_cast<double>(b) - 40.0;
    state.mem_total_bytes = uint64_t{8} << 30;
    state.mem_available_bytes = (uint64_t{8} << 30) / 255 * b;
    const auto decision = controller->update(state, static_cast<int64_t>(i) * 7, b);
    mobiq::fuzz::check(decision.budget.bits >= policy->floor.bits - 1e-9 && decision.budget.bits <= policy->cap.bits + 1e-9);
    mobiq::fuzz::check(decision.budget.resident_planes >= 1 && decision.budget.resident_planes <= 4);
    mobiq::fuzz::check(decision.budget.bits <= 2.0 * decision.budget.resident_planes + 1e-9);
  }
  return 0;
}
