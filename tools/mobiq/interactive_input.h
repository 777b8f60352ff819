// Input for interactive commands: SIGINT sets a flag instead of ending the process, and stdin is read
// line by line with read(2), so a Ctrl-C while waiting for a line wakes the reader (EINTR) instead of
// being lost inside a buffered stream.
#pragma once

#include <string>

namespace mobiq::cli {

// Installs the SIGINT handler (no SA_RESTART: blocking reads return on Ctrl-C).
void install_interrupt_handler();
// True once for every Ctrl-C since the last call (several presses count as one).
bool take_interrupt();

enum class LineStatus {
  kLine,         // a line, without its '\n'
  kEnd,          // end of input (a last line without '\n' is returned as kLine first)
  kInterrupted,  // Ctrl-C while waiting; what was typed so far is discarded
  kError,        // read(2) failed
};

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  LineStatus next(std::string& line);

 private:
  int fd_;
  std::string buffer_;  // read but not yet returned
  bool at_end_ = false;
};

}  // namespace mobiq::cli
