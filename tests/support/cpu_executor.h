// A CPU executor for a model, failing the calling test (not crashing) when it cannot be made, and
// one-call forward passes for tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>

#include "backends/registry.h"

namespace mobiq::test {

// `backend`: "cpu" runs this CPU's best kernel set, "cpu:reference" the f32 oracle.
inline std::unique_ptr<Executor> cpu_executor(const Model& model, int32_t context, int32_t batch,
                                              bool record_slices = false, const std::string& backend = "cpu") {
  auto loaded = load_model(backend, model);
  EXPECT_TRUE(loaded.ok()) << loaded.status().to_string();
  if (!loaded.ok()) return nullptr;
  ExecutorOptions options;
  options.context_size = context;
  options.max_batch = batch;
  options.record_slices = record_slices;
  auto executor = (*loaded)->create_executor(options);
  EXPECT_TRUE(executor.ok()) << executor.status().to_string();
  return executor.ok() ? std::move(executor).value() : nullptr;
}

// set_plan, then forward at `start`: logits of every token ([n][vocab]) or of the last ([vocab]).
inline Status forward_logits(Executor& executor, std::span<const int32_t> tokens, int32_t start, const SlicePlan& plan,
                             bool all_logits, float* logits) {
  MOBIQ_RETURN_IF_ERROR(executor.set_plan(plan));
  ForwardOutput output;
  output.kind = all_logits ? ForwardOutput::Kind::kAllLogits : ForwardOutput::Kind::kLastLogits;
  output.logits = logits;
  return executor.forward(tokens, start, output);
}

// A uniform plan of k slices.
inline SlicePlan uniform_plan(int k) {
  SlicePlan plan;
  plan.slices = plan.max_slices = k;
  return plan;
}

}  // namespace mobiq::test
