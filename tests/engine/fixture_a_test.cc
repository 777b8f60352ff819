// End to end on the shared fixture-a model: the unquantized checkpoint against transformers'
// logits and perplexity, the converted .mbq at every slice count against the nested-by-truncation
// references (shared/README.md), and batched prefill against token-by-token decode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "runtime/engine/perplexity.h"
#include "runtime/model/model.h"
#include "runtime/model/safetensors.h"
#include "backends/registry.h"
#include "tests/support/value_or_fail.h"
#include "tests/support/cpu_executor.h"
#include "tests/support/shared_data.h"
#include "tools/quantizer/hf_converter.h"
#include "runtime/core/text_file.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

std::vector<int32_t> eval_tokens(const Model& model) {
  const std::string text = test::value_or_fail(read_text_file(test::shared_data("eval_sotu.txt").string()), "eval text");
  return test::value_or_fail(protocol_tokens(model.tokenizer(), model.config().bos_id, text), "eval tokens");
}

double eval_perplexity(const Model& model, int slices) {
  auto executor = test::cpu_executor(model, 512, 512);
  PerplexityOptions options;
  options.plan.slices = slices;
  const auto result = test::value_or_fail(evaluate_perplexity(*executor, model, eval_tokens(model), options), "perplexity");
  EXPECT_EQ(result.predictions, 179 * 511);
  return result.perplexity;
}

class FixtureA : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_shared()) return;
    mbq_path_ = fs::temp_directory_path() / ("mobiq-fixture-a-" + std::to_string(::getpid()) + ".mbq");
    ConvertOptions options;
    options.input_dir = test::fixture_a_dir().string();
    options.output_path = mbq_path_.string();
    const Status status = convert_hf_to_mbq(options);
    ASSERT_TRUE(status.ok()) << status.to_string();
  }
  static void TearDownTestSuite() {
    if (!mbq_path_.empty()) fs::remove(mbq_path_);
  }
  void SetUp() override {
    MOBIQ_REQUIRE_SHARED();
    MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  }

  static Model open_hf() {
    return test::value_or_fail(Model::open_hf(test::fixture_a_dir().string()), "fixture-a");
  }
  static Model open_mbq() {
    return test::value_or_fail(Model::open_mbq(mbq_path_.string()), "fixture-a.mbq");
  }

  static fs::path mbq_path_;
};
fs::path FixtureA::mbq_path_;

TEST_F(FixtureA, UnquantizedLogitsMatchTransformers) {
  auto reference = SafetensorsFile::open((test::fixture_a_dir() / "reference_logits.safetensors").string());
  ASSERT_TRUE(reference.ok()) << reference.status().to_string();
  const SafetensorsTensor* tokens = reference->find("tokens");
  const SafetensorsTensor* logits = reference->find("logits");
  ASSERT_TRUE(tokens && logits);
  ASSERT_EQ(tokens->dtype_name, "I32");
  ASSERT_EQ(logits->dtype_name, "F32");
  const int64_t n = tokens->shape[0];
  std::vector<int32_t> ids(n);
  std::memcpy(ids.data(), tokens->data, n * sizeof(int32_t));
  std::vector<float> expected(logits->size_bytes / sizeof(float));
  std::memcpy(expected.data(), logits->data, logits->size_bytes);

  Model model = open_hf();
  const int32_t vocab = model.config().vocab_size;
  ASSERT_EQ(static_cast<int64_t>(expected.size()), n * vocab);
  const std::vector<int32_t> protocol = eval_tokens(model);
  EXPECT_EQ(std::vector<int32_t>(protocol.begin(), protocol.begin() + n), ids)
      << "the protocol's first tokens differ from the reference's";

  auto executor = test::cpu_executor(model, 64, 64);
  std::vector<float> ours(n * vocab);
  ASSERT_TRUE(test::forward_logits(*executor, ids, 0, test::uniform_plan(1), true, ours.data()).ok());
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(double(expected[i])));
    max_diff = std::max(max_diff, std::fabs(double(ours[i]) - expected[i]));
  }
  EXPECT_LE(max_diff, 1e-3 * max_ref) << "max |ours - reference| " << max_diff << ", max |reference| " << max_ref;
  RecordProperty("max_abs_diff", std::to_string(max_diff));
  RecordProperty("max_abs_reference", std::to_string(max_ref));
}

TEST_F(FixtureA, UnquantizedPerplexityMatchesTransformers) {
  Model model = open_hf();
  EXPECT_EQ(eval_tokens(model).size(), 92045u);
  const double ppl = eval_perplexity(model, 4);
  EXPECT_NEAR(ppl, 144.5159, 0.001 * 144.5159);
}

