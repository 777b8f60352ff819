// What the C API tests share: the repository's fixture-a converted to a temporary .mbq once per test
// program, and helpers that open it and make sessions through the C API.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "mobiq/mobiq.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq::test {

class CApiFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("mobiq-capi-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ConvertOptions options;
    options.input_dir = std::string(MOBIQ_SOURCE_DIR) + "/models/fixture-a";
    options.output_path = (dir_ / "fixture-a.mbq").string();
    const Status status = convert_hf_to_mbq(options);
    ASSERT_TRUE(status.ok()) << status.to_string();
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static std::string model_path() { return (dir_ / "fixture-a.mbq").string(); }
  static std::filesystem::path scratch_dir() { return dir_; }

  static mobiq_model* open_model() {
    mobiq_model* model = nullptr;
    EXPECT_EQ(mobiq_model_open(model_path().c_str(), nullptr, &model), MOBIQ_OK) << mobiq_last_error_message();
    return model;
  }
  static mobiq_session_options greedy_options() {
    mobiq_session_options options;
    mobiq_session_options_init(&options);
    options.temperature = 0.0f;
    options.context_size = 256;
    options.n_threads = 2;
    return options;
  }
  static mobiq_session* create_session(mobiq_model* model, const mobiq_session_options& options = greedy_options()) {
    mobiq_session* session = nullptr;
    EXPECT_EQ(mobiq_session_create(model, &options, &session), MOBIQ_OK) << mobiq_last_error_message();
    return session;
  }

 private:
  static inline std::filesystem::path dir_;
};

}  // namespace mobiq::test
