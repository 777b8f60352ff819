// Offsets of everything an executor keeps in its activation, KV-cache and I/O buffers, planned once at
// executor creation (nothing is allocated per token). Offsets count 32-bit words, except in the KV
// cache, where they count values (f32 or f16: PipelineOptions::kv_f16).
#pragma once

#include <cstdint>

#include "format/model_config.h"
#include "format/model_weights.h"

namespace mobiq::vulkan {

// The I/O buffer's header words; kept in step with shaders/common.glsl.
enum IoHeader : uint32_t {
  kIoTokens = 0,           // tokens this pass (n)
  kIoStart = 1,            // position of the first token
  kIoHeadFirst = 2,        // first token whose logits the output head computes
  kIoSliceCap = 3,         // cap on routed slice counts
  kIoThresholdOffset = 4,  // f32 bits
  kIoArgmax = 5,           // written by argmax.comp
  kIoTokenIds = 6,         // offset of the token ids
  kIoCounts = 7,           // offset of the slice counts
  kIoThresholds = 8,       // offset of the thresholds
  kIoCountsStride = 9,     // layers * kLinearGroups
  kIoHeaderWords = 16,
};

struct ExecutorLayout {
  // Activation buffer (f32), for max_batch tokens; shapes per token.
  uint32_t x = 0;       // [batch][hidden] residual stream
  uint32_t normed = 0;  // [batch][hidden]
  uint32_t q = 0;       // [batch][q_dim]
  uint32_t k = 0;       // [batch][kv_dim]
  uint32_t v = 0;       // [batch][kv_dim]
  uint32_t mixed = 0;   // [batch][q_dim] attention output
  uint32_t delta = 0;   // [batch][hidden] a block's output
  uint32_t gate = 0;    // [batch][intermediate]
  uint32_t up = 0;      // [batch][intermediate]
  uint32_t rope = 0;    // [context][head_dim / 2][cos, sin]
  uint64_t activation_words = 0;
  // KV cache: layer l's keys at kv_layer * l, its values kv_dim * context after them.
  uint64_t kv_layer = 0;
  uint64_t kv_values = 0;
  // I/O buffer (host-visible).
  uint32_t thresholds = 0;  // [layers * 4] f32 bits
  uint32_t tokens = 0;      // [batch]
  uint32_t counts = 0;      // [batch][layers * 4]
  uint64_t io_words = 0;
  uint64_t logits_words = 0;  // [batch][vocab]

  ExecutorLayout(const ModelConfig& c, int64_t batch, int64_t context) {
    uint64_t at = 0;
    auto take = [&](int64_t words) {
      const uint64_t offset = at;
      at += (static_cast<uint64_t>(words) + 15) / 16 * 16;
      return static_cast<uint32_t>(offset);
    };
    x = take(batch * c.hidden_size);
    normed = take(batch * c.hidden_size);
    q = take(batch * c.q_dim());
    k = take(batch * c.kv_dim());
    v = take(batch * c.kv_dim());
    mixed = take(batch * c.q_dim());
    delta = take(batch * c.hidden_size);
    gate = take(batch * c.intermediate_size);
    up = take(batch * c.intermediate_size);
    rope = take(context * c.head_dim);
    activation_words = at;
    kv_layer = 2 * static_cast<uint64_t>(context) * c.kv_dim();
    kv_values = kv_layer * c.n_layers;
    const int64_t per_token = int64_t{c.n_layers} * kLinearGroups;
    at = kIoHeaderWords;
    thresholds = take(per_token);
    tokens = take(batch);
    counts = take(batch * per_token);
    io_words = at;
    logits_words = static_cast<uint64_t>(batch) * c.vocab_size;
  }
};

}  // namespace mobiq::vulkan
