// What the device can spare right now: battery, temperature, memory and the Jetson power mode, read
// from Linux/Android/Jetson sysfs and procfs. Every field is optional: a file that is missing,
// unreadable, malformed, not a regular file or out of any plausible range leaves its field unknown
// (nullopt), never an error and never a reading of the opposite sense.
//
// Everything is read under a configurable root ("/" on a device; a temporary directory in tests):
//   <root>/sys/class/power_supply/*/{type,capacity,status}     batteries (type "Battery")
//   <root>/sys/class/thermal/thermal_zone*/{type,temp}         temperatures, millidegrees Celsius
//   <root>/proc/meminfo                                        MemTotal, MemAvailable (kB)
//   <root>/proc/self/cgroup, <root>/sys/fs/cgroup/.../memory.{max,current}   cgroup v2 limits
//   <root>/etc/nvpmodel.conf, <root>/var/lib/nvpmodel/status   Jetson power mode ("pmode:0002")
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mobiq {

struct DeviceState {
  std::optional<double> battery_percent;       // 0..100; the lowest of several batteries
  std::optional<bool> charging;                // a battery reports "Charging" or "Full" (external power)
  std::optional<double> temperature_c;         // the hottest thermal zone, degrees Celsius
  std::optional<std::string> hottest_zone;     // its type: "tj-therm", "CPU-therm", "x86_pkg_temp"
  std::optional<uint64_t> mem_total_bytes;     // /proc/meminfo MemTotal
  std::optional<uint64_t> mem_available_bytes; // /proc/meminfo MemAvailable
  std::optional<uint64_t> cgroup_limit_bytes;  // memory.max of the tightest cgroup level; nullopt: none
  std::optional<uint64_t> cgroup_usage_bytes;  // memory.current of that same level
  std::optional<int32_t> power_mode;           // Jetson nvpmodel mode id
  std::optional<std::string> power_mode_name;  // its NAME in nvpmodel.conf: "MAXN", "15W"
  // Readings present but implausible (MemAvailable above MemTotal, a byte count past 64 bits), left
  // unknown above; each entry
  // says what was read and why it was dropped, for logs and status lines.
  std::vector<std::string> ignored_readings;

  // min(MemAvailable, limit - usage): what this process can still use before reclaim or the OOM killer.
  std::optional<uint64_t> available_bytes() const;
  // min(MemTotal, limit): the memory this process can have at most.
  std::optional<uint64_t> total_bytes() const;
};

class DeviceProbe {
 public:
  // Lists batteries, thermal zones, the process's cgroup levels and the nvpmodel mode names once, here;
  // read() then only re-reads the small value files. A device added later (a battery hot-plugged) needs
  // a new probe.
  explicit DeviceProbe(std::string root = "/");

  // A few open/read/close calls per file into a stack buffer; allocates only when a zone or mode
  // name is longer than the small-string buffer. Cheap enough to call every few tokens.
  DeviceState read() const;

  const std::string& root() const { return root_; }

 private:
  struct Battery {
    std::string capacity_path;  // percent, an integer
    std::string status_path;    // "Charging", "Discharging", "Not charging", "Full", "Unknown"
  };
  struct ThermalZone {
    std::string name;       // the zone's type file; "thermal_zoneN" when it has none
    std::string temp_path;  // millidegrees Celsius
  };
  struct CgroupLevel {
    std::string max_path;      // bytes or "max"
    std::string current_path;  // bytes
  };
  struct PowerModeName {
    int32_t id = 0;
    std::string name;
  };

  void read_batteries(DeviceState& state) const;
  void read_temperatures(DeviceState& state) const;
  void read_memory(DeviceState& state) const;
  void read_cgroup(DeviceState& state) const;
  void read_power_mode(DeviceState& state) const;

  std::string root_;
  std::vector<Battery> batteries_;
  std::vector<ThermalZone> zones_;
  std::string meminfo_path_;
  std::vector<CgroupLevel> cgroup_levels_;  // the process's cgroup and its ancestors that have memory.max
  std::string nvpmodel_status_path_;
  std::vector<PowerModeName> power_mode_names_;
};

}  // namespace mobiq
