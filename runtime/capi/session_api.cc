// The session half of the C API: create, budget, feed, generate with a callback and a stop flag,
// reset, stats, close.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "backends/registry.h"
#include "runtime/capi/handles.h"
#include "runtime/capi/session_use.h"
#include "runtime/core/text_file.h"
#include "runtime/elastic/device_governor.h"
#include "runtime/engine/precision.h"

using mobiq::ErrorCode;
using mobiq::capi::check_handle;
using mobiq::capi::check_out;
using mobiq::capi::fail;
using mobiq::capi::guarded;
using mobiq::capi::close_live_handle;
using mobiq::capi::LiveHandles;
using mobiq::capi::SessionUse;

extern "C" {

void mobiq_session_options_init(mobiq_session_options* options) {
  if (options == nullptr) return;
  const mobiq::SessionOptions session_defaults;
  const mobiq::SamplingParams sampling_defaults;
  options->context_size = session_defaults.context_size;
  options->n_threads = 0;
  options->backend = nullptr;
  options->temperature = sampling_defaults.temperature;
  options->top_k = sampling_defaults.top_k;
  options->top_p = sampling_defaults.top_p;
  options->seed = sampling_defaults.seed;
}

mobiq_status mobiq_session_create(mobiq_model* model, const mobiq_session_options* options,
                                  mobiq_session** out_session) {
  constexpr const char* kFn = "mobiq_session_create";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_out(out_session, kFn, "out_session"); s != MOBIQ_OK) return s;
    *out_session = nullptr;
    if (mobiq_status s = check_handle(model, kFn, "model"); s != MOBIQ_OK) return s;
    mobiq_session_options opts;
    mobiq_session_options_init(&opts);
    if (options != nullptr) opts = *options;
    if (opts.context_size < 1) return fail(ErrorCode::kInvalidArgument, kFn, "context_size must be >= 1");

    auto handle = std::make_unique<mobiq_session>();
    handle->model = model->model;
    mobiq::SessionOptions session_options;
    session_options.backend = opts.backend == nullptr ? "auto" : opts.backend;
    session_options.context_size = opts.context_size;
    session_options.max_batch = std::min(session_options.max_batch, opts.context_size);
    session_options.n_threads = opts.n_threads;
    {
      std::lock_guard<std::mutex> lock(model->mutex);
      std::shared_ptr<mobiq::LoadedModel>& loaded = model->loaded[session_options.backend];
      if (loaded == nullptr) {
        auto placed = mobiq::load_model(session_options.backend, *handle->model);
        if (!placed.ok()) {
          model->loaded.erase(session_options.backend);
          return fail(placed.status());
        }
        loaded = std::move(placed).value();
      }
      handle->loaded = loaded;
    }
    auto session = mobiq::Session::create(handle->loaded, session_options);
    if (!session.ok()) return fail(session.status());
    handle->session = std::move(session).value();
    handle->sampling.temperature = opts.temperature;
    handle->sampling.top_k = opts.top_k;
    handle->sampling.top_p = opts.top_p;
    handle->sampling.seed = opts.seed;
    handle->sampler.emplace(handle->sampling);
    handle->context_size = opts.context_size;
    LiveHandles<mobiq_session>::instance().add(handle.get());
    *out_session = handle.release();
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_close(mobiq_session* session) {
  return close_live_handle(session, "mobiq_session_close", "session");
}

mobiq_status mobiq_session_set_budget_bits(mobiq_session* session, double bits) {
  constexpr const char* kFn = "mobiq_session_set_budget_bits";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    if (mobiq::Status s = mobiq::check_budget_bits(bits, session->model->max_slices()); !s.ok()) return fail(s);
    // Pending first, then try `use`: if another thread holds it, that thread applies the budget
    // before its next token or as it lets go (runtime/capi/session_use.h).
    mobiq::capi::leave_pending_budget(*session, bits);
    if (!session->use.try_lock()) return MOBIQ_OK;
    std::lock_guard lock(session->use, std::adopt_lock);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    return MOBIQ_OK;
  });
}

void mobiq_auto_budget_options_init(mobiq_auto_budget_options* options) {
  if (options == nullptr) return;
  const mobiq::DeviceGovernorOptions defaults;
  options->policy_json = nullptr;
  options->policy_path = nullptr;
  options->state_root = nullptr;
  options->probe_interval = defaults.probe_interval;
}

