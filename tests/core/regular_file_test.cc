// Files the runtime reads whole are regular files: a FIFO (whose open used to block until a writer
// came, forever for `mobiq inspect FIFO`), a directory or a device is refused at once, by name.
#include "runtime/core/regular_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "runtime/core/mapped_file.h"
#include "runtime/core/text_file.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

class RegularFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mobiq-regular-file-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fifo_ = (dir_ / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
    std::ofstream(dir_ / "file.txt") << "text";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string fifo_;
};

TEST_F(RegularFileTest, AFifoIsRefusedWithoutBlocking) {
  const auto start = std::chrono::steady_clock::now();
  const Result<std::string> text = read_text_file(fifo_);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("not a regular file (a FIFO)"), std::string::npos) << text.status().message();
  EXPECT_NE(text.status().message().find(fifo_), std::string::npos);
  const Result<MappedFile> mapped = MappedFile::open(fifo_);
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(RegularFileTest, DirectoriesDevicesAndMissingFiles) {
  EXPECT_EQ(read_text_file(dir_.string()).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(read_text_file(dir_.string()).status().message().find("directory"), std::string::npos);
  EXPECT_EQ(read_text_file("/dev/null").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MappedFile::open("/dev/zero").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_text_file((dir_ / "missing").string()).status().code(), ErrorCode::kNotFound);
  const Result<std::string> text = read_text_file((dir_ / "file.txt").string());
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  EXPECT_EQ(*text, "text");
}

}  // namespace
}  // namespace mobiq
