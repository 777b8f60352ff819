// A small random model held in memory, for tests that run whole forward passes on awkward shapes:
// widths that are not multiples of the 128-wide group or of SIMD tiles, grouped-query or multi-query
// attention, llama3 rope scaling, an untied f32 output head and a router in front of every group.
// The weights are random but tame (f16 scales 0.01..0.1, norms near 1), so logits stay finite and
// slice counts change them measurably.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/model/model.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::test {

struct SyntheticShape {
  int32_t vocab = 97;
  int32_t hidden = 200;        // two groups of the slice layout: 128 + 72
  int32_t intermediate = 330;  // three groups: 128 + 128 + 74
  int32_t layers = 2;
  int32_t heads = 4;
  int32_t kv_heads = 2;        // 1: multi-query attention
  int32_t head_dim = 48;       // q_dim 192, not the hidden width
  int32_t router_hidden = 3;
};

// Owns every buffer the model's weight views point into.
struct SyntheticStorage {
  std::vector<std::vector<float>> floats;
  std::vector<std::unique_ptr<RandomSliced>> sliced;
};

inline Model make_synthetic_model(const SyntheticShape& shape, uint32_t seed) {
  auto storage = std::make_shared<SyntheticStorage>();
  std::mt19937 rng(seed);
  auto floats = [&](int64_t n, float lo, float hi) -> const float* {
    storage->floats.push_back(random_floats(n, static_cast<uint32_t>(rng()), lo, hi));
    return storage->floats.back().data();
  };
  auto dense = [&](int64_t rows, int64_t cols, float lo, float hi) {
    DenseTensor t;
    t.dtype = DType::kF32;
    t.rows = rows;
    t.cols = cols;
    t.data = floats(rows * cols, lo, hi);
    return t;
  };
  auto sliced = [&](int64_t out, int64_t in) {
    storage->sliced.push_back(std::make_unique<RandomSliced>(out, in, static_cast<uint32_t>(rng())));
    LinearWeights w;
    w.sliced = storage->sliced.back()->view;
    return w;
  };
  ModelConfig c;
  c.vocab_size = shape.vocab;
  c.hidden_size = shape.hidden;
  c.intermediate_size = shape.intermediate;
  c.n_layers = shape.layers;
  c.n_heads = shape.heads;
  c.n_kv_heads = shape.kv_heads;
  c.head_dim = shape.head_dim;
  c.rms_norm_eps = 1e-5f;
  c.rope_theta = 500000.0f;
  c.rope_scaling = {RopeScalingType::kLlama3, 8.0f, 1.0f, 4.0f, 8192};
  c.max_position = 8192;
  c.bos_id = 1;
  c.eos_ids = {2};

  ModelWeights w;
  w.token_embedding = dense(c.vocab_size, c.hidden_size, -1.0f, 1.0f);
  w.final_norm = dense(1, c.hidden_size, 0.8f, 1.2f);
  w.output = dense(c.vocab_size, c.hidden_size, -0.2f, 0.2f);
  for (int32_t l = 0; l < c.n_layers; ++l) {
    LayerWeights layer;
    layer.attn_norm = dense(1, c.hidden_size, 0.8f, 1.2f);
    layer.ffn_norm = dense(1, c.hidden_size, 0.8f, 1.2f);
    layer.q = sliced(c.q_dim(), c.hidden_size);
    layer.k = sliced(c.kv_dim(), c.hidden_size);
    layer.v = sliced(c.kv_dim(), c.hidden_size);
    layer.o = sliced(c.hidden_size, c.q_dim());
    layer.gate = sliced(c.intermediate_size, c.hidden_size);
    layer.up = sliced(c.intermediate_size, c.hidden_size);
    layer.down = sliced(c.hidden_size, c.intermediate_size);
    const int32_t inputs[kLinearGroups] = {c.hidden_size, c.q_dim(), c.hidden_size, c.intermediate_size};
    for (int g = 0; g < kLinearGroups; ++g) {
      RouterWeights& r = layer.routers[g];
      r.in = inputs[g];
      r.hidden = shape.router_hidden;
      r.w1 = floats(int64_t{r.hidden} * r.in, -0.3f, 0.3f);
      r.b1 = floats(r.hidden, -0.1f, 0.1f);
      r.w2 = floats(int64_t{kResidualPlanes} * (r.hidden + 1), -1.0f, 1.0f);
      r.b2 = floats(kResidualPlanes, -0.5f, 0.5f);
    }
    w.layers.push_back(layer);
  }
  auto tokenizer = Tokenizer::from_hf_json(
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2}, "merges": []}})", "");
  return Model(std::move(c), std::move(w), std::move(tokenizer).value(), storage, kMaxPlanes, "");
}

}  // namespace mobiq::test
