// The set of handles the C API has handed out and not yet closed, so that a null or closed handle
// passed back is an error rather than a wild pointer dereference, and so that request_stop from one
// thread cannot race with close on another.
#pragma once

#include <mutex>
#include <unordered_set>

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

}  // namespace mobiq::capi
