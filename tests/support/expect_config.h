// Field-by-field comparison of two model configs, so a failure names the field that differs.
#pragma once

#include <gtest/gtest.h>

#include "format/model_config.h"

namespace mobiq::test {

inline void expect_same_config(const ModelConfig& got, const ModelConfig& want) {
  EXPECT_EQ(got.vocab_size, want.vocab_size);
  EXPECT_EQ(got.hidden_size, want.hidden_size);
  EXPECT_EQ(got.intermediate_size, want.intermediate_size);
  EXPECT_EQ(got.n_layers, want.n_layers);
  EXPECT_EQ(got.n_heads, want.n_heads);
  EXPECT_EQ(got.n_kv_heads, want.n_kv_heads);
  EXPECT_EQ(got.head_dim, want.head_dim);
  EXPECT_EQ(got.rms_norm_eps, want.rms_norm_eps);
  EXPECT_EQ(got.rope_theta, want.rope_theta);
  EXPECT_EQ(got.rope_scaling.type, want.rope_scaling.type);
  EXPECT_EQ(got.rope_scaling.factor, want.rope_scaling.factor);
  EXPECT_EQ(got.rope_scaling.low_freq_factor, want.rope_scaling.low_freq_factor);
  EXPECT_EQ(got.rope_scaling.high_freq_factor, want.rope_scaling.high_freq_factor);
  EXPECT_EQ(got.rope_scaling.original_max_position, want.rope_scaling.original_max_position);
  EXPECT_EQ(got.max_position, want.max_position);
  EXPECT_EQ(got.tie_embeddings, want.tie_embeddings);
  EXPECT_EQ(got.bos_id, want.bos_id);
  EXPECT_EQ(got.eos_ids, want.eos_ids);
}

}  // namespace mobiq::test
