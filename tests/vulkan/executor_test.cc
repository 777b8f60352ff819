// The Vulkan executor beyond the conformance suite: a budget change records nothing, a residency
// change records once and caps the counts, greedy decoding matches the CPU token for token, and the
// registry lists Vulkan where a device exists but `auto` never picks a CPU driver.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "backends/registry.h"
#include "backends/vulkan/vulkan_executor.h"
#include "tests/support/cpu_executor.h"
#include "tests/support/synthetic_model.h"
#include "tests/vulkan/vulkan_test_device.h"

namespace mobiq::test {
namespace {

struct Loaded {
  std::shared_ptr<LoadedModel> model;
  std::unique_ptr<Executor> executor;
  vulkan::VulkanExecutor* vulkan = nullptr;
};

Loaded load_vulkan(const Model& model, int32_t context) {
  Loaded l;
  auto loaded = load_model("vulkan", model);
  EXPECT_TRUE(loaded.ok()) << loaded.status().to_string();
  if (!loaded.ok()) return l;
  l.model = *loaded;
  ExecutorOptions options;
  options.context_size = options.max_batch = context;
  auto executor = l.model->create_executor(options);
  EXPECT_TRUE(executor.ok()) << executor.status().to_string();
  if (!executor.ok()) return l;
  l.executor = std::move(executor).value();
  l.vulkan = dynamic_cast<vulkan::VulkanExecutor*>(l.executor.get());
  return l;
}

std::vector<float> decode_logits(Executor& e, const SlicePlan& plan, int32_t vocab) {
  std::vector<float> logits(vocab);
  EXPECT_TRUE(e.truncate(0).ok());
  const std::vector<int32_t> prompt = {3, 14, 15, 92, 65};
  EXPECT_TRUE(forward_logits(e, prompt, 0, plan, false, logits.data()).ok());
  for (int32_t t = 0; t < 4; ++t) {
    const int32_t token = (t * 31 + 7) % vocab;
    EXPECT_TRUE(forward_logits(e, std::span(&token, 1), 5 + t, plan, false, logits.data()).ok());
  }
  return logits;
}

TEST(VulkanExecutor, DeviceIsValidatedInTests) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  EXPECT_TRUE(device->validating()) << "tests run with MOBIQ_VULKAN_VALIDATION=1 (tests/vulkan/validation_environment.cc)";
  std::printf("Vulkan device: %s (%s)\n", device->info().name.c_str(), device->info().type_name());
}

TEST(VulkanExecutor, BudgetChangesRecordNothingResidencyChangesRecordOnce) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const SyntheticShape shape;
  const Model model = make_synthetic_model(shape, 61);
  Loaded v = load_vulkan(model, 32);
  ASSERT_TRUE(v.vulkan);
  EXPECT_EQ(v.vulkan->recordings(), 1);  // at creation

  SlicePlan routed;
  routed.mode = SlicePlan::Mode::kRouted;
  routed.thresholds.assign(shape.layers * kLinearGroups, 0.0f);
  SlicePlan per_group;
  per_group.mode = SlicePlan::Mode::kPerGroup;
  per_group.group_slices.assign(shape.layers * kLinearGroups, 3);
  SlicePlan random;
  random.mode = SlicePlan::Mode::kRandom;
  random.random_mean = 2.5;
  const std::vector<float> two = decode_logits(*v.executor, uniform_plan(2), shape.vocab);
  for (const SlicePlan& plan : {uniform_plan(4), routed, per_group, random, uniform_plan(1)}) (void)decode_logits(*v.executor, plan, shape.vocab);
  routed.threshold_offset = 0.7f;
  (void)decode_logits(*v.executor, routed, shape.vocab);
  EXPECT_EQ(v.vulkan->recordings(), 1) << "a plan or budget change re-recorded the command buffer";

  // Two planes resident: plane buffers 2 and 3 are freed, every count is capped at 2.
  const uint64_t all_planes = v.model->resident_plane_bytes();
  ASSERT_TRUE(v.model->set_resident_planes(2).ok());
  EXPECT_LT(v.model->resident_plane_bytes(), all_planes * 3 / 4);
  const std::vector<float> capped = decode_logits(*v.executor, uniform_plan(4), shape.vocab);
  EXPECT_EQ(v.vulkan->recordings(), 2);
  EXPECT_EQ(capped, two);
  ASSERT_TRUE(v.model->set_resident_planes(4).ok());
  EXPECT_EQ(v.model->resident_plane_bytes(), all_planes);
  (void)decode_logits(*v.executor, uniform_plan(4), shape.vocab);
  EXPECT_EQ(v.vulkan->recordings(), 3);
}

