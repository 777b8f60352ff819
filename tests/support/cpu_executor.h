// A CPU executor for a model, failing the calling test (not crashing) when it cannot be made.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "backends/registry.h"

namespace mobiq::test {

inline std::unique_ptr<Executor> cpu_executor(const Model& model, int32_t context, int32_t batch) {
  auto backend = make_backend("cpu", model);
  EXPECT_TRUE(backend.ok()) << backend.status().to_string();
  if (!backend.ok()) return nullptr;
  ExecutorOptions options;
  options.context_size = context;
  options.max_batch = batch;
  auto executor = (*backend)->create_executor(model, options);
  EXPECT_TRUE(executor.ok()) << executor.status().to_string();
  return executor.ok() ? std::move(executor).value() : nullptr;
}

}  // namespace mobiq::test
