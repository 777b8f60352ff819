#include "runtime/elastic/device_probe.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "runtime/core/text_file.h"
#include "runtime/elastic/sysfs_value.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

// Thermal zones whose reading is a fixed placeholder, not a measurement: Jetson's PMIC-Die reports
// 100.0 C whatever the die temperature, and would otherwise always be the hottest zone.
constexpr std::array<std::string_view, 1> kPlaceholderZones = {"PMIC-Die"};

// Readings outside this range (degrees Celsius) come from a disconnected or misconfigured sensor.
constexpr double kMinPlausibleC = -50.0;
constexpr double kMaxPlausibleC = 200.0;

std::string join(const std::string& root, std::string_view absolute) {
  std::string path = root;
  while (!path.empty() && path.back() == '/') path.pop_back();
  path += absolute;
  return path;
}

// Entries of `dir` whose name starts with `prefix`, sorted so the probe's order is stable.
std::vector<fs::path> list_entries(const std::string& dir, std::string_view prefix) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().starts_with(prefix)) entries.push_back(it->path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::optional<std::string> read_text(const std::string& path) {
  std::array<char, 256> buffer;
  const auto text = read_trimmed(path, buffer);
  if (!text) return std::nullopt;
  return std::string(*text);
}

// The value after `key` in /proc/meminfo ("MemAvailable:   123456 kB"), in bytes. A value whose byte
// count does not fit 64 bits is unknown, with a reason added to `ignored`.
std::optional<uint64_t> meminfo_bytes(std::string_view meminfo, std::string_view key,
                                      std::vector<std::string>& ignored) {
  size_t at = 0;
  while (at < meminfo.size()) {
    const size_t line_end = std::min(meminfo.find('\n', at), meminfo.size());
    const std::string_view line = meminfo.substr(at, line_end - at);
    at = line_end + 1;
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    std::string_view value = trim(line.substr(key.size() + 1));
    uint64_t multiplier = 1;
    if (value.ends_with("kB")) {
      multiplier = 1024;
      value = trim(value.substr(0, value.size() - 2));
    }
    const auto number = parse_integer(value);
    if (!number || *number < 0) return std::nullopt;
    // 2^54 kB would wrap to 0 bytes: "no memory available". A count that large is a broken reading.
    if (static_cast<uint64_t>(*number) > std::numeric_limits<uint64_t>::max() / multiplier) {
      ignored.push_back(std::string(key) + " " + std::string(value) + (multiplier > 1 ? " kB" : "") +
                        " does not fit 64 bits: ignored");
      return std::nullopt;
    }
    return static_cast<uint64_t>(*number) * multiplier;
  }
  return std::nullopt;
}

// The cgroup v2 path of this process ("0::/user.slice/app.scope" in /proc/self/cgroup), "/" when the
// file has no v2 line.
std::string cgroup_path(const std::string& root) {
  // read_text_file refuses a FIFO planted in the tree, which std::ifstream would block on.
  std::istringstream in(read_text_file(join(root, "/proc/self/cgroup")).value_or(""));
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("0::")) return line.substr(3).empty() ? "/" : line.substr(3);
  return "/";
}

// "< POWER_MODEL ID=2 NAME=15W >" lines of nvpmodel.conf.
std::optional<std::pair<int32_t, std::string>> parse_power_model(const std::string& line) {
  if (line.find("POWER_MODEL") == std::string::npos) return std::nullopt;
  const size_t id_at = line.find("ID=");
  const size_t name_at = line.find("NAME=");
  if (id_at == std::string::npos || name_at == std::string::npos) return std::nullopt;
  int32_t id = 0;
  const char* id_begin = line.data() + id_at + 3;
  const auto [id_end, error] = std::from_chars(id_begin, line.data() + line.size(), id);
  if (error != std::errc() || id_end == id_begin) return std::nullopt;
  const size_t name_begin = name_at + 5;
  const size_t name_end = line.find_first_of(" \t>", name_begin);
  std::string name = line.substr(name_begin, name_end == std::string::npos ? std::string::npos : name_end - name_begin);
  if (name.empty()) return std::nullopt;
  return std::make_pair(id, std::move(name));
}

}  // namespace

std::optional<uint64_t> DeviceState::available_bytes() const {
  std::optional<uint64_t> available = mem_available_bytes;
  if (cgroup_limit_bytes && cgroup_usage_bytes) {
    const uint64_t headroom = *cgroup_limit_bytes > *cgroup_usage_bytes ? *cgroup_limit_bytes - *cgroup_usage_bytes : 0;
    available = available ? std::min(*available, headroom) : headroom;
  }
  return available;
}

std::optional<uint64_t> DeviceState::total_bytes() const {
  if (mem_total_bytes && cgroup_limit_bytes) return std::min(*mem_total_bytes, *cgroup_limit_bytes);
  return mem_total_bytes ? mem_total_bytes : cgroup_limit_bytes;
}

