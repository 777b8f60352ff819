#include "runtime/core/output_path.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mobiq {
namespace {

namespace fs = std::filesystem;

class OutputPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mobiq-output-path-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "input.txt") << "text";
    std::ofstream(dir_ / "other.txt") << "text";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(OutputPath, RefusesTheInputItselfAndThroughALink) {
  fs::create_symlink(dir_ / "input.txt", dir_ / "link.txt");
  for (const char* output : {"input.txt", "link.txt"}) {
    const Status s = refuse_output_over_input(path(output), path("input.txt"), "the text");
    ASSERT_FALSE(s.ok()) << output;
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.message().find("refusing to write " + path(output) + ": it is the text"), std::string::npos)
        << s.to_string();
  }
  std::ifstream in(dir_ / "input.txt");
  std::string contents;
  in >> contents;
  EXPECT_EQ(contents, "text");
}

TEST_F(OutputPath, AcceptsANewFileAnotherFileAndAMissingInput) {
  EXPECT_TRUE(refuse_output_over_input(path("new.txt"), path("input.txt"), "the text").ok());
  EXPECT_TRUE(refuse_output_over_input(path("other.txt"), path("input.txt"), "the text").ok());
  EXPECT_TRUE(refuse_output_over_input(path("other.txt"), path("missing.txt"), "the text").ok());
  EXPECT_TRUE(refuse_output_over_input(path("other.txt"), "", "the text").ok());
}

TEST_F(OutputPath, ADirectoryProtectsItselfAndItsFiles) {
  Result<std::vector<std::string>> inputs = directory_and_entries(dir_.string());
  ASSERT_TRUE(inputs.ok()) << inputs.status().to_string();
  EXPECT_EQ(inputs->size(), 3u);  // the directory, input.txt, other.txt
  for (const char* output : {"input.txt", "other.txt"}) {
    const Status s = refuse_output_over_inputs(path(output), *inputs);
    ASSERT_FALSE(s.ok()) << output;
    EXPECT_NE(s.message().find("it is an input (" + path(output) + ")"), std::string::npos) << s.to_string();
  }
  EXPECT_FALSE(refuse_output_over_inputs(dir_.string(), *inputs).ok());
  EXPECT_TRUE(refuse_output_over_inputs(path("new.txt"), *inputs).ok());
}

TEST_F(OutputPath, AnUnlistableDirectoryIsAnError) {
  Result<std::vector<std::string>> inputs = directory_and_entries(path("missing"));
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().code(), ErrorCode::kIoError);
  EXPECT_NE(inputs.status().message().find("cannot list " + path("missing")), std::string::npos);
}

}  // namespace
}  // namespace mobiq
