// How a C API call uses a session while another thread may set its budget.
//
// A session is used by one thread at a time (`mobiq_session::use`), but mobiq_session_set_budget_bits
// may come from any thread, e.g. an application's battery or thermal monitor while the main thread
// is inside generate. Such a call validates the budget at once (its error is the caller's) and leaves
// it in `pending_bits`; then, if `use` is free, it applies it itself, else the holder applies it
// before its next token and, at the latest, as it lets go of `use`. So a budget set from another
// thread is in force from the next token and is never lost.
#pragma once

#include <mutex>
#include <optional>

#include "runtime/capi/handles.h"

namespace mobiq::capi {

inline void leave_pending_budget(mobiq_session& session, double bits) {
  std::lock_guard lock(session.pending_mutex);
  session.pending_bits = bits;
}

// Applies the pending fixed budget, if any, once: on an error it is dropped, the error being the
// caller's to report. Call with `use` held.
inline Status apply_pending_budget(mobiq_session& session) {
  std::optional<double> bits;
  {
    std::lock_guard lock(session.pending_mutex);
    bits.swap(session.pending_bits);
  }
  if (!bits) return Status::Ok();
  return session.session->set_budget_bits(*bits, "set by the application");
}

// Holds `use` for one C API call that feeds, generates or changes the session.
class SessionUse {
 public:
  explicit SessionUse(mobiq_session& session) : session_(session), lock_(session.use) {}

  // Lets go of `use`, then applies a budget that arrived while it was held (its setter found `use`
  // taken). Should that fail, the budget is left pending again, so the next call that feeds or
  // generates applies it and reports the error.
  ~SessionUse() {
    lock_.unlock();
    std::optional<double> bits;
    {
      std::lock_guard lock(session_.pending_mutex);
      bits = session_.pending_bits;
    }
    if (!bits || !session_.use.try_lock()) return;  // nothing pending, or another holder applies it
    std::lock_guard lock(session_.use, std::adopt_lock);
    try {
      if (!apply_pending_budget(session_).ok()) restore(*bits);
    } catch (...) {  // std::bad_alloc: a destructor must not throw
      restore(*bits);
    }
  }

  SessionUse(const SessionUse&) = delete;
  SessionUse& operator=(const SessionUse&) = delete;

 private:
  void restore(double bits) {
    std::lock_guard lock(session_.pending_mutex);
    if (!session_.pending_bits) session_.pending_bits = bits;  // never over a newer one
  }

  mobiq_session& session_;
  std::unique_lock<std::recursive_mutex> lock_;
};

}  // namespace mobiq::capi
