#include "format/mbq_tensors.h"

namespace mobiq {

const char* projection_name(fb::Projection projection) {
  switch (projection) {
    case fb::Projection::Q: return "q";
    case fb::Projection::K: return "k";
    case fb::Projection::V: return "v";
    case fb::Projection::O: return "o";
    case fb::Projection::Gate: return "gate";
    case fb::Projection::Up: return "up";
    case fb::Projection::Down: return "down";
  }
  return "?";
}

const char* dense_role_name(fb::DenseRole role) {
  switch (role) {
    case fb::DenseRole::TokenEmbedding: return "embedding";
    case fb::DenseRole::FinalNorm: return "final norm";
    case fb::DenseRole::Output: return "output";
    case fb::DenseRole::AttnNorm: return "attn norm";
    case fb::DenseRole::FfnNorm: return "ffn norm";
  }
  return "?";
}

std::optional<std::pair<int64_t, int64_t>> linear_shape(const ModelConfig& c, fb::Projection projection) {
  switch (projection) {
    case fb::Projection::Q: return std::pair<int64_t, int64_t>{c.q_dim(), c.hidden_size};
    case fb::Projection::K:
    case fb::Projection::V: return std::pair<int64_t, int64_t>{c.kv_dim(), c.hidden_size};
    case fb::Projection::O: return std::pair<int64_t, int64_t>{c.hidden_size, c.q_dim()};
    case fb::Projection::Gate:
    case fb::Projection::Up: return std::pair<int64_t, int64_t>{c.intermediate_size, c.hidden_size};
    case fb::Projection::Down: return std::pair<int64_t, int64_t>{c.hidden_size, c.intermediate_size};
  }
  return std::nullopt;
}

std::optional<std::pair<int64_t, int64_t>> dense_shape(const ModelConfig& c, fb::DenseRole role) {
  switch (role) {
    case fb::DenseRole::TokenEmbedding:
    case fb::DenseRole::Output: return std::pair<int64_t, int64_t>{c.vocab_size, c.hidden_size};
    case fb::DenseRole::FinalNorm:
    case fb::DenseRole::AttnNorm:
    case fb::DenseRole::FfnNorm: return std::pair<int64_t, int64_t>{1, c.hidden_size};
  }
  return std::nullopt;
}

fb::DType to_fb_dtype(DType dtype) {
  switch (dtype) {
    case DType::kF32: return fb::DType::F32;
    case DType::kF16: return fb::DType::F16;
    case DType::kBF16: return fb::DType::BF16;
    case DType::kQ8: return fb::DType::Q8;
  }
  return fb::DType::F32;
}

std::optional<DType> from_fb_dtype(fb::DType dtype) {
  switch (dtype) {
    case fb::DType::F32: return DType::kF32;
    case fb::DType::F16: return DType::kF16;
    case fb::DType::BF16: return DType::kBF16;
    case fb::DType::Q8: return DType::kQ8;
  }
  return std::nullopt;
}

}  // namespace mobiq
