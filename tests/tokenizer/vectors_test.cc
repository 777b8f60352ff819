// llama.cpp's tokenizer test vectors (shared/data/tokenizer-vectors): for each ggml-vocab-*.gguf, the .inp
// file holds the cases, each ended by a line "__ggml_vocab_test__", and the .out file one line of
// space-separated expected ids per case. llama.cpp's test-tokenizer-0 encodes them with
// add_special = false and parse_special = false: no BOS (the SentencePiece dummy prefix still applies).
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <sstream>

#include "runtime/tokenizer/tokenizer.h"
#include "tests/support/shared_data.h"
#include "tests/tokenizer/test_util.h"

namespace mobiq {
namespace {

struct VectorCase {
  std::string input;
  std::vector<int32_t> expected;
};

std::vector<VectorCase> read_vectors(const std::string& gguf_path) {
  const std::string inp = test::read_file(gguf_path + ".inp");
  const std::string out = test::read_file(gguf_path + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VectorCase> cases;
  for (size_t pos = 0;;) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) break;
    cases.push_back({inp.substr(pos, next - pos), {}});
    pos = next + sep.size();
  }
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    if (i >= cases.size()) {
      cases.push_back({"<missing input>", {}});
    }
    std::istringstream ids(line);
    int32_t id;
    while (ids >> id) cases[i].expected.push_back(id);
    ++i;
  }
  EXPECT_EQ(i, cases.size()) << "the .inp and .out files of " << gguf_path << " disagree on the case count";
  return cases;
}

class LlamaCppVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaCppVectors, EveryCaseMatches) {
  MOBIQ_REQUIRE_SHARED_DATA("tokenizer-vectors/" + GetParam());
  const std::string path = test::shared_data("tokenizer-vectors/" + GetParam()).string();
  auto tokenizer = Tokenizer::from_gguf(path);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  const std::vector<VectorCase> cases = read_vectors(path);
  ASSERT_GE(cases.size(), 40u);
  EncodeOptions options;
  options.add_bos = false;
  options.parse_special = false;
  int failures = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto ids = tokenizer->encode(cases[i].input, options);
    ASSERT_TRUE(ids.ok()) << ids.status().to_string();
    EXPECT_EQ(test::ids_to_string(*ids), test::ids_to_string(cases[i].expected))
        << "case " << i << ": \"" << cases[i].input << "\"";
    failures += *ids != cases[i].expected;
  }
  EXPECT_EQ(failures, 0) << "of " << cases.size() << " cases";
}

// Decoding what was encoded gives the text back (llama.cpp's vocabularies round-trip every case).
TEST_P(LlamaCppVectors, DecodeInvertsEncode) {
  MOBIQ_REQUIRE_SHARED_DATA("tokenizer-vectors/" + GetParam());
  const std::string path = test::shared_data("tokenizer-vectors/" + GetParam()).string();
  auto tokenizer = Tokenizer::from_gguf(path);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  EncodeOptions options;
  options.add_bos = false;
  for (const VectorCase& c : read_vectors(path)) {
    auto ids = tokenizer->encode(c.input, options);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(tokenizer->decode(*ids), c.input);
    // Streaming piece by piece gives the same bytes (before the decoder's leading-space strip).
    std::string streamed;
    for (int32_t id : *ids) streamed += tokenizer->token_to_piece(id);
    EXPECT_TRUE(streamed.ends_with(c.input)) << c.input;
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, LlamaCppVectors,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.find("spm") != std::string::npos ? std::string("LlamaSpm")
                                                                               : std::string("LlamaBpe");
                         });

}  // namespace
}  // namespace mobiq

namespace mobiq {
namespace {

// The 400 KB evaluation text through both GGUF vocabularies: decode inverts encode, and the time it
// takes is printed (speed is measured, not asserted).
TEST(GgufVocabularies, EvalTextRoundTrips) {
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  const std::string text = test::read_file(test::shared_data("eval_sotu.txt").string());
  for (const char* name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"}) {
    auto tokenizer = Tokenizer::from_gguf(test::shared_data(std::string("tokenizer-vectors/") + name).string());
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
    EncodeOptions options;
    options.add_bos = false;
    const auto start = std::chrono::steady_clock::now();
    auto ids = tokenizer->encode(text, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(ids.ok()) << ids.status().to_string();
    std::cout << "[ info ] " << name << ": " << text.size() << " bytes -> " << ids->size() << " tokens in "
              << seconds << " s\n";
    EXPECT_EQ(tokenizer->decode(*ids), text) << name;
  }
}

}  // namespace
}  // namespace mobiq
