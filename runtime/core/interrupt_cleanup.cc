#include "runtime/core/interrupt_cleanup.h"

#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace mobiq {
namespace {

// A signal handler may only call async-signal-safe functions (unlink, sigaction, raise) and touch
// lock-free atomics: no allocation, no mutex. So the paths live in fixed buffers, and a slot's state
// says whether its buffer is being written (kFilling), readable (kActive) or free.
enum SlotState : int { kFree = 0, kFilling = 1, kActive = 2 };

struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};

constexpr int kSlots = 16;  // temporary files alive at once; `mobiq` has at most one or two
std::array<Slot, kSlots> slots;
static_assert(std::atomic<int>::is_always_lock_free);

void remove_registered_files() {
  for (Slot& slot : slots)
    if (slot.state.load(std::memory_order_acquire) == kActive) ::unlink(slot.path);
}

extern "C" void on_interrupt(int sig) {
  const int saved_errno = errno;
  remove_registered_files();
  // Die of the same signal, so the parent sees "killed by SIGINT" (a shell stops a script on it).
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  ::sigaction(sig, &action, nullptr);
  ::raise(sig);  // delivered when this handler returns: the signal is blocked while it runs
  errno = saved_errno;
}

void install(int sig) {
  struct sigaction old {};
  if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) return;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // Both signals blocked while either handler runs: one cleanup at a time.
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  ::sigaction(sig, &action, nullptr);
}

}  // namespace

void install_interrupt_cleanup() {
  install(SIGINT);
  install(SIGTERM);
}

int register_temp_file(const std::string& path) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!slots[i].state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) continue;
    std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
    slots[i].state.store(kActive, std::memory_order_release);
    return i;
  }
  return -1;
}

void unregister_temp_file(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  slots[slot].state.store(kFree, std::memory_order_release);
}

}  // namespace mobiq
