#include "runtime/engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "runtime/engine/perplexity.h"

namespace mobiq {
namespace {

TEST(Sampler, GreedyPicksTheLargestLogit) {
  Sampler sampler({.temperature = 0.0f});
  const std::vector<float> logits = {0.1f, 2.5f, -1.0f, 2.4f};
  EXPECT_EQ(sampler.sample(logits.data(), 4), 1);
}

TEST(Sampler, TopKOneIsGreedyAtAnyTemperature) {
  Sampler sampler({.temperature = 5.0f, .top_k = 1, .top_p = 1.0f, .seed = 3});
  const std::vector<float> logits = {0.1f, 0.2f, 3.0f, 0.0f};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sampler.sample(logits.data(), 4), 2);
}

TEST(Sampler, SameSeedSameSequenceAndFrequenciesFollowSoftmax) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  SamplingParams params{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 42};
  Sampler a(params), b(params);
  std::map<int32_t, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const int32_t x = a.sample(logits.data(), 3);
    ASSERT_EQ(x, b.sample(logits.data(), 3));
    ++counts[x];
  }
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.02);
}

TEST(Sampler, TopPDropsTheTail) {
  // Probabilities 0.6, 0.3, 0.1: top_p 0.85 keeps the first two only.
  const std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  Sampler sampler({.temperature = 1.0f, .top_k = 0, .top_p = 0.85f, .seed = 7});
  for (int i = 0; i < 2000; ++i) EXPECT_NE(sampler.sample(logits.data(), 3), 2);
}

TEST(Perplexity, NegativeLogLikelihoodIsLogSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(negative_log_likelihood(logits.data(), 3, 0), std::log(z) - 1.0, 1e-9);
  EXPECT_NEAR(negative_log_likelihood(logits.data(), 3, 2), std::log(z) - 3.0, 1e-9);
  const std::vector<float> huge = {1000.0f, 0.0f};  // no overflow
  EXPECT_NEAR(negative_log_likelihood(huge.data(), 2, 0), 0.0, 1e-9);
}

}  // namespace
}  // namespace mobiq
