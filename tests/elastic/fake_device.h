// A fake sysfs/procfs tree in a temporary directory, for DeviceProbe(root) in tests: batteries,
// thermal zones, /proc/meminfo, cgroup v2 files and the Jetson nvpmodel files, each rewritten at will
// to play a trace.
#pragma once

#include <cstdint>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace mobiq::test {

class FakeDevice {
 public:
  FakeDevice() {
    std::random_device rd;
    root_ = std::filesystem::temp_directory_path() / ("mobiq-device-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(root_);
  }
  ~FakeDevice() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeDevice(const FakeDevice&) = delete;
  FakeDevice& operator=(const FakeDevice&) = delete;

  std::string root() const { return root_.string(); }

  // Writes `text` at <root>/<relative>, creating directories. Rewrites in place and then trims, as a
  // kernel attribute changes: opening with O_TRUNC would make ext4 flush the old blocks (milliseconds
  // per write, and a trace writes every token).
  void write(const std::string& relative, const std::string& text) const {
    const auto path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    const ssize_t written = ::pwrite(fd, text.data(), text.size(), 0);
    if (written == static_cast<ssize_t>(text.size())) (void)::ftruncate(fd, static_cast<off_t>(text.size()));
    ::close(fd);
  }
  void remove(const std::string& relative) const {
    std::error_code ec;
    std::filesystem::remove_all(root_ / relative, ec);
  }

  void set_supply(const std::string& name, const std::string& type) const {
    write("sys/class/power_supply/" + name + "/type", type + "\n");
  }
  void set_battery(const std::string& name, int percent, const std::string& status = "Discharging") const {
    set_supply(name, "Battery");
    write("sys/class/power_supply/" + name + "/capacity", std::to_string(percent) + "\n");
    write("sys/class/power_supply/" + name + "/status", status + "\n");
  }
  // A zone's type (name) and temperature in degrees Celsius, written as millidegrees like the kernel.
  void set_zone(int index, const std::string& type, double celsius) const {
    const std::string dir = "sys/class/thermal/thermal_zone" + std::to_string(index);
    write(dir + "/type", type + "\n");
    write(dir + "/temp", std::to_string(static_cast<int64_t>(celsius * 1000.0)) + "\n");
  }
  void set_zone_temp(int index, double celsius) const {
    write("sys/class/thermal/thermal_zone" + std::to_string(index) + "/temp",
          std::to_string(static_cast<int64_t>(celsius * 1000.0)) + "\n");
  }
  // /proc/meminfo with MemTotal and MemAvailable in kB, among the usual neighbours.
  void set_meminfo(uint64_t total_bytes, uint64_t available_bytes) const {
    write("proc/meminfo", "MemTotal:       " + std::to_string(total_bytes / 1024) + " kB\n" +
                              "MemFree:          123456 kB\n" +
                              "MemAvailable:   " + std::to_string(available_bytes / 1024) + " kB\n" +
                              "Buffers:           10240 kB\n");
  }
  // memory.max ("max" or bytes) and memory.current of the cgroup at `path` ("/" for the root level).
  void set_cgroup(const std::string& path, const std::string& max, uint64_t current) const {
    const std::string dir = "sys/fs/cgroup" + (path == "/" ? std::string() : path);
    write(dir + "/memory.max", max + "\n");
    write(dir + "/memory.current", std::to_string(current) + "\n");
  }

 private:
  std::filesystem::path root_;
};

}  // namespace mobiq::test
