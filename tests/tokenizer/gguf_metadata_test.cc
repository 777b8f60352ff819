// The GGUF metadata reader on hand-made files: every value type, and bad input of every kind (truncated
// anywhere, bad magic, absurd lengths and counts, unknown types, deep nesting) as errors, never crashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <unistd.h>

#include "runtime/tokenizer/gguf_metadata.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/support/shared_data.h"
#include "tests/tokenizer/gguf_builder.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

using gguf::ValueType;
using test::GgufBuilder;

// A file holding one key of every type, arrays of every element type, and an array of arrays.
std::string every_type_file() {
  GgufBuilder b;
  std::string raw;
  b.key("u8", ValueType::kUint8).raw(std::string(1, '\xFF'));
  b.key("i8", ValueType::kInt8).raw(std::string(1, '\xFE'));
  raw.clear(); GgufBuilder::put<uint16_t>(raw, 65535); b.key("u16", ValueType::kUint16).raw(raw);
  raw.clear(); GgufBuilder::put<int16_t>(raw, -300); b.key("i16", ValueType::kInt16).raw(raw);
  b.u32("u32", 4000000000u);
  raw.clear(); GgufBuilder::put<int32_t>(raw, -5); b.key("i32", ValueType::kInt32).raw(raw);
  raw.clear(); GgufBuilder::put<float>(raw, 1.5f); b.key("f32", ValueType::kFloat32).raw(raw);
  b.boolean("bool", true);
  b.string("str", "h\xC3\xA9llo");
  raw.clear(); GgufBuilder::put<uint64_t>(raw, UINT64_MAX); b.key("u64", ValueType::kUint64).raw(raw);
  raw.clear(); GgufBuilder::put<int64_t>(raw, -(int64_t{1} << 40)); b.key("i64", ValueType::kInt64).raw(raw);
  raw.clear(); GgufBuilder::put<double>(raw, 0.25); b.key("f64", ValueType::kFloat64).raw(raw);
  b.strings("strs", {"a", "", "ccc"});
  b.f32s("f32s", {0.5f, -2.0f});
  b.i32s("i32s", {1, -2, 3});
  // [[1, 2], [3]] as an array of uint8 arrays.
  raw.clear();
  GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kArray));
  GgufBuilder::put<uint64_t>(raw, 2);
  for (const std::vector<uint8_t>& inner : {std::vector<uint8_t>{1, 2}, std::vector<uint8_t>{3}}) {
    GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kArray));
    GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kUint8));
    GgufBuilder::put<uint64_t>(raw, inner.size());
    for (uint8_t x : inner) GgufBuilder::put(raw, x);
  }
  b.key("nested", ValueType::kArray).raw(raw);
  return b.build();
}

