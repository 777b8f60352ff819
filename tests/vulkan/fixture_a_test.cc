// fixture-a end to end on the Vulkan backend against the CPU reference oracle ("cpu:reference"), same
// model file: the calibrated fixture-a the spend-control tests use (tests/support/spend_fixture.h, made
// once per ctest run by spend_fixture_calibrate), which has routers.
//   perplexity (shared/README.md protocol) on the first kWindows windows of 512 tokens of
//     eval_sotu.txt: within 0.1% of the CPU's at uniform k = 1..4, and at the routed budgets 2.5, 3.0
//     and 4.0 bits (open loop: the file's calibrated thresholds, so the bits measure the routers'
//     own decisions) with measured bits within kBitsTolerance of the CPU's;
//   greedy decoding of 64 tokens at k = 4 token for token the CPU's;
//   the same bounds at routed 3.0 bits with the device-feature variants a GPU gets (subgroup
//   reductions in the norms, routers and attention; an f16 KV cache), where the device has them.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "backends/vulkan/vulkan_loaded_model.h"
#include "runtime/engine/perplexity.h"
#include "runtime/engine/slice_planner.h"
#include "runtime/model/model.h"
#include "tests/support/calibrated_eval_test.h"
#include "tests/vulkan/vulkan_test_device.h"

namespace mobiq::test {
namespace {

constexpr int32_t kWindow = 512;     // the protocol's window
constexpr int64_t kWindows = 1;      // 511 scored predictions per plan
constexpr double kPerplexityTolerance = 1e-3;  // relative
// A router score within float rounding of its threshold may go either way on the two backends. One
// flipped decision moves the measured bits by 2 x (the group's share of the sliced weights) / tokens:
// 1.0e-4 (q/k/v) to 1.6e-4 (gate/up, down) on fixture-a over 512 tokens, so 0.002 bits allows about
// a dozen of the 12,288 decisions per window.
constexpr double kBitsTolerance = 0.002;

std::unique_ptr<Executor> executor_on(const std::string& backend, const Model& model, int32_t context) {
  auto loaded = load_model(backend, model);
  EXPECT_TRUE(loaded.ok()) << backend << ": " << loaded.status().to_string();
  if (!loaded.ok()) return nullptr;
  ExecutorOptions options;
  options.context_size = options.max_batch = context;
  options.n_threads = 1;  // ctest runs tests side by side
  auto executor = (*loaded)->create_executor(options);
  EXPECT_TRUE(executor.ok()) << backend << ": " << executor.status().to_string();
  return executor.ok() ? std::move(executor).value() : nullptr;
}

// An executor on `loaded` (the Vulkan backend with chosen pipeline variants).
std::unique_ptr<Executor> executor_on(const std::shared_ptr<LoadedModel>& loaded, int32_t context) {
  ExecutorOptions options;
  options.context_size = options.max_batch = context;
  auto executor = loaded->create_executor(options);
  EXPECT_TRUE(executor.ok()) << executor.status().to_string();
  return executor.ok() ? std::move(executor).value() : nullptr;
}

class VulkanFixtureA : public CalibratedEvalTest {
 protected:
  VulkanFixtureA() : CalibratedEvalTest(kWindows * kWindow) {}

