// The set of handles the C API has handed out and not yet closed, so that a null or closed handle
// passed back is an error rather than a wild pointer dereference, and so that request_stop from one
// thread cannot race with close on another.
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>

#include "runtime/capi/errors.h"

namespace mobiq::capi {

template <typename Handle>
class LiveHandles {
 public:
  // Never destroyed: a call from a thread still running at exit must find it intact.
  static LiveHandles& instance() {
    static auto* handles = new LiveHandles;
    return *handles;
  }

  void add(Handle* handle) {  // may throw std::bad_alloc (the C API's guard catches it)
    std::lock_guard lock(mutex_);
    handles_.insert(handle);
  }
  // false when `handle` is not live (never handed out, or closed already).
  bool remove(const Handle* handle) {
    std::lock_guard lock(mutex_);
    return handles_.erase(const_cast<Handle*>(handle)) > 0;
  }
  bool contains(const Handle* handle) {
    std::lock_guard lock(mutex_);
    return handles_.count(const_cast<Handle*>(handle)) > 0;
  }
  // Runs fn(*handle) while holding the lock, so a concurrent remove() cannot free it meanwhile.
  template <typename Fn>
  bool with(const Handle* handle, Fn&& fn) {
    std::lock_guard lock(mutex_);
    if (handles_.count(const_cast<Handle*>(handle)) == 0) return false;
    fn(*const_cast<Handle*>(handle));
    return true;
  }

 private:
  std::mutex mutex_;
  std::unordered_set<Handle*> handles_;
};

// The body of a *_close function: a null or no-longer-live handle is an error; otherwise only the
// caller that removed it from the live set frees it, so two racing closes cannot double-free, and no
// with() (request_stop) can reach it afterwards.
template <typename Handle>
mobiq_status close_live_handle(Handle* handle, const char* function, const char* what) {
  return guarded(function, [&] {
    if (handle == nullptr) return fail(ErrorCode::kInvalidArgument, function, std::string("null ") + what + " handle");
    if (!LiveHandles<Handle>::instance().remove(handle))
      return fail(ErrorCode::kInvalidArgument, function, std::string(what) + " handle is closed or was never opened");
    delete handle;
    return MOBIQ_OK;
  });
}

}  // namespace mobiq::capi