TEST(GgufMetadata, ReadsEveryValueType) {
  const std::string file = every_type_file();
  auto meta = gguf::parse_metadata(file);
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  EXPECT_EQ(meta->version, 3u);
  EXPECT_EQ(meta->tensor_count, 0u);
  EXPECT_EQ(meta->entries.size(), 16u);
  EXPECT_EQ(meta->kv_end_offset, file.size());
  EXPECT_EQ(*meta->find("u8")->as_int(), 255);
  EXPECT_EQ(*meta->find("i8")->as_int(), -2);
  EXPECT_EQ(*meta->find("u16")->as_int(), 65535);
  EXPECT_EQ(*meta->find("i16")->as_int(), -300);
  EXPECT_EQ(*meta->find("u32")->as_int(), 4000000000LL);
  EXPECT_EQ(*meta->find("i32")->as_int(), -5);
  EXPECT_EQ(*meta->find("f32")->as_float(), 1.5);
  EXPECT_EQ(*meta->find("bool")->as_bool(), true);
  EXPECT_EQ(*meta->find("str")->as_string(), "h\xC3\xA9llo");
  EXPECT_FALSE(meta->find("u64")->as_int().has_value());  // above INT64_MAX
  EXPECT_EQ(meta->find("u64")->uinteger, UINT64_MAX);
  EXPECT_EQ(*meta->find("i64")->as_int(), -(int64_t{1} << 40));
  EXPECT_EQ(*meta->find("f64")->as_float(), 0.25);
  EXPECT_EQ(meta->find("strs")->strings, (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(meta->find("f32s")->reals, (std::vector<double>{0.5, -2.0}));
  EXPECT_EQ(meta->find("i32s")->integers, (std::vector<int64_t>{1, -2, 3}));
  const gguf::Value* nested = meta->find("nested");
  ASSERT_EQ(nested->array_size(), 2u);
  EXPECT_EQ(nested->arrays[0].integers, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(nested->arrays[1].integers, (std::vector<int64_t>{3}));
  EXPECT_EQ(meta->find("missing"), nullptr);
  EXPECT_EQ(meta->find("str")->as_int(), std::nullopt);
}

TEST(GgufMetadata, EveryTruncationIsAnError) {
  const std::string file = every_type_file();
  for (size_t n = 0; n < file.size(); ++n) {
    auto meta = gguf::parse_metadata(std::string_view(file).substr(0, n));
    ASSERT_FALSE(meta.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(meta.status().code(), ErrorCode::kCorruptFile) << n << ": " << meta.status().to_string();
  }
}

// Random byte changes: each result is a kCorruptFile / kUnsupported error with a message, or metadata
// that stays inside the bytes it came from. A change to the magic is always caught. (This test used to
// pass if a single corruption in 3000 was reported, whatever the others did.)
void expect_error_or_bounded(const std::string& bad, const std::string& what) {
  auto meta = gguf::parse_metadata(bad);
  if (!meta.ok()) {
    const ErrorCode code = meta.status().code();
    EXPECT_TRUE(code == ErrorCode::kCorruptFile || code == ErrorCode::kUnsupported) << what << ": " << meta.status().to_string();
    EXPECT_FALSE(meta.status().message().empty()) << what;
    return;
  }
  EXPECT_TRUE(meta->version == 2 || meta->version == 3) << what;
  EXPECT_LE(meta->kv_end_offset, bad.size()) << what;
  size_t key_bytes = 0;
  for (const auto& [key, value] : meta->entries) key_bytes += key.size() + 8;  // length prefix + key
  EXPECT_LE(key_bytes, bad.size()) << what;
}

TEST(GgufMetadata, RandomCorruptionIsAnErrorOrStaysInBounds) {
  const std::string file = every_type_file();
  std::mt19937 rng(1234);
  int errors = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = file;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    expect_error_or_bounded(bad, "trial " + std::to_string(i));
    errors += !gguf::parse_metadata(bad).ok();
  }
  // Most of this file is lengths, counts and type tags: most random changes break its structure.
  EXPECT_GT(errors, 1000);
  for (size_t at = 0; at < 4; ++at) {
    std::string bad = file;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    auto meta = gguf::parse_metadata(bad);
    ASSERT_FALSE(meta.ok()) << "magic byte " << at;
    EXPECT_EQ(meta.status().code(), ErrorCode::kCorruptFile) << meta.status().to_string();
  }
}

TEST(GgufMetadata, RejectsBadHeaders) {
  std::string file = GgufBuilder().string("k", "v").build();
  std::string bad_magic = file;
  bad_magic[0] = 'X';
  EXPECT_EQ(gguf::parse_metadata(bad_magic).status().code(), ErrorCode::kCorruptFile);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().build(1)).status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().build(4)).status().code(), ErrorCode::kUnsupported);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().build(0x03000000)).status().code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(gguf::parse_metadata(GgufBuilder().build(2)).ok());
  // Absurd tensor and key/value counts.
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().build(3, uint64_t{1} << 60)).status().code(), ErrorCode::kCorruptFile);
  std::string many_kv = file;
  const uint64_t absurd = uint64_t{1} << 62;
  std::memcpy(many_kv.data() + 16, &absurd, 8);
  EXPECT_EQ(gguf::parse_metadata(many_kv).status().code(), ErrorCode::kCorruptFile);
}

TEST(GgufMetadata, RejectsAbsurdLengthsWithoutAllocating) {
  std::string raw;
  // An array of 2^61 strings in a file of a few dozen bytes.
  GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kString));
  GgufBuilder::put<uint64_t>(raw, uint64_t{1} << 61);
  auto meta = gguf::parse_metadata(GgufBuilder().key("a", ValueType::kArray).raw(raw).build());
  EXPECT_EQ(meta.status().code(), ErrorCode::kCorruptFile);
  EXPECT_NE(meta.status().message().find("array length"), std::string::npos) << meta.status().to_string();
  // An array of uint64 whose byte size overflows 64 bits.
  raw.clear();
  GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kUint64));
  GgufBuilder::put<uint64_t>(raw, UINT64_MAX / 4);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().key("a", ValueType::kArray).raw(raw).build()).status().code(),
            ErrorCode::kCorruptFile);
  // A string (value and key) longer than the file.
  raw.clear();
  GgufBuilder::put<uint64_t>(raw, UINT64_MAX);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().key("s", ValueType::kString).raw(raw).build()).status().code(),
            ErrorCode::kCorruptFile);
  std::string file = GgufBuilder().string("key", "value").build();
  const uint64_t long_key = uint64_t{1} << 40;
  std::memcpy(file.data() + 24, &long_key, 8);
  EXPECT_EQ(gguf::parse_metadata(file).status().code(), ErrorCode::kCorruptFile);
}

