// Linked into every test executable that runs the Vulkan backend: turns the Khronos validation layer on
// (MOBIQ_VULKAN_VALIDATION=1, unless the caller set it) before any device opens, and fails the test
// process when the layer sent any message (ctest runs each test in its own process).
#include <gtest/gtest.h>

#include <cstdlib>

#include "backends/vulkan/vulkan_device.h"

namespace mobiq::vulkan {
namespace {

class ValidationEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { setenv("MOBIQ_VULKAN_VALIDATION", "1", /*overwrite=*/0); }
  void TearDown() override {
    EXPECT_EQ(validation_message_count(), 0) << "Vulkan validation messages; the last: " << last_validation_message();
  }
};

const ::testing::Environment* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ValidationEnvironment);

}  // namespace
}  // namespace mobiq::vulkan
