#include "runtime/model/safetensors.h"

#include <gtest/gtest.h>

#include "tests/model/test_checkpoint_writer.h"

namespace mobiq {
namespace {

using test::make_tensor;
using test::safetensors_bytes;
using test::TempDir;
using test::write_file;

// Writes `bytes` as a file in `dir` and opens it.
Result<SafetensorsFile> open_bytes(const TempDir& dir, const std::string& bytes) {
  const auto path = dir.path() / "t.safetensors";
  write_file(path, bytes);
  return SafetensorsFile::open(path.string());
}

void expect_error(const Result<SafetensorsFile>& file, ErrorCode code, const std::string& needle) {
  ASSERT_FALSE(file.ok()) << "expected an error mentioning '" << needle << "'";
  EXPECT_EQ(file.status().code(), code) << file.status().to_string();
  EXPECT_NE(file.status().message().find(needle), std::string::npos) << file.status().to_string();
}

TEST(SafetensorsTest, ReadsFloatTensorsOfEveryDtype) {
  TempDir dir("st_read");
  const std::vector<test::TestTensor> written = {make_tensor("a", "F32", {3, 5}, 1),
                                                 make_tensor("b", "F16", {7}, 2),
                                                 make_tensor("c", "BF16", {4, 2}, 3)};
  auto file = open_bytes(dir, safetensors_bytes(written));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  ASSERT_EQ(file->tensors().size(), written.size());  // __metadata__ is not a tensor
  EXPECT_EQ(file->find("__metadata__"), nullptr);

  for (size_t i = 0; i < written.size(); ++i) {
    const SafetensorsTensor* t = file->find(written[i].name);
    ASSERT_NE(t, nullptr) << written[i].name;
    EXPECT_EQ(t->dtype_name, written[i].dtype);
    EXPECT_EQ(t->shape, written[i].shape);
    EXPECT_EQ(t->size_bytes, written[i].bytes.size());
    auto view = dense_view(*t);
    ASSERT_TRUE(view.ok()) << view.status().to_string();
    const int64_t count = view->rows * view->cols;
    EXPECT_EQ(count * dtype_size(view->dtype), static_cast<int64_t>(written[i].bytes.size()));
    for (int64_t k = 0; k < count; ++k)
      ASSERT_EQ(test::read_element(*view, k), test::test_value(static_cast<int>(i) + 1, k)) << written[i].name;
  }
  auto b = dense_view(*file->find("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->dtype, DType::kF16);
  EXPECT_EQ(b->rows, 1);  // 1-D becomes a single row
  EXPECT_EQ(b->cols, 7);
}

TEST(SafetensorsTest, NonFloatDtypesOpenButAreNotWeights) {
  TempDir dir("st_int");
  test::TestTensor ids{"tokens", "I32", {3}, std::vector<uint8_t>(12, 0)};
  auto file = open_bytes(dir, safetensors_bytes({ids}));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  const SafetensorsTensor* t = file->find("tokens");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->element_size, 4);
  auto view = dense_view(*t);
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(view.status().message().find("tokens"), std::string::npos);
  EXPECT_NE(view.status().message().find("I32"), std::string::npos);
}

TEST(SafetensorsTest, ThreeDimensionalViewIsUnsupported) {
  TempDir dir("st_3d");
  auto file = open_bytes(dir, safetensors_bytes({make_tensor("cube", "F32", {2, 2, 2}, 0)}));
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto view = dense_view(*file->find("cube"));
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.status().code(), ErrorCode::kUnsupported);
  EXPECT_NE(view.status().message().find("cube"), std::string::npos);
}

TEST(SafetensorsTest, UnknownDtypeNamesTensorAndDtype) {
  TempDir dir("st_dtype");
  test::TestTensor odd{"w", "Q4_K", {4}, std::vector<uint8_t>(4, 0)};
  expect_error(open_bytes(dir, safetensors_bytes({odd})), ErrorCode::kUnsupported, "Q4_K");
  expect_error(open_bytes(dir, safetensors_bytes({odd})), ErrorCode::kUnsupported, "'w'");
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  TempDir dir("st_missing");
  auto file = SafetensorsFile::open((dir.path() / "absent.safetensors").string());
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), ErrorCode::kNotFound);
}