DeviceProbe::DeviceProbe(std::string root) : root_(std::move(root)) {
  for (const fs::path& supply : list_entries(join(root_, "/sys/class/power_supply"), "")) {
    if (read_text((supply / "type").string()) != "Battery") continue;
    batteries_.push_back({(supply / "capacity").string(), (supply / "status").string()});
  }
  for (const fs::path& zone : list_entries(join(root_, "/sys/class/thermal"), "thermal_zone")) {
    std::string name = read_text((zone / "type").string()).value_or(zone.filename().string());
    if (std::find(kPlaceholderZones.begin(), kPlaceholderZones.end(), name) != kPlaceholderZones.end()) continue;
    zones_.push_back({std::move(name), (zone / "temp").string()});
  }
  meminfo_path_ = join(root_, "/proc/meminfo");

  // The limit that binds may sit on any ancestor of the process's cgroup, so every level with a
  // memory.max is read (the root cgroup has none on a real system).
  const std::string cgroup_root = join(root_, "/sys/fs/cgroup");
  fs::path level = fs::path(cgroup_path(root_)).lexically_normal();
  for (;;) {
    const std::string dir = cgroup_root + (level.string() == "/" ? "" : level.string());
    std::error_code ec;
    if (fs::exists(dir + "/memory.max", ec)) cgroup_levels_.push_back({dir + "/memory.max", dir + "/memory.current"});
    if (!level.has_relative_path()) break;
    level = level.parent_path();
  }

  nvpmodel_status_path_ = join(root_, "/var/lib/nvpmodel/status");
  std::istringstream conf(read_text_file(join(root_, "/etc/nvpmodel.conf")).value_or(""));
  std::string line;
  while (std::getline(conf, line))
    if (auto mode = parse_power_model(line)) power_mode_names_.push_back({mode->first, std::move(mode->second)});
}

DeviceState DeviceProbe::read() const {
  DeviceState state;
  read_batteries(state);
  read_temperatures(state);
  read_memory(state);
  read_cgroup(state);
  read_power_mode(state);
  return state;
}

void DeviceProbe::read_batteries(DeviceState& state) const {
  std::array<char, 64> buffer;
  for (const Battery& battery : batteries_) {
    const auto capacity = read_integer(battery.capacity_path);
    if (capacity && *capacity >= 0 && *capacity <= 100) {
      const double percent = static_cast<double>(*capacity);
      state.battery_percent = state.battery_percent ? std::min(*state.battery_percent, percent) : percent;
    }
    const auto status = read_trimmed(battery.status_path, buffer);
    if (!status) continue;
    if (*status == "Charging" || *status == "Full") {
      state.charging = true;
    } else if ((*status == "Discharging" || *status == "Not charging") && !state.charging) {
      state.charging = false;
    }
  }
}

void DeviceProbe::read_temperatures(DeviceState& state) const {
  const ThermalZone* hottest = nullptr;
  for (const ThermalZone& zone : zones_) {
    const auto millidegrees = read_integer(zone.temp_path);
    if (!millidegrees) continue;
    const double celsius = static_cast<double>(*millidegrees) / 1000.0;
    if (celsius < kMinPlausibleC || celsius > kMaxPlausibleC) continue;
    if (!state.temperature_c || celsius > *state.temperature_c) {
      state.temperature_c = celsius;
      hottest = &zone;
    }
  }
  if (hottest != nullptr) state.hottest_zone = hottest->name;
}

void DeviceProbe::read_memory(DeviceState& state) const {
  std::array<char, 4096> buffer;  // MemTotal and MemAvailable are the first and third lines
  const auto meminfo = read_small_file(meminfo_path_, buffer);
  if (!meminfo) return;
  state.mem_total_bytes = meminfo_bytes(*meminfo, "MemTotal", state.ignored_readings);
  state.mem_available_bytes = meminfo_bytes(*meminfo, "MemAvailable", state.ignored_readings);
  // The kernel never reports more available than total memory: such a pair comes from a broken
  // sensor or a tampered tree, and no decision may rest on it (it must not read as either plenty
  // or none). Unknown leaves the memory rules as they were.
  if (state.mem_total_bytes && state.mem_available_bytes && *state.mem_available_bytes > *state.mem_total_bytes) {
    state.ignored_readings.push_back("MemAvailable " + std::to_string(*state.mem_available_bytes) +
                                     " bytes exceeds MemTotal " + std::to_string(*state.mem_total_bytes) +
                                     ": ignored");
    state.mem_available_bytes.reset();
  }
}

void DeviceProbe::read_cgroup(DeviceState& state) const {
  std::optional<uint64_t> tightest_headroom;
  for (const CgroupLevel& level : cgroup_levels_) {
    const auto limit = read_integer(level.max_path);  // "max" (no limit) does not parse: skipped
    const auto usage = read_integer(level.current_path);
    if (!limit || !usage || *limit < 0 || *usage < 0) continue;
    const auto limit_bytes = static_cast<uint64_t>(*limit);
    const auto usage_bytes = static_cast<uint64_t>(*usage);
    const uint64_t headroom = limit_bytes > usage_bytes ? limit_bytes - usage_bytes : 0;
    if (tightest_headroom && headroom >= *tightest_headroom) continue;
    tightest_headroom = headroom;
    state.cgroup_limit_bytes = limit_bytes;
    state.cgroup_usage_bytes = usage_bytes;
  }
}

void DeviceProbe::read_power_mode(DeviceState& state) const {
  std::array<char, 256> buffer;
  const auto status = read_small_file(nvpmodel_status_path_, buffer);
  if (!status) return;
  const size_t at = status->find("pmode:");
  if (at == std::string_view::npos) return;
  const char* begin = status->data() + at + 6;
  int32_t mode = 0;
  const auto [end, error] = std::from_chars(begin, status->data() + status->size(), mode);
  if (error != std::errc() || end == begin) return;
  state.power_mode = mode;
  for (const PowerModeName& known : power_mode_names_)
    if (known.id == mode) state.power_mode_name = known.name;
}

}  // namespace mobiq