TEST(VulkanExecutor, GreedyDecodingMatchesTheCpuTokenForToken) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const SyntheticShape shape;
  const Model model = make_synthetic_model(shape, 71);
  Loaded v = load_vulkan(model, 80);
  // The f32 oracle: the int8 kernel sets round activations, the Vulkan backend does not.
  auto cpu = cpu_executor(model, 80, 80, /*record_slices=*/false, "cpu:reference");
  ASSERT_TRUE(v.executor && cpu);
  std::vector<int32_t> tokens = {5, 17, 42};
  std::vector<int32_t> produced[2];
  Executor* executors[2] = {cpu.get(), v.executor.get()};
  for (int e = 0; e < 2; ++e) {
    ASSERT_TRUE(executors[e]->set_plan(uniform_plan(4)).ok());
    std::vector<int32_t> context = tokens;
    int32_t next = -1;
    ForwardOutput output;
    output.kind = ForwardOutput::Kind::kArgmax;
    output.argmax = &next;
    ASSERT_TRUE(executors[e]->forward(context, 0, output).ok());
    for (int step = 0; step < 64; ++step) {
      produced[e].push_back(next);
      const int32_t position = static_cast<int32_t>(context.size());
      context.push_back(next);
      ASSERT_TRUE(executors[e]->forward(std::span(&context.back(), 1), position, output).ok());
    }
  }
  EXPECT_EQ(produced[0], produced[1]);
}

TEST(VulkanRegistry, ListedWhereADeviceExistsButAutoNeverPicksACpuDriver) {
  const std::vector<vulkan::DeviceInfo> devices = vulkan::list_devices();
  const int preferred = vulkan::preferred_device(devices);
  const std::vector<std::string> variants = backend_variants();
  EXPECT_EQ(std::count(variants.begin(), variants.end(), "vulkan"), preferred >= 0 ? 1 : 0);
  if (preferred < 0) {
    if (vulkan_required()) FAIL() << "MOBIQ_REQUIRE_VULKAN=1 but no Vulkan device";
    GTEST_SKIP() << "SKIPPED: no Vulkan device";
  }
  const Model model = make_synthetic_model(SyntheticShape{}, 81);
  auto chosen = make_backend("auto", model);
  ASSERT_TRUE(chosen.ok()) << chosen.status().to_string();
  EXPECT_STREQ((*chosen)->name(), devices[preferred].is_cpu() ? "cpu" : "vulkan");
  auto forced = make_backend("vulkan:" + std::to_string(preferred), model);
  ASSERT_TRUE(forced.ok()) << forced.status().to_string();
  EXPECT_STREQ((*forced)->name(), "vulkan");
  EXPECT_FALSE(make_backend("vulkan:99", model).ok());
}

TEST(VulkanRegistry, AnEightBitHeadIsRefusedAndAutoRunsItOnTheCpu) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const Model model = make_synthetic_model(SyntheticShape{}, 91);
  ModelWeights weights = model.weights();
  const int64_t rows = weights.output.rows, cols = weights.output.cols;
  auto q8 = std::make_shared<std::vector<uint8_t>>(dense_bytes(DType::kQ8, rows, cols), 0);
  weights.output = {DType::kQ8, q8->data(), rows, cols};
  auto tokenizer = Tokenizer::from_hf_json(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})", "");
  ASSERT_TRUE(tokenizer.ok());
  const Model q8_head(model.config(), weights, std::move(tokenizer).value(), q8, model.max_slices(), "");
  auto vulkan = make_backend("vulkan:" + std::to_string(device->info().index), q8_head);
  ASSERT_FALSE(vulkan.ok());
  EXPECT_NE(vulkan.status().message().find("q8"), std::string::npos) << vulkan.status().to_string();
  auto chosen = make_backend("auto", q8_head);
  ASSERT_TRUE(chosen.ok()) << chosen.status().to_string();
  EXPECT_STREQ((*chosen)->name(), "cpu");
}

}  // namespace
}  // namespace mobiq::test