TEST_F(FixtureA, SlicedPerplexityMatchesNestedTruncationAtEveryK) {
  Model model = open_mbq();
  ASSERT_EQ(model.max_slices(), 4);
  const double reference[] = {180.3268, 146.7767, 144.6965, 144.5728};
  for (int k = 1; k <= 4; ++k) {
    const double ppl = eval_perplexity(model, k);
    EXPECT_NEAR(ppl, reference[k - 1], 0.01 * reference[k - 1]) << "k=" << k;
  }
}

// Each slice brings the predictions closer to the file's full precision, and comparing with it runs
// the reference on its own fresh cache: the plan's perplexity is the same with or without it.
TEST_F(FixtureA, DivergenceFromAllSlicesFallsWithEverySlice) {
  Model model = open_mbq();
  auto executor = test::cpu_executor(model, 512, 512);
  const std::vector<int32_t> tokens = eval_tokens(model);
  double previous_kl = INFINITY, previous_top = 0.0;
  for (int k = 1; k <= 4; ++k) {
    PerplexityOptions options;
    options.plan.slices = k;
    options.max_windows = 3;
    auto plain = evaluate_perplexity(*executor, model, tokens, options);
    options.divergence = true;
    auto compared = evaluate_perplexity(*executor, model, tokens, options);
    ASSERT_TRUE(plain.ok() && compared.ok());
    EXPECT_NEAR(compared->perplexity, plain->perplexity, 1e-9 * plain->perplexity) << "k=" << k;
    EXPECT_EQ(plain->kl_divergence, 0.0);
    EXPECT_LT(compared->kl_divergence, previous_kl) << "k=" << k;
    EXPECT_GT(compared->same_top_token, previous_top) << "k=" << k;
    previous_kl = compared->kl_divergence;
    previous_top = compared->same_top_token;
  }
  EXPECT_NEAR(previous_kl, 0.0, 1e-9);
  EXPECT_EQ(previous_top, 1.0);

  Model hf = open_hf();
  auto hf_executor = test::cpu_executor(hf, 512, 512);
  PerplexityOptions options;
  options.divergence = true;
  auto refused = evaluate_perplexity(*hf_executor, hf, tokens, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("sliced"), std::string::npos) << refused.status().to_string();
}

// Every CPU kernel set (int8 activations) against the f32 reference on the first windows of the text:
// perplexity within 0.2% at every slice count.
TEST_F(FixtureA, KernelSetsKeepPerplexityWithinAFifthOfAPercent) {
  Model model = open_mbq();
  const std::vector<int32_t> tokens = eval_tokens(model);
  auto perplexity = [&](const std::string& backend, int k) {
    auto loaded = load_model(backend, model);
    EXPECT_TRUE(loaded.ok()) << loaded.status().to_string();
    ExecutorOptions executor_options;
    executor_options.context_size = executor_options.max_batch = 512;
    auto executor = (*loaded)->create_executor(executor_options);
    EXPECT_TRUE(executor.ok());
    PerplexityOptions options;
    options.plan.slices = k;
    options.max_windows = 6;
    auto result = evaluate_perplexity(**executor, model, tokens, options);
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    return result.ok() ? result->perplexity : 0.0;
  };
  for (int k = 1; k <= 4; ++k) {
    const double reference = perplexity("cpu:reference", k);
    for (const std::string& backend : backend_variants())
      if (backend.starts_with("cpu:") && backend != "cpu:reference")
        EXPECT_NEAR(perplexity(backend, k), reference, 0.002 * reference) << backend << ", k=" << k;
  }
}

TEST_F(FixtureA, PrefillEqualsTokenByTokenDecode) {
  Model hf = open_hf();
  Model mbq = open_mbq();
  const std::vector<int32_t> all = eval_tokens(hf);
  const std::vector<int32_t> ids(all.begin(), all.begin() + 40);
  for (const Model* model : {&hf, &mbq})
    for (int k : {1, 4}) {
      const int32_t vocab = model->config().vocab_size;
      auto batched = test::cpu_executor(*model, 64, 64);
      auto stepwise = test::cpu_executor(*model, 64, 64);
      std::vector<float> a(ids.size() * vocab), b(vocab);
      const int planes = std::max(1, std::min(k, model->max_slices()));
      ASSERT_TRUE(test::forward_logits(*batched, ids, 0, test::uniform_plan(planes), true, a.data()).ok());
      for (size_t t = 0; t < ids.size(); ++t) {
        const std::span<const int32_t> step(&ids[t], 1);
        ASSERT_TRUE(test::forward_logits(*stepwise, step, static_cast<int32_t>(t), test::uniform_plan(planes), false,
                                         b.data()).ok());
        for (int32_t v = 0; v < vocab; ++v)
          ASSERT_NEAR(a[t * vocab + v], b[v], 2e-3) << "position " << t << " token " << v << " k=" << k;
      }
    }
}

}  // namespace
}  // namespace mobiq
