#include "runtime/capi/errors.h"

#include <string>

namespace mobiq::capi {
namespace {

// The values of mobiq_status are the runtime's ErrorCode values; a cast maps one to the other.
static_assert(MOBIQ_OK == static_cast<int>(ErrorCode::kOk));
static_assert(MOBIQ_INVALID_ARGUMENT == static_cast<int>(ErrorCode::kInvalidArgument));
static_assert(MOBIQ_NOT_FOUND == static_cast<int>(ErrorCode::kNotFound));
static_assert(MOBIQ_IO_ERROR == static_cast<int>(ErrorCode::kIoError));
static_assert(MOBIQ_CORRUPT_FILE == static_cast<int>(ErrorCode::kCorruptFile));
static_assert(MOBIQ_UNSUPPORTED == static_cast<int>(ErrorCode::kUnsupported));
static_assert(MOBIQ_OUT_OF_RANGE == static_cast<int>(ErrorCode::kOutOfRange));
static_assert(MOBIQ_OUT_OF_MEMORY == static_cast<int>(ErrorCode::kOutOfMemory));
static_assert(MOBIQ_CANCELLED == static_cast<int>(ErrorCode::kCancelled));
static_assert(MOBIQ_INTERNAL == static_cast<int>(ErrorCode::kInternal));

thread_local std::string t_message;
thread_local const char* t_view = "";

}  // namespace

mobiq_status fail(ErrorCode code, std::string_view prefix, std::string_view detail) noexcept {
  try {
    t_message.assign(prefix);
    if (!detail.empty()) t_message.append(": ").append(detail);
    t_view = t_message.c_str();
  } catch (...) {
    t_view = "out of memory while recording an error message";
  }
  return static_cast<mobiq_status>(code);
}

mobiq_status fail(const Status& status) noexcept {
  return fail(status.code(), error_code_name(status.code()), status.message());
}

const char* last_error_message() noexcept { return t_view; }

}  // namespace mobiq::capi
