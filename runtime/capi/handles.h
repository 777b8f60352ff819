// What the C API's opaque handles hold, and the checks every entry point runs on them.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>

#include "mobiq/mobiq.h"
#include "runtime/capi/errors.h"
#include "runtime/capi/live_handles.h"
#include "runtime/engine/sampler.h"
#include "runtime/engine/session.h"
#include "runtime/model/model.h"

// One reference to a model; sessions hold more, so the model lives until the last one is dropped.
// The model is loaded once per backend name asked for and the loaded weights are shared by every
// session on that backend.
struct mobiq_model {
  std::shared_ptr<const mobiq::Model> model;
  std::mutex mutex;  // guards `loaded` (sessions may be created from several threads)
  std::map<std::string, std::shared_ptr<mobiq::LoadedModel>> loaded;  // by requested backend name
};

struct mobiq_session {
  std::shared_ptr<const mobiq::Model> model;  // declared before `session`, so destroyed after it
  std::shared_ptr<mobiq::LoadedModel> loaded;
  std::unique_ptr<mobiq::Session> session;  // owns its budget: fixed, or a DeviceGovernor's
  mobiq::SamplingParams sampling;
  std::optional<mobiq::Sampler> sampler;  // restarted from sampling.seed by a reset
  int32_t context_size = 0;
  std::atomic<bool> stop_requested{false};  // set by request_stop from any thread

  // Held by the thread using the session: by generate for its whole call, by other calls briefly.
  // Recursive because the token callback may call get_stats or set_budget_bits on that thread.
  mutable std::recursive_mutex use;
  // A fixed budget set from another thread while `use` was held; the holder applies it before its
  // next token (or as it lets go of `use`). See runtime/capi/session_use.h.
  std::mutex pending_mutex;
  std::optional<double> pending_bits;
};

namespace mobiq::capi {

// MOBIQ_OK when `handle` is live; otherwise records "<function>: null/closed <kind> handle". Called
// inside guarded(): the message may allocate.
template <typename Handle>
mobiq_status check_handle(const Handle* handle, const char* function, const char* kind) {
  if (handle == nullptr) return fail(ErrorCode::kInvalidArgument, function, std::string("null ") + kind + " handle");
  if (!LiveHandles<Handle>::instance().contains(handle))
    return fail(ErrorCode::kInvalidArgument, function, std::string(kind) + " handle is closed or was never opened");
  return MOBIQ_OK;
}

// Inside guarded(), like check_handle.
inline mobiq_status check_out(const void* out, const char* function, const char* name) {
  if (out == nullptr) return fail(ErrorCode::kInvalidArgument, function, std::string("null ") + name);
  return MOBIQ_OK;
}

}  // namespace mobiq::capi
