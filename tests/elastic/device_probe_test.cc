// DeviceProbe against fake sysfs/procfs trees: what each file means, several batteries and zones,
// cgroup levels, the Jetson power mode, and missing or malformed files read as unknown.
#include "runtime/elastic/device_probe.h"

#include <gtest/gtest.h>

#include <array>

#include "runtime/elastic/budget_controller.h"
#include "runtime/elastic/sysfs_value.h"
#include "tests/elastic/fake_device.h"

namespace mobiq {
namespace {

using test::FakeDevice;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

TEST(SysfsValue, ParsesWholeIntegersOnly) {
  EXPECT_EQ(parse_integer("57\n"), 57);
  EXPECT_EQ(parse_integer("  -4000 "), -4000);
  EXPECT_EQ(parse_integer("18446744073709551615"), std::nullopt);  // past int64
  EXPECT_EQ(parse_integer("max\n"), std::nullopt);
  EXPECT_EQ(parse_integer("12abc"), std::nullopt);
  EXPECT_EQ(parse_integer("1 2"), std::nullopt);
  EXPECT_EQ(parse_integer(""), std::nullopt);
  EXPECT_EQ(parse_integer("\n"), std::nullopt);
}

TEST(SysfsValue, MissingFileAndDirectoryAreUnknown) {
  FakeDevice device;
  device.write("dir/file", "1\n");
  std::array<char, 16> buffer;
  EXPECT_EQ(read_small_file(device.root() + "/nothing", buffer), std::nullopt);
  EXPECT_EQ(read_small_file(device.root() + "/dir", buffer), std::nullopt);
  EXPECT_EQ(read_integer(device.root() + "/dir/file"), 1);
}

TEST(DeviceProbe, EmptyTreeIsAllUnknown) {
  FakeDevice device;
  const DeviceState s = DeviceProbe(device.root()).read();
  EXPECT_FALSE(s.battery_percent);
  EXPECT_FALSE(s.charging);
  EXPECT_FALSE(s.temperature_c);
  EXPECT_FALSE(s.hottest_zone);
  EXPECT_FALSE(s.mem_total_bytes);
  EXPECT_FALSE(s.mem_available_bytes);
  EXPECT_FALSE(s.cgroup_limit_bytes);
  EXPECT_FALSE(s.cgroup_usage_bytes);
  EXPECT_FALSE(s.power_mode);
  EXPECT_FALSE(s.power_mode_name);
  EXPECT_FALSE(s.available_bytes());
  EXPECT_FALSE(s.total_bytes());
}

TEST(DeviceProbe, NonexistentRootIsAllUnknown) {
  const DeviceState s = DeviceProbe("/nonexistent/mobiq/root").read();
  EXPECT_FALSE(s.battery_percent);
  EXPECT_FALSE(s.temperature_c);
  EXPECT_FALSE(s.available_bytes());
}

TEST(DeviceProbe, LowestBatteryAndChargingState) {
  FakeDevice device;
  device.set_battery("BAT0", 80, "Discharging");
  device.set_battery("BAT1", 35, "Discharging");
  device.set_supply("AC", "Mains");
  device.write("sys/class/power_supply/AC/capacity", "5\n");  // not a battery: ignored
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  EXPECT_EQ(s.battery_percent, 35.0);
  EXPECT_EQ(s.charging, false);

  device.set_battery("BAT0", 81, "Charging");
  s = probe.read();
  EXPECT_EQ(s.battery_percent, 35.0);
  EXPECT_EQ(s.charging, true);

  device.set_battery("BAT0", 100, "Full");
  device.set_battery("BAT1", 100, "Full");
  s = probe.read();
  EXPECT_EQ(s.battery_percent, 100.0);
  EXPECT_EQ(s.charging, true);  // full on external power
}

TEST(DeviceProbe, MalformedBatteryFilesAreUnknown) {
  FakeDevice device;
  device.set_battery("BAT0", 50, "Unknown");
  device.write("sys/class/power_supply/BAT0/capacity", "fifty\n");
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  EXPECT_FALSE(s.battery_percent);
  EXPECT_FALSE(s.charging);

  device.write("sys/class/power_supply/BAT0/capacity", "150\n");
  EXPECT_FALSE(probe.read().battery_percent);
  device.write("sys/class/power_supply/BAT0/capacity", "");
  EXPECT_FALSE(probe.read().battery_percent);
  device.remove("sys/class/power_supply/BAT0/capacity");
  device.write("sys/class/power_supply/BAT0/capacity/oops", "1");  // a directory where a file belongs
  EXPECT_FALSE(probe.read().battery_percent);
  device.remove("sys/class/power_supply/BAT0");
  EXPECT_FALSE(probe.read().battery_percent);
}

TEST(DeviceProbe, HottestJetsonZoneWithoutThePlaceholder) {
  FakeDevice device;
  device.set_zone(0, "CPU-therm", 45.5);
  device.set_zone(1, "GPU-therm", 50.0);
  device.set_zone(2, "PMIC-Die", 100.0);  // a fixed placeholder on Jetson
  device.set_zone(3, "tj-therm", 52.25);
  device.set_zone(4, "SOC0-therm", 49.0);
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  ASSERT_TRUE(s.temperature_c);
  EXPECT_DOUBLE_EQ(*s.temperature_c, 52.25);
  EXPECT_EQ(s.hottest_zone, "tj-therm");

  device.set_zone_temp(1, 71.0);
  s = probe.read();
  EXPECT_DOUBLE_EQ(*s.temperature_c, 71.0);
  EXPECT_EQ(s.hottest_zone, "GPU-therm");
}

TEST(DeviceProbe, MalformedAndImplausibleZonesAreSkipped) {
  FakeDevice device;
  device.set_zone(0, "acpitz", 40.0);
  device.write("sys/class/thermal/thermal_zone1/temp", "n/a\n");
  device.write("sys/class/thermal/thermal_zone1/type", "broken\n");
  device.set_zone(2, "disconnected", -273.0);
  device.write("sys/class/thermal/thermal_zone3/temp", "61000\n");  // no type file
  device.write("sys/class/thermal/cooling_device0/type", "Fan\n");   // not a zone
  const DeviceState s = DeviceProbe(device.root()).read();
  ASSERT_TRUE(s.temperature_c);
  EXPECT_DOUBLE_EQ(*s.temperature_c, 61.0);
  EXPECT_EQ(s.hottest_zone, "thermal_zone3");
}

TEST(DeviceProbe, MemInfo) {
  FakeDevice device;
  device.set_meminfo(8 * kGiB, 3 * kGiB);
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  EXPECT_EQ(s.mem_total_bytes, 8 * kGiB);
  EXPECT_EQ(s.mem_available_bytes, 3 * kGiB);
  EXPECT_EQ(s.available_bytes(), 3 * kGiB);
  EXPECT_EQ(s.total_bytes(), 8 * kGiB);

  device.write("proc/meminfo", "MemTotal: 1024 kB\nMemAvailable: lots kB\n");
  s = probe.read();
  EXPECT_EQ(s.mem_total_bytes, 1024u * 1024u);
  EXPECT_FALSE(s.mem_available_bytes);
  device.write("proc/meminfo", "MemAvailableX: 5 kB\nMemTotalish: 7 kB\n");
  s = probe.read();
  EXPECT_FALSE(s.mem_total_bytes);
  EXPECT_FALSE(s.mem_available_bytes);
}

// MemAvailable 2^54 kB: times 1024 it wrapped to 0 bytes, "0% available", and the built-in policy
// dropped to one resident plane (2 bits). A reading above MemTotal is implausible: unknown, with a
// reason, and the budget stays where the other readings put it.
TEST(DeviceProbe, ImplausibleMemAvailableIsIgnoredWithAReason) {
  FakeDevice device;
  device.write("proc/meminfo", "MemTotal:       8388608 kB\nMemAvailable:   18014398509481984 kB\n");
  DeviceProbe probe(device.root());
  const DeviceState s = probe.read();
  EXPECT_EQ(s.mem_total_bytes, 8 * kGiB);
  EXPECT_FALSE(s.mem_available_bytes) << *s.mem_available_bytes;
  EXPECT_FALSE(s.available_bytes());
  ASSERT_EQ(s.ignored_readings.size(), 1u);
  EXPECT_NE(s.ignored_readings[0].find("MemAvailable 18014398509481984 kB does not fit 64 bits"), std::string::npos)
      << s.ignored_readings[0];

  BudgetController controller = BudgetController::with_default_policy();
  const BudgetController::Decision d = controller.update(s, 0, 0.0);
  EXPECT_EQ(d.budget.bits, kMaxBudgetBits) << d.reason;
  EXPECT_EQ(d.budget.resident_planes, kMaxPlanes) << d.reason;
  EXPECT_NE(d.reason.find("MemAvailable"), std::string::npos) << d.reason;

  // Below the wrap but still above MemTotal: ignored the same way, with its own reason.
  device.set_meminfo(8 * kGiB, 9 * kGiB);
  const DeviceState above = probe.read();
  EXPECT_FALSE(above.mem_available_bytes);
  ASSERT_EQ(above.ignored_readings.size(), 1u);
  EXPECT_NE(above.ignored_readings[0].find("exceeds MemTotal"), std::string::npos) << above.ignored_readings[0];
  // A plausible pair: nothing ignored.
  device.set_meminfo(8 * kGiB, 3 * kGiB);
  EXPECT_TRUE(probe.read().ignored_readings.empty());
}

TEST(DeviceProbe, CgroupLimitOfTheTightestLevel) {
  FakeDevice device;
  device.set_meminfo(16 * kGiB, 10 * kGiB);
  device.write("proc/self/cgroup", "0::/app.slice/mobiq.scope\n");
  device.set_cgroup("/app.slice/mobiq.scope", "max", 500 * kMiB);
  device.set_cgroup("/app.slice", std::to_string(kGiB), 900 * kMiB);
  device.set_cgroup("/", std::to_string(4 * kGiB), 1 * kGiB);
  const DeviceState s = DeviceProbe(device.root()).read();
  EXPECT_EQ(s.cgroup_limit_bytes, kGiB);
  EXPECT_EQ(s.cgroup_usage_bytes, 900 * kMiB);
  EXPECT_EQ(s.available_bytes(), 124 * kMiB);  // min(10 GiB, 1 GiB - 900 MiB)
  EXPECT_EQ(s.total_bytes(), kGiB);
}

TEST(DeviceProbe, CgroupAtTheRootAndWithoutLimit) {
  FakeDevice device;
  device.set_meminfo(16 * kGiB, 10 * kGiB);
  device.set_cgroup("/", "max", 3 * kGiB);  // a container: no /proc/self/cgroup in the tree
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  EXPECT_FALSE(s.cgroup_limit_bytes);
  EXPECT_EQ(s.available_bytes(), 10 * kGiB);

  device.set_cgroup("/", std::to_string(2 * kGiB), 2 * kGiB + 5);  // over the limit: no headroom
  s = probe.read();
  EXPECT_EQ(s.cgroup_limit_bytes, 2 * kGiB);
  EXPECT_EQ(s.available_bytes(), 0u);

  device.write("sys/fs/cgroup/memory.current", "garbage\n");
  s = probe.read();
  EXPECT_FALSE(s.cgroup_limit_bytes);
  EXPECT_EQ(s.available_bytes(), 10 * kGiB);
}

TEST(DeviceProbe, JetsonPowerMode) {
  FakeDevice device;
  device.write("etc/nvpmodel.conf",
               "< PARAM TYPE=FILE NAME=CPU_ONLINE >\nCORE_0 /sys/devices/system/cpu/cpu0/online\n"
               "< POWER_MODEL ID=0 NAME=MAXN >\nCPU_ONLINE CORE_0 1\n"
               "< POWER_MODEL ID=1 NAME=10W >\nCPU_ONLINE CORE_0 1\n"
               "< POWER_MODEL ID=2 NAME=15W >\n"
               "< PM_CONFIG DEFAULT=2 >\n");
  device.write("var/lib/nvpmodel/status", "pmode:0001 fmode:quiet\n");
  DeviceProbe probe(device.root());
  DeviceState s = probe.read();
  EXPECT_EQ(s.power_mode, 1);
  EXPECT_EQ(s.power_mode_name, "10W");

  device.write("var/lib/nvpmodel/status", "pmode:0007\n");  // a mode the conf does not name
  s = probe.read();
  EXPECT_EQ(s.power_mode, 7);
  EXPECT_FALSE(s.power_mode_name);

  device.write("var/lib/nvpmodel/status", "pmode:\n");
  EXPECT_FALSE(probe.read().power_mode);
  device.remove("var/lib/nvpmodel/status");
  EXPECT_FALSE(probe.read().power_mode);
}

TEST(DeviceProbe, PowerModeWithoutConf) {
  FakeDevice device;
  device.write("var/lib/nvpmodel/status", "pmode:0000\n");
  const DeviceState s = DeviceProbe(device.root()).read();
  EXPECT_EQ(s.power_mode, 0);
  EXPECT_FALSE(s.power_mode_name);
}

}  // namespace
}  // namespace mobiq