mobiq_status mobiq_session_set_budget_auto(mobiq_session* session, const mobiq_auto_budget_options* options) {
  constexpr const char* kFn = "mobiq_session_set_budget_auto";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    mobiq_auto_budget_options opts;
    mobiq_auto_budget_options_init(&opts);
    if (options != nullptr) opts = *options;
    mobiq::DeviceGovernorOptions auto_options;
    if (opts.policy_json != nullptr) {
      auto_options.policy_json = opts.policy_json;
    } else if (opts.policy_path != nullptr) {
      auto text = mobiq::read_text_file(opts.policy_path);
      if (!text.ok()) return fail(text.status());
      auto_options.policy_json = std::move(text).value();
    }
    if (opts.state_root != nullptr) auto_options.state_root = opts.state_root;
    auto_options.probe_interval = opts.probe_interval;
    auto governor = mobiq::DeviceGovernor::create(auto_options);
    if (!governor.ok()) return fail(governor.status());
    if (mobiq::Status s = session->session->set_governor(std::move(governor).value()); !s.ok()) return fail(s);
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_feed_tokens(mobiq_session* session, const int32_t* tokens, size_t count) {
  constexpr const char* kFn = "mobiq_session_feed_tokens";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    if (tokens == nullptr || count == 0) return fail(ErrorCode::kInvalidArgument, kFn, "no tokens");
    const int32_t vocab = session->model->config().vocab_size;
    for (size_t i = 0; i < count; ++i)
      if (tokens[i] < 0 || tokens[i] >= vocab)
        return fail(ErrorCode::kOutOfRange, kFn,
                    "token " + std::to_string(tokens[i]) + " at " + std::to_string(i) + " outside the vocabulary (" +
                        std::to_string(vocab) + ")");
    if (mobiq::Status s = session->session->feed(std::span<const int32_t>(tokens, count)); !s.ok()) return fail(s);
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_feed_text(mobiq_session* session, const char* text, size_t text_len, int add_bos) {
  constexpr const char* kFn = "mobiq_session_feed_text";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    if (text == nullptr) return fail(ErrorCode::kInvalidArgument, kFn, "null text");
    mobiq::EncodeOptions options;
    options.add_bos = add_bos != 0;
    auto ids = session->model->tokenizer().encode(std::string_view(text, text_len), options);
    if (!ids.ok()) return fail(ids.status());
    if (ids->empty()) return fail(ErrorCode::kInvalidArgument, kFn, "the text has no tokens");
    if (mobiq::Status s = session->session->feed(*ids); !s.ok()) return fail(s);
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_generate(mobiq_session* session, int32_t max_tokens, mobiq_token_callback on_token,
                                    void* user, mobiq_generate_result* out_result) {
  constexpr const char* kFn = "mobiq_session_generate";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    mobiq_generate_result result{0, MOBIQ_STOP_MAX_TOKENS};
    mobiq::Status budget_error;
    bool stopped = false;
    // A stop requested before this call (or between two calls) stops it before its first token.
    if (session->stop_requested.exchange(false)) {
      result.stop_reason = MOBIQ_STOP_REQUESTED;
      stopped = true;
    }
    if (!stopped) {
      auto generated = session->session->generate(
          max_tokens, *session->sampler, [&](int32_t id, const std::string& piece) {
            if (on_token != nullptr && on_token(user, piece.data(), piece.size(), id) != 0) {
              result.stop_reason = MOBIQ_STOP_CALLBACK;
              return false;
            }
            if (session->stop_requested.exchange(false)) {
              result.stop_reason = MOBIQ_STOP_REQUESTED;
              return false;
            }
            // A budget set from another thread during this call: in force from the next token.
            budget_error = mobiq::capi::apply_pending_budget(*session);
            return budget_error.ok();
          });
      if (!generated.ok()) return fail(generated.status());
      if (!budget_error.ok()) return fail(budget_error);
      result.tokens = generated->tokens;
      if (generated->stopped_at_eos) result.stop_reason = MOBIQ_STOP_EOS;
      if (generated->context_full) result.stop_reason = MOBIQ_STOP_CONTEXT_FULL;
    }
    if (out_result != nullptr) *out_result = result;
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_request_stop(mobiq_session* session) {
  constexpr const char* kFn = "mobiq_session_request_stop";
  return guarded(kFn, [&] {
    if (session == nullptr) return fail(ErrorCode::kInvalidArgument, kFn, "null session handle");
    // Under the registry's lock: a close racing with this call cannot free the handle meanwhile.
    const bool live = LiveHandles<mobiq_session>::instance().with(
        session, [](mobiq_session& s) { s.stop_requested.store(true); });
    if (!live) return fail(ErrorCode::kInvalidArgument, kFn, "session handle is closed or was never opened");
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_reset(mobiq_session* session) {
  constexpr const char* kFn = "mobiq_session_reset";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    session->session->reset();
    session->session->reset_stats();
    session->sampler.emplace(session->sampling);
    session->stop_requested.store(false);
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_get_stats(const mobiq_session* session, mobiq_stats* out_stats) {
  constexpr const char* kFn = "mobiq_session_get_stats";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    if (mobiq_status s = check_out(out_stats, kFn, "out_stats"); s != MOBIQ_OK) return s;
    std::lock_guard lock(session->use);  // not while a budget set from another thread is applied
    const mobiq::SessionStats stats = session->session->stats();
    mobiq_stats out{};
    out.bits_per_weight = stats.bits_per_weight;
    out.budget_bits = session->session->budget_bits();
    out.budget_mode = session->session->governed() ? MOBIQ_BUDGET_AUTO : MOBIQ_BUDGET_FIXED;
    const std::string_view reason = session->session->budget_reason();
    const size_t n = std::min(reason.size(), sizeof out.budget_reason - 1);
    std::memcpy(out.budget_reason, reason.data(), n);
    out.budget_reason[n] = '\0';
    out.prompt_tokens_per_second = stats.prompt_tokens_per_second();
    out.tokens_per_second = stats.tokens_per_second();
    out.prompt_tokens = stats.prompt_tokens;
    out.generated_tokens = stats.generated_tokens;
    out.position = stats.position;
    out.context_size = session->context_size;
    out.resident_planes = session->loaded->resident_planes();
    out.resident_bytes = session->loaded->resident_plane_bytes();
    *out_stats = out;
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_set_spend_mode(mobiq_session* session, mobiq_spend_mode mode) {
  constexpr const char* kFn = "mobiq_session_set_spend_mode";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    SessionUse use(*session);
    if (mobiq::Status s = mobiq::capi::apply_pending_budget(*session); !s.ok()) return fail(s);
    switch (mode) {
      case MOBIQ_SPEND_AVERAGE: session->session->set_budget_mode(mobiq::BudgetMode::kAverage); break;
      case MOBIQ_SPEND_CAP: session->session->set_budget_mode(mobiq::BudgetMode::kCap); break;
      case MOBIQ_SPEND_OPEN: session->session->set_budget_mode(mobiq::BudgetMode::kOpen); break;
      default: return fail(ErrorCode::kInvalidArgument, kFn, "unknown spend mode " + std::to_string(mode));
    }
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_session_get_spend(const mobiq_session* session, mobiq_spend_stats* out_spend) {
  constexpr const char* kFn = "mobiq_session_get_spend";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(session, kFn, "session"); s != MOBIQ_OK) return s;
    if (mobiq_status s = check_out(out_spend, kFn, "out_spend"); s != MOBIQ_OK) return s;
    std::lock_guard lock(session->use);  // not while a budget set from another thread is applied
    const mobiq::SessionStats stats = session->session->stats();
    mobiq_spend_stats out{};
    switch (stats.budget_mode) {
      case mobiq::BudgetMode::kAverage: out.mode = MOBIQ_SPEND_AVERAGE; break;
      case mobiq::BudgetMode::kCap: out.mode = MOBIQ_SPEND_CAP; break;
      case mobiq::BudgetMode::kOpen: out.mode = MOBIQ_SPEND_OPEN; break;
    }
    out.budget_bits = stats.budget_bits;
    out.spend_bits = stats.spend_bits;
    out.tokens = stats.spend_tokens;
    out.threshold_offset = stats.threshold_offset;
    *out_spend = out;
    return MOBIQ_OK;
  });
}

}  // extern "C"