TEST(SafetensorsTest, FileShorterThanHeaderLength) {
  TempDir dir("st_short");
  expect_error(open_bytes(dir, ""), ErrorCode::kCorruptFile, "8-byte header length");
  expect_error(open_bytes(dir, std::string("\x10\x00\x00", 3)), ErrorCode::kCorruptFile, "8-byte header length");
}

TEST(SafetensorsTest, HeaderLengthLargerThanFile) {
  TempDir dir("st_hdrlen");
  const std::string full = safetensors_bytes({make_tensor("a", "F32", {2}, 0)});
  const std::string header = test::safetensors_header({make_tensor("a", "F32", {2}, 0)});
  // Claim a header longer than everything after the length field.
  const std::string bytes = test::u64_le(full.size()) + full.substr(8);
  expect_error(open_bytes(dir, bytes), ErrorCode::kCorruptFile, "header length");
  // A truncated header: the length is right but the file stops inside the JSON.
  expect_error(open_bytes(dir, full.substr(0, 8 + header.size() / 2)), ErrorCode::kCorruptFile, "header length");
}

TEST(SafetensorsTest, HeaderThatIsNotJsonObject) {
  TempDir dir("st_json");
  const std::string broken = "{\"a\": {\"dtype\": ";
  expect_error(open_bytes(dir, test::u64_le(broken.size()) + broken), ErrorCode::kCorruptFile, "JSON");
  const std::string array = "[1, 2, 3]";
  expect_error(open_bytes(dir, test::u64_le(array.size()) + array), ErrorCode::kCorruptFile, "JSON object");
}

TEST(SafetensorsTest, OffsetsPastEndOfFile) {
  TempDir dir("st_past");
  const std::string full = safetensors_bytes({make_tensor("big", "F32", {4, 4}, 0)});
  // Drop the last 4 data bytes: the tensor's end offset now lies past the end of the file.
  expect_error(open_bytes(dir, full.substr(0, full.size() - 4)), ErrorCode::kCorruptFile, "past the end");
  expect_error(open_bytes(dir, full.substr(0, full.size() - 4)), ErrorCode::kCorruptFile, "'big'");
}

TEST(SafetensorsTest, OffsetsThatDisagreeWithShape) {
  TempDir dir("st_size");
  nlohmann::json header = {{"w", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 20}}}}};
  const std::string text = header.dump();
  const std::string bytes = test::u64_le(text.size()) + text + std::string(24, '\0');
  expect_error(open_bytes(dir, bytes), ErrorCode::kCorruptFile, "needs 24");

  header = {{"w", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {8, 4}}}}};
  const std::string reversed = header.dump();
  expect_error(open_bytes(dir, test::u64_le(reversed.size()) + reversed + std::string(8, '\0')),
               ErrorCode::kCorruptFile, "end before they begin");
}

TEST(SafetensorsTest, MalformedEntries) {
  TempDir dir("st_entries");
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {{{"w", {{"shape", {1}}, {"data_offsets", {0, 4}}}}}, "dtype"},
      {{{"w", {{"dtype", "F32"}, {"data_offsets", {0, 4}}}}}, "shape"},
      {{{"w", {{"dtype", "F32"}, {"shape", {-1}}, {"data_offsets", {0, 4}}}}}, "shape"},
      {{{"w", {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {0}}}}}, "data_offsets"},
      {{{"w", {{"dtype", "F32"}, {"shape", {1ull << 62, 1ull << 62}}, {"data_offsets", {0, 4}}}}}, "overflows"},
  };
  for (const auto& [header, needle] : cases) {
    const std::string text = header.dump();
    expect_error(open_bytes(dir, test::u64_le(text.size()) + text + std::string(4, '\0')), ErrorCode::kCorruptFile,
                 needle);
  }
}

}  // namespace
}  // namespace mobiq
