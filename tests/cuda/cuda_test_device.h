// Whether a CUDA test can run: with no device it skips with a visible message, unless
// MOBIQ_REQUIRE_CUDA=1 (scripts/device-check.sh), where a missing device fails it.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "backends/cuda/cuda_device.h"

#define MOBIQ_REQUIRE_CUDA_DEVICE()                                                        \
  do {                                                                                     \
    if (::mobiq::cuda::list_devices().empty()) {                                           \
      const char* require = std::getenv("MOBIQ_REQUIRE_CUDA");                             \
      if (require != nullptr && std::strcmp(require, "1") == 0) FAIL() << "no CUDA device"; \
      GTEST_SKIP() << "no CUDA device";                                                    \
    }                                                                                      \
  } while (0)
