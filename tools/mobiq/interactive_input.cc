#include "tools/mobiq/interactive_input.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace mobiq::cli {
namespace {

// Lock-free, so touching it from the signal handler is safe.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int) { g_interrupted.store(true); }

}  // namespace

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART
  sigaction(SIGINT, &action, nullptr);
}

bool take_interrupt() { return g_interrupted.exchange(false); }

LineStatus LineReader::next(std::string& line) {
  for (;;) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      line.assign(buffer_, 0, newline);
      buffer_.erase(0, newline + 1);
      return LineStatus::kLine;
    }
    if (at_end_) {
      if (buffer_.empty()) return LineStatus::kEnd;
      line.swap(buffer_);
      buffer_.clear();
      return LineStatus::kLine;
    }
    char chunk[4096];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
    } else if (n == 0) {
      at_end_ = true;
    } else if (errno == EINTR) {
      if (take_interrupt()) {
        buffer_.clear();
        return LineStatus::kInterrupted;
      }
    } else {
      return LineStatus::kError;
    }
  }
}

}  // namespace mobiq::cli
