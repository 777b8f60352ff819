// The C API's boundary: the per-thread last error message, the mapping from Status to mobiq_status,
// and the guard that turns any exception escaping the runtime into a status instead of a crash.
#pragma once

#include <exception>
#include <new>
#include <string_view>

#include "mobiq/mobiq.h"
#include "runtime/core/status.h"

namespace mobiq::capi {

// Stores "prefix: detail" (or "prefix" when detail is empty) as this thread's last error message and returns `code` as a mobiq_status.
// Never throws: when the message cannot be stored, a fixed one replaces it.
mobiq_status fail(ErrorCode code, std::string_view prefix, std::string_view detail = {}) noexcept;
mobiq_status fail(const Status& status) noexcept;
const char* last_error_message() noexcept;

// Runs `body` (returning mobiq_status); whatever it throws becomes MOBIQ_OUT_OF_MEMORY or MOBIQ_INTERNAL.
template <typename Body>
mobiq_status guarded(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kOutOfMemory, function, "out of memory");
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, function, e.what());
  } catch (...) {
    return fail(ErrorCode::kInternal, function, "unknown exception");
  }
}

}  // namespace mobiq::capi