TEST(GgufMetadata, RejectsUnknownTypesDeepNestingAndDuplicates) {
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().key("x", static_cast<ValueType>(13)).raw("abcdefgh").build())
                .status().code(),
            ErrorCode::kCorruptFile);
  std::string raw;
  GgufBuilder::put<uint32_t>(raw, 99);
  GgufBuilder::put<uint64_t>(raw, 0);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().key("x", ValueType::kArray).raw(raw).build()).status().code(),
            ErrorCode::kCorruptFile);
  // Arrays nested 20 deep.
  raw.clear();
  for (int depth = 0; depth < 20; ++depth) {
    GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kArray));
    GgufBuilder::put<uint64_t>(raw, 1);
    GgufBuilder::put<uint32_t>(raw, static_cast<uint32_t>(ValueType::kArray));  // the element's type
  }
  raw.append(64, '\0');
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().key("deep", ValueType::kArray).raw(raw).build()).status().code(),
            ErrorCode::kCorruptFile);
  EXPECT_EQ(gguf::parse_metadata(GgufBuilder().string("k", "a").string("k", "b").build()).status().code(),
            ErrorCode::kCorruptFile);
}

TEST(GgufMetadata, FileErrors) {
  EXPECT_EQ(gguf::read_metadata("/nonexistent/dir/x.gguf").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Tokenizer::from_gguf("/nonexistent/dir/x.gguf").status().code(), ErrorCode::kNotFound);
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / ("mobiq_gguf_test_" + std::to_string(::getpid()) + ".gguf")).string();
  const std::string file = every_type_file();
  test::write_file(path, file);
  auto meta = gguf::read_metadata(path);
  ASSERT_TRUE(meta.ok()) << meta.status().to_string();
  EXPECT_EQ(meta->entries.size(), 16u);
  test::write_file(path, file.substr(0, file.size() / 2));
  EXPECT_EQ(gguf::read_metadata(path).status().code(), ErrorCode::kCorruptFile);
  test::write_file(path, "");
  EXPECT_EQ(gguf::read_metadata(path).status().code(), ErrorCode::kCorruptFile);
  std::filesystem::remove(path);
}

// The real vocabulary file, truncated at many points and corrupted at random: always an error or a
// tokenizer, never a crash.
TEST(GgufMetadata, TruncatedAndCorruptedVocabularyFile) {
  MOBIQ_REQUIRE_SHARED_DATA("tokenizer-vectors/ggml-vocab-llama-spm.gguf");
  const std::string file = test::read_file(test::shared_data("tokenizer-vectors/ggml-vocab-llama-spm.gguf").string());
  ASSERT_GT(file.size(), 100000u);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("mobiq_gguf_trunc_" + std::to_string(::getpid()) + ".gguf")).string();
  for (size_t n : {size_t{0}, size_t{3}, size_t{4}, size_t{8}, size_t{23}, size_t{24}, size_t{100}, size_t{1000},
                   file.size() / 3, file.size() / 2, file.size() - 100, file.size() - 1}) {
    test::write_file(path, file.substr(0, n));
    auto tokenizer = Tokenizer::from_gguf(path);
    ASSERT_FALSE(tokenizer.ok()) << "truncated to " << n;
    EXPECT_EQ(tokenizer.status().code(), ErrorCode::kCorruptFile) << n << ": " << tokenizer.status().to_string();
  }
  std::filesystem::remove(path);
  std::mt19937 rng(99);
  for (int i = 0; i < 40; ++i) {
    std::string bad = file;
    // Corrupt the header and early key/value section, where lengths and types live.
    for (int f = 0; f < 3; ++f) bad[rng() % 2048] = static_cast<char>(rng());
    const std::string what = "trial " + std::to_string(i);
    expect_error_or_bounded(bad, what);
    auto meta = gguf::parse_metadata(bad);
    if (!meta.ok()) continue;
    // Metadata that parsed still has to make a tokenizer or a clear error; a tokenizer it makes works.
    auto tokenizer = Tokenizer::from_gguf_metadata(*meta);
    if (!tokenizer.ok()) {
      EXPECT_FALSE(tokenizer.status().message().empty()) << what;
      EXPECT_NE(tokenizer.status().code(), ErrorCode::kInternal) << what << ": " << tokenizer.status().to_string();
      continue;
    }
    EXPECT_GT(tokenizer->vocab_size(), 0) << what;
    auto ids = tokenizer->encode("Hello world");
    if (ids.ok())
      for (int32_t id : *ids) EXPECT_LT(id, tokenizer->vocab_size()) << what;
  }
}

}  // namespace
}  // namespace mobiq
