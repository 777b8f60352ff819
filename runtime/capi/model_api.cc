// The model half of the C API: open, close, describe, tokenize, detokenize; also version and errors.
#include <cstring>
#include <string_view>
#include <vector>

#include "runtime/capi/handles.h"

using mobiq::ErrorCode;
using mobiq::capi::check_handle;
using mobiq::capi::check_out;
using mobiq::capi::fail;
using mobiq::capi::guarded;
using mobiq::capi::close_live_handle;
using mobiq::capi::LiveHandles;

extern "C" {

const char* mobiq_status_name(mobiq_status status) {
  if (status < MOBIQ_OK || status > MOBIQ_INTERNAL) return "unknown status";
  return mobiq::error_code_name(static_cast<ErrorCode>(status));
}

const char* mobiq_last_error_message(void) { return mobiq::capi::last_error_message(); }

const char* mobiq_version(void) { return MOBIQ_VERSION_STRING; }

void mobiq_model_options_init(mobiq_model_options* options) {
  if (options != nullptr) options->verify_checksums = 1;
}

mobiq_status mobiq_model_open(const char* path, const mobiq_model_options* options, mobiq_model** out_model) {
  constexpr const char* kFn = "mobiq_model_open";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_out(out_model, kFn, "out_model"); s != MOBIQ_OK) return s;
    *out_model = nullptr;
    if (path == nullptr) return fail(ErrorCode::kInvalidArgument, kFn, "null path");
    mobiq::MbqOpenOptions open_options;
    open_options.verify_checksums = options == nullptr || options->verify_checksums != 0;
    mobiq::Result<mobiq::Model> model = mobiq::Model::open_mbq(path, open_options);
    if (!model.ok()) {
      const mobiq::Status& status = model.status();
      // Name the file once: most loader messages already start with it.
      const bool names_path = status.message().find(path) != std::string::npos;
      return fail(names_path ? status : status.with_context(path));
    }
    auto handle = std::make_unique<mobiq_model>();
    handle->model = std::make_shared<const mobiq::Model>(std::move(model).value());
    LiveHandles<mobiq_model>::instance().add(handle.get());
    *out_model = handle.release();
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_model_close(mobiq_model* model) {
  return close_live_handle(model, "mobiq_model_close", "model");
}

mobiq_status mobiq_model_get_info(const mobiq_model* model, mobiq_model_info* out_info) {
  constexpr const char* kFn = "mobiq_model_get_info";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(model, kFn, "model"); s != MOBIQ_OK) return s;
    if (mobiq_status s = check_out(out_info, kFn, "out_info"); s != MOBIQ_OK) return s;
    const mobiq::Model& m = *model->model;
    out_info->vocab_size = m.config().vocab_size;
    out_info->n_layers = m.config().n_layers;
    out_info->max_position = m.config().max_position;
    out_info->max_slices = m.max_slices();
    out_info->bos_id = m.tokenizer().bos_id();
    out_info->eos_id = m.config().eos_ids.empty() ? -1 : m.config().eos_ids.front();
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_tokenize(const mobiq_model* model, const char* text, size_t text_len, int add_bos,
                            int32_t* tokens, size_t capacity, size_t* out_count) {
  constexpr const char* kFn = "mobiq_tokenize";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(model, kFn, "model"); s != MOBIQ_OK) return s;
    if (mobiq_status s = check_out(out_count, kFn, "out_count"); s != MOBIQ_OK) return s;
    if (text == nullptr && text_len > 0) return fail(ErrorCode::kInvalidArgument, kFn, "null text");
    if (tokens == nullptr && capacity > 0) return fail(ErrorCode::kInvalidArgument, kFn, "null tokens with a capacity");
    mobiq::EncodeOptions options;
    options.add_bos = add_bos != 0;
    auto ids = model->model->tokenizer().encode(std::string_view(text == nullptr ? "" : text, text_len), options);
    if (!ids.ok()) return fail(ids.status());
    *out_count = ids->size();
    if (ids->size() > capacity)
      return fail(ErrorCode::kOutOfRange, kFn,
                  "the text needs " + std::to_string(ids->size()) + " tokens, capacity is " + std::to_string(capacity));
    std::copy(ids->begin(), ids->end(), tokens);
    return MOBIQ_OK;
  });
}

mobiq_status mobiq_detokenize(const mobiq_model* model, const int32_t* tokens, size_t count, char* text,
                              size_t capacity, size_t* out_len) {
  constexpr const char* kFn = "mobiq_detokenize";
  return guarded(kFn, [&] {
    if (mobiq_status s = check_handle(model, kFn, "model"); s != MOBIQ_OK) return s;
    if (mobiq_status s = check_out(out_len, kFn, "out_len"); s != MOBIQ_OK) return s;
    if (tokens == nullptr && count > 0) return fail(ErrorCode::kInvalidArgument, kFn, "null tokens");
    if (text == nullptr && capacity > 0) return fail(ErrorCode::kInvalidArgument, kFn, "null text with a capacity");
    const std::string decoded = model->model->tokenizer().decode(std::vector<int32_t>(tokens, tokens + count));
    *out_len = decoded.size();
    if (decoded.size() + 1 > capacity)
      return fail(ErrorCode::kOutOfRange, kFn,
                  "the text needs " + std::to_string(decoded.size() + 1) + " bytes with its NUL, capacity is " +
                      std::to_string(capacity));
    std::memcpy(text, decoded.data(), decoded.size());
    text[decoded.size()] = '\0';
    return MOBIQ_OK;
  });
}

}  // extern "C"
