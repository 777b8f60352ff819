// SIGINT/SIGTERM remove the registered temporary files and the process still dies of the signal;
// unregistered files (renamed into place) stay. Each case runs in a forked child.
#include "runtime/core/interrupt_cleanup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/core/output_path.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

class InterruptCleanupTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mobiq-interrupt-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(InterruptCleanupTest, RegisteredFilesGoAndTheProcessDiesOfTheSignal) {
  const int sig = GetParam();
  const fs::path temp = dir_ / "model.mbq.partial-abc123", kept = dir_ / "kept.partial-def456";
  std::ofstream(temp) << "half a model";
  std::ofstream(kept) << "renamed into place already";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    install_interrupt_cleanup();
    const int slot = register_temp_file(temp.string());
    const int other = register_temp_file(kept.string());
    unregister_temp_file(other);
    if (slot < 0) ::_exit(3);
    ::raise(sig);
    ::_exit(4);  // not reached: the signal ends the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  EXPECT_EQ(WTERMSIG(status), sig);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(fs::exists(kept));
}

INSTANTIATE_TEST_SUITE_P(IntAndTerm, InterruptCleanupTest, ::testing::Values(SIGINT, SIGTERM));

TEST(OutputFile, WritabilityIsCheckedBeforeTheWork) {
  const fs::path dir = fs::temp_directory_path() / ("mobiq-output-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  EXPECT_TRUE(check_output_writable((dir / "new.svg").string()).ok());
  const Status missing = check_output_writable((dir / "missing" / "x.svg").string());
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.message().find((dir / "missing").string()), std::string::npos) << missing.message();
  EXPECT_EQ(check_output_writable(dir.string()).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(check_output_writable("/dev/null").code(), ErrorCode::kInvalidArgument);

  // write_file_replacing: the whole new content, no temporary file left.
  std::ofstream(dir / "plot.svg") << "old";
  ASSERT_TRUE(write_file_replacing((dir / "plot.svg").string(), "new plot").ok());
  std::ifstream in(dir / "plot.svg");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "new plot");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  EXPECT_FALSE(write_file_replacing((dir / "missing" / "x.svg").string(), "x").ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mobiq
