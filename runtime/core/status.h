// Errors as values: every fallible call in the runtime returns a Status or a Result<T>.
// Nothing in the library throws across its boundary or aborts on bad input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace mobiq {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // a caller passed something malformed (bad flag, out-of-range value)
  kNotFound,         // a file, tensor or key that should exist does not
  kIoError,          // the OS refused a read, write, open or mmap
  kCorruptFile,      // a file exists but its bytes are wrong (magic, checksum, bounds)
  kUnsupported,      // well-formed input this build cannot handle (version, dtype, architecture)
  kOutOfRange,       // an index or size past a limit (context full, token id >= vocab)
  kOutOfMemory,      // an allocation failed
  kCancelled,        // the caller asked to stop
  kInternal,         // a broken invariant inside mobiq: a bug, reported rather than aborted on
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt file: segment 12 checksum mismatch" - what a user sees.
  std::string to_string() const;

  // Prepends context ("loading model.mbq: ") while keeping the code.
  Status with_context(const std::string& context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Prints "mobiq: bug: the value of a failed Result was read: <status>" to stderr and aborts. Only
// Result<T>'s accessors call it; a caller that checks ok() first never gets here.
[[noreturn]] inline void bad_result_access(const Status& status) {
  std::fprintf(stderr, "mobiq: bug: the value of a failed Result was read: %s\n", status.to_string().c_str());
  std::fflush(stderr);
  std::abort();
}

inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status corrupt_file(std::string m) { return {ErrorCode::kCorruptFile, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status out_of_range(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

}  // namespace mobiq

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define MOBIQ_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::mobiq::Status mobiq_status_ = (expr);         \
    if (!mobiq_status_.ok()) return mobiq_status_;  \
  } while (0)
