// The Vulkan executor beyond the conformance suite: a budget change records nothing, a residency
// change records once and caps the counts, greedy decoding matches the CPU token for token, and the
// registry lists Vulkan where a device exists but `auto` never picks a CPU driver.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "backends/registry.h"
#include "backends/vulkan/vulkan_executor.h"
#include "backends/vulkan/vulkan_loaded_model.h"
#include "tests/support/cpu_executor.h"
#include "tests/support/relative_error.h"
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

// Every pipeline variant the backend chooses from (a device's features pick one at load) runs the
// whole decoder like the CPU oracle, on whatever device is present: a 13-token prefill with every
// token's logits, then three decode steps. Routed, the counts its routers write agree with the
// CPU's (at least 90%, as in the conformance suite: a score on its threshold may go either way);
// replaying the CPU's counts, the logits are the CPU's within 1e-4, or 5e-3 with keys and values
// rounded to f16 (1.1e-3 on lavapipe; rounding toward zero may double it elsewhere).
struct Variant {
  std::string name;
  vulkan::PipelineOptions options;
};

// The CPU driver's and the GPU's matmul splits, each with the reduction and KV-cache variants the
// device has (a variant it lacks is reported as skipped).
std::vector<Variant> pipeline_variants(const vulkan::DeviceInfo& device) {
  std::vector<Variant> variants;
  for (VkPhysicalDeviceType type : {VK_PHYSICAL_DEVICE_TYPE_CPU, VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU}) {
    vulkan::DeviceInfo as = device;
    as.type = type;
    for (bool subgroups : {false, true})
      for (bool kv_f16 : {false, true}) {
        Variant v{std::string(as.is_cpu() ? "CPU driver's splits" : "GPU's splits") +
                      (subgroups ? ", subgroup reductions" : ", shared-memory reductions") +
                      (kv_f16 ? ", f16 KV cache" : ", f32 KV cache"),
                  vulkan::PipelineOptions::for_device(as)};
        v.options.subgroup_reductions = subgroups;
        v.options.kv_f16 = kv_f16;
        if ((subgroups && !device.features.subgroup_arithmetic) || (kv_f16 && !device.features.storage_16bit))
          std::printf("SKIPPED %s: %s lacks the feature\n", v.name.c_str(), device.name.c_str());
        else
          variants.push_back(v);
      }
  }
  return variants;
}

TEST(VulkanExecutor, EveryPipelineVariantMatchesTheCpu) {
  MOBIQ_VULKAN_DEVICE_OR_SKIP(device);
  const SyntheticShape shape;
  const Model model = make_synthetic_model(shape, 101);
  const std::vector<int32_t> prompt = {5, 17, 42, 8, 91, 33, 0, 64, 12, 77, 3, 50, 29}, steps = {11, 23, 6};
  // Logits of the prompt's every token, then of each step, under `plan`; the counts of the prompt.
  const auto run = [&](Executor& e, const SlicePlan& plan, std::vector<uint8_t>* counts) {
    std::vector<float> logits((prompt.size() + steps.size()) * shape.vocab);
    EXPECT_TRUE(forward_logits(e, prompt, 0, plan, true, logits.data()).ok());
    if (counts != nullptr) {
      EXPECT_TRUE(e.read_slice_counts(*counts).ok());
    }
    for (size_t t = 0; t < steps.size(); ++t) {
      SlicePlan step = plan;
      if (plan.mode == SlicePlan::Mode::kExplicit)
        step.explicit_slices.assign(plan.explicit_slices.end() - shape.layers * kLinearGroups, plan.explicit_slices.end());
      EXPECT_TRUE(forward_logits(e, std::span(&steps[t], 1), int32_t(prompt.size() + t), step, false,
                                 logits.data() + (prompt.size() + t) * shape.vocab).ok());
    }
    return logits;
  };
  auto cpu = cpu_executor(model, 32, 32, /*record_slices=*/true, "cpu:reference");
  ASSERT_TRUE(cpu);
  SlicePlan routed;
  routed.mode = SlicePlan::Mode::kRouted;
  routed.thresholds.assign(shape.layers * kLinearGroups, 0.0f);
  std::vector<uint8_t> counts(prompt.size() * shape.layers * kLinearGroups);
  (void)run(*cpu, routed, &counts);
  SlicePlan replay;  // the prompt's counts; each step reuses the last token's
  replay.mode = SlicePlan::Mode::kExplicit;
  replay.explicit_slices = counts;
  ASSERT_TRUE(cpu->truncate(0).ok());
  const std::vector<float> expected = run(*cpu, replay, nullptr);
  for (const Variant& variant : pipeline_variants(device->info())) {
    auto loaded = vulkan::VulkanLoadedModel::load(model, device, variant.options);
    ASSERT_TRUE(loaded.ok()) << variant.name << ": " << loaded.status().to_string();
    ExecutorOptions options;
    options.context_size = options.max_batch = 32;
    options.record_slices = true;
    auto executor = (*loaded)->create_executor(options);
    ASSERT_TRUE(executor.ok()) << variant.name << ": " << executor.status().to_string();
    std::vector<uint8_t> own(counts.size());
    (void)run(**executor, routed, &own);
    size_t same = 0;
    for (size_t i = 0; i < counts.size(); ++i) same += own[i] == counts[i];
    EXPECT_GE(static_cast<double>(same) / counts.size(), 0.9) << variant.name;
    ASSERT_TRUE((*executor)->truncate(0).ok());
    const std::vector<float> logits = run(**executor, replay, nullptr);
    const double error = worst_row_relative_error(logits.data(), expected.data(), expected.size(), shape.vocab);
    EXPECT_LE(error, variant.options.kv_f16 ? 5e-3 : 1e-4) << variant.name;
    std::printf("%s: logits within %.1e of the CPU's\n", variant.name.c_str(), error);
  }
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