  // Perplexity and measured bits of `plan` on both backends.
  void compare(const SlicePlan& plan, Executor& cpu, Executor& vulkan, const std::string& what) {
    PerplexityOptions options;
    options.window = kWindow;
    options.plan = plan;
    auto expected = evaluate_perplexity(cpu, *model_, tokens_, options);
    auto got = evaluate_perplexity(vulkan, *model_, tokens_, options);
    ASSERT_TRUE(expected.ok() && got.ok()) << what;
    ASSERT_EQ(got->predictions, kWindows * (kWindow - 1));
    const double relative = std::fabs(got->perplexity - expected->perplexity) / expected->perplexity;
    EXPECT_LE(relative, kPerplexityTolerance)
        << what << ": vulkan " << got->perplexity << ", cpu " << expected->perplexity;
    EXPECT_NEAR(got->bits_per_weight, expected->bits_per_weight, kBitsTolerance) << what;
    std::printf("%-22s perplexity cpu %.4f vulkan %.4f (%.1e relative), bits cpu %.4f vulkan %.4f, %.1f s\n",
                what.c_str(), expected->perplexity, got->perplexity, relative, expected->bits_per_weight,
                got->bits_per_weight, got->seconds);
  }

};

TEST_F(VulkanFixtureA, PerplexityAtEveryUniformSliceCountIsTheCpus) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  auto cpu = executor_on("cpu:reference", *model_, kWindow);
  auto vulkan = executor_on("vulkan", *model_, kWindow);
  ASSERT_TRUE(cpu && vulkan);
  for (int k = 1; k <= kMaxPlanes; ++k) {
    SlicePlan plan;
    plan.slices = k;
    compare(plan, *cpu, *vulkan, std::to_string(k) + " slices");
  }
}

TEST_F(VulkanFixtureA, PerplexityAndBitsAtRoutedBudgetsAreTheCpus) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  auto cpu = executor_on("cpu:reference", *model_, kWindow);
  auto vulkan = executor_on("vulkan", *model_, kWindow);
  ASSERT_TRUE(cpu && vulkan);
  const SlicePlanner planner(model_->weights(), model_->max_slices());
  for (double bits : {2.5, 3.0, 4.0}) {
    auto choice = planner.choose(bits, Routing::kRouted);
    ASSERT_TRUE(choice.ok()) << choice.status().to_string();
    const SlicePlan plan = choice->plan();
    ASSERT_EQ(plan.mode, SlicePlan::Mode::kRouted) << "the fixture should be calibrated: " << choice->description();
    compare(plan, *cpu, *vulkan, "routed " + std::to_string(bits).substr(0, 3) + " bits");
  }
}

TEST_F(VulkanFixtureA, PerplexityWithTheGpusFeatureVariantsIsTheCpus) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  // The CPU driver's matmul splits (the GPU's 16 lanes per row are slow on a CPU driver), with the
  // variants the device has.
  vulkan::PipelineOptions options = vulkan::PipelineOptions::for_device(device->info());
  options.subgroup_reductions = device->info().features.subgroup_arithmetic;
  options.kv_f16 = device->info().features.storage_16bit;
  if (!options.subgroup_reductions && !options.kv_f16)
    GTEST_SKIP() << "SKIPPED: " << device->info().name << " has neither subgroup arithmetic nor 16-bit storage";
  auto loaded = vulkan::VulkanLoadedModel::load(*model_, device, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  auto cpu = executor_on("cpu:reference", *model_, kWindow);
  auto vulkan = executor_on(*loaded, kWindow);
  ASSERT_TRUE(cpu && vulkan);
  const std::string variants = std::string(options.subgroup_reductions ? "subgroups" : "") +
                               (options.kv_f16 ? " f16 KV" : "");
  auto choice = SlicePlanner(model_->weights(), model_->max_slices()).choose(3.0, Routing::kRouted);
  ASSERT_TRUE(choice.ok()) << choice.status().to_string();
  compare(choice->plan(), *cpu, *vulkan, "routed 3.0, " + variants);
}

TEST_F(VulkanFixtureA, GreedyDecodingAtFourSlicesIsTheCpusTokenForToken) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const std::vector<int32_t> prompt(tokens_.begin(), tokens_.begin() + 16);  // BOS and the text's start
  std::vector<int32_t> produced[2];
  const char* backends[2] = {"cpu:reference", "vulkan"};
  for (int b = 0; b < 2; ++b) {
    auto executor = executor_on(backends[b], *model_, 16 + 64);
    ASSERT_TRUE(executor);
    SlicePlan plan;
    plan.slices = 4;
    ASSERT_TRUE(executor->set_plan(plan).ok());
    int32_t next = -1;
    ForwardOutput output;
    output.kind = ForwardOutput::Kind::kArgmax;
    output.argmax = &next;
    ASSERT_TRUE(executor->forward(prompt, 0, output).ok());
    for (int32_t position = 16; produced[b].size() < 64; ++position) {
      produced[b].push_back(next);
      const int32_t token = next;
      ASSERT_TRUE(executor->forward(std::span(&token, 1), position, output).ok());
    }
  }
  EXPECT_EQ(produced[1], produced[0]);
  std::printf("greedy: %s\n", model_->tokenizer().decode(produced[0]).c_str());
}

}  // namespace
}  // namespace mobiq::test
