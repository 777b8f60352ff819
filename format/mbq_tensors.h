// Names and shapes shared by the .mbq writer, reader and loaders.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "format/mbq_generated.h"
#include "format/model_config.h"
#include "format/model_weights.h"

namespace mobiq {

// "q", "k", "v", "o", "gate", "up", "down"; "?" for a value this build does not know.
const char* projection_name(fb::Projection projection);
// "embedding", "final norm", "output", "attn norm", "ffn norm".
const char* dense_role_name(fb::DenseRole role);

// {out, in} of a decoder layer's projection for `config`; nullopt for an unknown projection.
std::optional<std::pair<int64_t, int64_t>> linear_shape(const ModelConfig& config, fb::Projection projection);
// The shape {rows, cols} a dense tensor of `role` has in a model of `config` (a vector: rows == 1).
std::optional<std::pair<int64_t, int64_t>> dense_shape(const ModelConfig& config, fb::DenseRole role);

// The file's dtype enum from the runtime's, and back (nullopt for an unknown value).
fb::DType to_fb_dtype(DType dtype);
std::optional<DType> from_fb_dtype(fb::DType dtype);

}  // namespace mobiq
