// The C API through its header only: lifetimes, generation with callbacks and stops, budgets,
// tokenization, stats, and misuse (null and closed handles, bad files) that must come back as errors.
// Runs on the repository's fixture-a, converted once per run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "format/mbq_reader.h"
#include "mobiq/mobiq.h"
#include "tests/capi/capi_fixture.h"

namespace mobiq::test {
namespace {

namespace fs = std::filesystem;

struct Collected {
  std::vector<int32_t> tokens;
  std::string text;
  int stop_after = -1;  // >= 0: return non-zero once this many tokens arrived
};

int collect(void* user, const char* piece, size_t len, int32_t token) {
  auto* c = static_cast<Collected*>(user);
  c->tokens.push_back(token);
  c->text.append(piece, len);
  return c->stop_after >= 0 && static_cast<int>(c->tokens.size()) >= c->stop_after ? 1 : 0;
}

class CApi : public CApiFixture {};

TEST_F(CApi, VersionMatchesHeader) {
  EXPECT_STREQ(mobiq_version(), MOBIQ_VERSION_STRING);
  EXPECT_STREQ(mobiq_status_name(MOBIQ_CORRUPT_FILE), "corrupt file");
  EXPECT_STREQ(mobiq_status_name(static_cast<mobiq_status>(77)), "unknown status");
}

TEST_F(CApi, OpenDescribeClose) {
  mobiq_model* model = open_model();
  mobiq_model_info info{};
  ASSERT_EQ(mobiq_model_get_info(model, &info), MOBIQ_OK);
  EXPECT_EQ(info.vocab_size, 32000);
  EXPECT_EQ(info.n_layers, 6);
  EXPECT_EQ(info.max_slices, 4);
  EXPECT_EQ(info.bos_id, 1);
  EXPECT_EQ(info.eos_id, 2);
  EXPECT_EQ(mobiq_model_close(model), MOBIQ_OK);
  // The handle is gone: a second close is an error, not a double free.
  EXPECT_EQ(mobiq_model_close(model), MOBIQ_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mobiq_last_error_message()).find("closed"), std::string::npos);
}

TEST_F(CApi, BadPathIsAnErrorNamingTheFile) {
  mobiq_model* model = reinterpret_cast<mobiq_model*>(0x1);  // must be overwritten with NULL
  const std::string path = (fs::temp_directory_path() / "mobiq-no-such-model.mbq").string();
  EXPECT_EQ(mobiq_model_open(path.c_str(), nullptr, &model), MOBIQ_NOT_FOUND);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(mobiq_last_error_message()).find(path), std::string::npos) << mobiq_last_error_message();
}

TEST_F(CApi, CorruptFilesAreRejected) {
  const fs::path dir = scratch_dir();
  // One flipped byte in the middle of the weights: the segment checksum catches it.
  const fs::path flipped = dir / "flipped.mbq";
  fs::copy_file(model_path(), flipped, fs::copy_options::overwrite_existing);
  {
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    const auto middle = static_cast<std::streamoff>(fs::file_size(flipped) / 2);
    f.seekg(middle);
    char byte = 0;
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    f.seekp(middle);
    f.write(&byte, 1);
  }
  mobiq_model* model = nullptr;
  EXPECT_EQ(mobiq_model_open(flipped.c_str(), nullptr, &model), MOBIQ_CORRUPT_FILE);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(mobiq_last_error_message()).find("checksum"), std::string::npos) << mobiq_last_error_message();

  // Not a model at all, and a truncated one.
  const fs::path text = dir / "text.mbq";
  std::ofstream(text) << "this is not a model file, only some text long enough to hold a preamble\n";
  EXPECT_EQ(mobiq_model_open(text.c_str(), nullptr, &model), MOBIQ_CORRUPT_FILE);
  const fs::path truncated = dir / "truncated.mbq";
  fs::copy_file(model_path(), truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, fs::file_size(truncated) / 3);
  EXPECT_EQ(mobiq_model_open(truncated.c_str(), nullptr, &model), MOBIQ_CORRUPT_FILE);
  EXPECT_EQ(model, nullptr);
}

TEST_F(CApi, NullHandlesAndOutputsAreErrors) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model);
  int32_t ids[4];
  char text[16];
  size_t n = 0;
  mobiq_model_info info;
  mobiq_stats stats;
  mobiq_generate_result result;

  mobiq_model* no_model = nullptr;
  mobiq_session* no_session = nullptr;
  const std::vector<std::pair<const char*, mobiq_status>> calls = {
      {"open null path", mobiq_model_open(nullptr, nullptr, &no_model)},
      {"open null out", mobiq_model_open(model_path().c_str(), nullptr, nullptr)},
      {"model close", mobiq_model_close(nullptr)},
      {"model info", mobiq_model_get_info(nullptr, &info)},
      {"model info null out", mobiq_model_get_info(model, nullptr)},
      {"tokenize", mobiq_tokenize(nullptr, "hi", 2, 1, ids, 4, &n)},
      {"tokenize null count", mobiq_tokenize(model, "hi", 2, 1, ids, 4, nullptr)},
      {"tokenize null text", mobiq_tokenize(model, nullptr, 2, 1, ids, 4, &n)},
      {"detokenize", mobiq_detokenize(nullptr, ids, 1, text, sizeof text, &n)},
      {"detokenize null tokens", mobiq_detokenize(model, nullptr, 1, text, sizeof text, &n)},
      {"session create", mobiq_session_create(nullptr, nullptr, &no_session)},
      {"session create null out", mobiq_session_create(model, nullptr, nullptr)},
      {"session close", mobiq_session_close(nullptr)},
      {"budget bits", mobiq_session_set_budget_bits(nullptr, 4.0)},
      {"budget auto", mobiq_session_set_budget_auto(nullptr, nullptr)},
      {"feed text", mobiq_session_feed_text(nullptr, "hi", 2, 1)},
      {"feed text null", mobiq_session_feed_text(session, nullptr, 2, 1)},
      {"feed tokens", mobiq_session_feed_tokens(nullptr, ids, 1)},
      {"feed tokens null", mobiq_session_feed_tokens(session, nullptr, 1)},
      {"generate", mobiq_session_generate(nullptr, 4, collect, nullptr, &result)},
      {"request stop", mobiq_session_request_stop(nullptr)},
      {"reset", mobiq_session_reset(nullptr)},
      {"stats", mobiq_session_get_stats(nullptr, &stats)},
      {"stats null out", mobiq_session_get_stats(session, nullptr)},
  };
  for (const auto& [what, status] : calls) EXPECT_EQ(status, MOBIQ_INVALID_ARGUMENT) << what;
  EXPECT_STRNE(mobiq_last_error_message(), "");
  EXPECT_EQ(no_model, nullptr);
  EXPECT_EQ(no_session, nullptr);
  mobiq_model_options_init(nullptr);  // the init functions ignore NULL
  mobiq_session_options_init(nullptr);
  mobiq_auto_budget_options_init(nullptr);
  // Nothing above disturbed the live handles.
  EXPECT_EQ(mobiq_session_feed_text(session, "Hello", 5, 1), MOBIQ_OK);
  EXPECT_EQ(mobiq_session_close(session), MOBIQ_OK);
  EXPECT_EQ(mobiq_model_close(model), MOBIQ_OK);
}

TEST_F(CApi, ClosedModelKeepsItsSessionsAlive) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model);
  ASSERT_EQ(mobiq_model_close(model), MOBIQ_OK);
  // The session holds the weights: it still runs.
  ASSERT_EQ(mobiq_session_feed_text(session, "The president", 13, 1), MOBIQ_OK);
  Collected c;
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, 5, collect, &c, &result), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(result.tokens, 5);
  // The closed handle itself is refused.
  mobiq_session* other = nullptr;
  EXPECT_EQ(mobiq_session_create(model, nullptr, &other), MOBIQ_INVALID_ARGUMENT);
  EXPECT_EQ(other, nullptr);
  size_t n = 0;
  EXPECT_EQ(mobiq_tokenize(model, "hi", 2, 1, nullptr, 0, &n), MOBIQ_INVALID_ARGUMENT);
  EXPECT_EQ(mobiq_session_close(session), MOBIQ_OK);
  EXPECT_EQ(mobiq_session_close(session), MOBIQ_INVALID_ARGUMENT);
  EXPECT_EQ(mobiq_session_request_stop(session), MOBIQ_INVALID_ARGUMENT);
}

TEST_F(CApi, GenerateStreamsPiecesThatDetokenizeToTheText) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model, greedy_options());
  ASSERT_EQ(mobiq_session_feed_text(session, "The president said", 18, 1), MOBIQ_OK);
  Collected c;
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, 12, collect, &c, &result), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(result.tokens, 12);
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_MAX_TOKENS);
  ASSERT_EQ(c.tokens.size(), 12u);
  EXPECT_FALSE(c.text.empty());

  char text[512];
  size_t len = 0;
  ASSERT_EQ(mobiq_detokenize(model, c.tokens.data(), c.tokens.size(), text, sizeof text, &len), MOBIQ_OK);
  // SentencePiece drops the leading space of the first piece when decoding a whole sequence.
  std::string streamed = c.text;
  if (!streamed.empty() && streamed[0] == ' ' && (len == 0 || text[0] != ' ')) streamed.erase(0, 1);
  EXPECT_EQ(std::string(text, len), streamed);

  // A callback-less generate continues the same sequence.
  ASSERT_EQ(mobiq_session_generate(session, 3, nullptr, nullptr, &result), MOBIQ_OK);
  EXPECT_EQ(result.tokens, 3);
  mobiq_stats stats{};
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.generated_tokens, 15);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, CallbackStopsGeneration) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model, greedy_options());
  ASSERT_EQ(mobiq_session_feed_text(session, "Once upon a time", 16, 1), MOBIQ_OK);
  Collected c;
  c.stop_after = 3;
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, 50, collect, &c, &result), MOBIQ_OK);
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_CALLBACK);
  EXPECT_EQ(result.tokens, 3);
  EXPECT_EQ(c.tokens.size(), 3u);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

struct StopFromThread {
  mobiq_session* session = nullptr;
  std::atomic<int> seen{0};
};

int count_tokens(void* user, const char*, size_t, int32_t) {
  static_cast<StopFromThread*>(user)->seen.fetch_add(1);
  return 0;
}

TEST_F(CApi, AnotherThreadStopsGeneration) {
  mobiq_model* model = open_model();
  mobiq_session_options options = greedy_options();
  options.context_size = 1024;
  mobiq_session* session = create_session(model, options);
  ASSERT_EQ(mobiq_session_feed_text(session, "The president said", 18, 1), MOBIQ_OK);
  StopFromThread state;
  state.session = session;
  std::thread stopper([&] {
    while (state.seen.load() < 4) std::this_thread::yield();
    EXPECT_EQ(mobiq_session_request_stop(state.session), MOBIQ_OK);
  });
  mobiq_generate_result result{};
  const mobiq_status status = mobiq_session_generate(session, 1000, count_tokens, &state, &result);
  stopper.join();
  ASSERT_EQ(status, MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_REQUESTED);
  EXPECT_GE(result.tokens, 4);
  EXPECT_LT(result.tokens, 1000);
  EXPECT_EQ(result.tokens, state.seen.load());
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, StopRequestedBetweenCallsStopsTheNextCallOnly) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model, greedy_options());
  ASSERT_EQ(mobiq_session_feed_text(session, "The", 3, 1), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_request_stop(session), MOBIQ_OK);
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, 5, nullptr, nullptr, &result), MOBIQ_OK);
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_REQUESTED);
  EXPECT_EQ(result.tokens, 0);
  ASSERT_EQ(mobiq_session_generate(session, 5, nullptr, nullptr, &result), MOBIQ_OK);
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_MAX_TOKENS);
  EXPECT_EQ(result.tokens, 5);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, FixedBudgetInAndOutOfRange) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model, greedy_options());
  mobiq_stats stats{};
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.budget_bits, 8.0);
  EXPECT_EQ(stats.budget_mode, MOBIQ_BUDGET_FIXED);

  ASSERT_EQ(mobiq_session_set_budget_bits(session, 4.0), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_feed_text(session, "The president said", 18, 1), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_generate(session, 4, nullptr, nullptr, nullptr), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.budget_bits, 4.0);
  EXPECT_EQ(stats.bits_per_weight, 4.0);
  EXPECT_STREQ(stats.budget_reason, "set by the application");

  for (double bad : {1.99, 8.01, 9.0, -1.0, 0.0, HUGE_VAL}) {
    EXPECT_EQ(mobiq_session_set_budget_bits(session, bad), MOBIQ_OUT_OF_RANGE) << bad;
    EXPECT_NE(std::string(mobiq_last_error_message()).find("outside"), std::string::npos);
  }
  EXPECT_EQ(mobiq_session_set_budget_bits(session, std::nan("")), MOBIQ_INVALID_ARGUMENT);
  // A refused budget leaves the last good one in force.
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.budget_bits, 4.0);
  // Switching mid-sequence, without a reload, from the next token on.
  ASSERT_EQ(mobiq_session_set_budget_bits(session, 2.0), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_generate(session, 2, nullptr, nullptr, nullptr), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.bits_per_weight, 2.0);
  EXPECT_EQ(stats.generated_tokens, 6);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

std::vector<int32_t> generate_tokens(mobiq_session* session, const char* prompt, int n) {
  Collected c;
  EXPECT_EQ(mobiq_session_feed_text(session, prompt, std::strlen(prompt), 1), MOBIQ_OK);
  EXPECT_EQ(mobiq_session_generate(session, n, collect, &c, nullptr), MOBIQ_OK) << mobiq_last_error_message();
  return c.tokens;
}

TEST_F(CApi, FixedSeedIsDeterministicAcrossSessionsResetsAndThreads) {
  mobiq_model* model = open_model();
  mobiq_session_options options;
  mobiq_session_options_init(&options);
  options.temperature = 1.0f;
  options.seed = 1234;
  options.n_threads = 1;
  options.context_size = 256;
  mobiq_session* a = create_session(model, options);
  const std::vector<int32_t> first = generate_tokens(a, "It was a truth", 16);
  ASSERT_EQ(first.size(), 16u);
  ASSERT_EQ(mobiq_session_reset(a), MOBIQ_OK);
  EXPECT_EQ(generate_tokens(a, "It was a truth", 16), first);

  // Two sessions on one model, generating at once on two threads.
  mobiq_session* b = create_session(model, options);
  mobiq_session* c = create_session(model, options);
  std::vector<int32_t> from_b, from_c;
  std::thread tb([&] { from_b = generate_tokens(b, "It was a truth", 16); });
  std::thread tc([&] { from_c = generate_tokens(c, "It was a truth", 16); });
  tb.join();
  tc.join();
  EXPECT_EQ(from_b, first);
  EXPECT_EQ(from_c, first);

  // Another seed samples another continuation (a sanity check that the seed is used at all).
  options.seed = 99;
  mobiq_session* d = create_session(model, options);
  EXPECT_NE(generate_tokens(d, "It was a truth", 16), first);
  for (mobiq_session* s : {a, b, c, d}) mobiq_session_close(s);
  mobiq_model_close(model);
}

TEST_F(CApi, StatsAreSane) {
  mobiq_model* model = open_model();
  mobiq_session_options options = greedy_options();
  options.context_size = 128;
  mobiq_session* session = create_session(model, options);
  size_t prompt_tokens = 0;
  ASSERT_EQ(mobiq_tokenize(model, "The president said", 18, 1, nullptr, 0, &prompt_tokens), MOBIQ_OUT_OF_RANGE);
  ASSERT_EQ(mobiq_session_feed_text(session, "The president said", 18, 1), MOBIQ_OK);
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, 10, nullptr, nullptr, &result), MOBIQ_OK);
  mobiq_stats stats{};
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.prompt_tokens, static_cast<int64_t>(prompt_tokens));
  EXPECT_EQ(stats.generated_tokens, result.tokens);
  EXPECT_EQ(stats.position, static_cast<int32_t>(prompt_tokens + result.tokens));
  EXPECT_EQ(stats.context_size, 128);
  EXPECT_GT(stats.prompt_tokens_per_second, 0.0);
  EXPECT_GT(stats.tokens_per_second, 0.0);
  EXPECT_EQ(stats.bits_per_weight, 8.0);
  EXPECT_EQ(stats.resident_planes, 4);
  EXPECT_GT(stats.resident_bytes, 0u);
  EXPECT_LE(stats.resident_bytes, fs::file_size(model_path()));
  EXPECT_GT(std::strlen(stats.budget_reason), 0u);

  ASSERT_EQ(mobiq_session_reset(session), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.position, 0);
  EXPECT_EQ(stats.generated_tokens, 0);
  // Generating needs a prompt.
  EXPECT_EQ(mobiq_session_generate(session, 1, nullptr, nullptr, nullptr), MOBIQ_INVALID_ARGUMENT);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, SpendStatsFollowTheBudgetAndMode) {
  mobiq_model* model = open_model();
  mobiq_session_options options = greedy_options();
  options.context_size = 128;
  mobiq_session* session = create_session(model, options);
  mobiq_spend_stats spend{};
  ASSERT_EQ(mobiq_session_get_spend(session, &spend), MOBIQ_OK);
  EXPECT_EQ(spend.mode, MOBIQ_SPEND_AVERAGE);
  EXPECT_EQ(spend.tokens, 0);
  ASSERT_EQ(mobiq_session_set_budget_bits(session, 4.0), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_feed_text(session, "The president said", 18, 1), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_get_spend(session, &spend), MOBIQ_OK);
  EXPECT_EQ(spend.budget_bits, 4.0);
  EXPECT_GT(spend.tokens, 0);
  EXPECT_GE(spend.spend_bits, 2.0);
  EXPECT_LE(spend.spend_bits, 8.5);
  // A new mode restarts the count at the budget in force.
  ASSERT_EQ(mobiq_session_set_spend_mode(session, MOBIQ_SPEND_OPEN), MOBIQ_OK);
  ASSERT_EQ(mobiq_session_get_spend(session, &spend), MOBIQ_OK);
  EXPECT_EQ(spend.mode, MOBIQ_SPEND_OPEN);
  EXPECT_EQ(spend.tokens, 0);
  EXPECT_EQ(spend.threshold_offset, 0.0);
  EXPECT_EQ(mobiq_session_set_spend_mode(session, static_cast<mobiq_spend_mode>(7)), MOBIQ_INVALID_ARGUMENT);
  EXPECT_EQ(mobiq_session_get_spend(session, nullptr), MOBIQ_INVALID_ARGUMENT);
  EXPECT_EQ(mobiq_session_get_spend(nullptr, &spend), MOBIQ_INVALID_ARGUMENT);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, ContextAndVocabularyLimits) {
  mobiq_model* model = open_model();
  mobiq_session_options options = greedy_options();
  options.context_size = 8;
  mobiq_session* session = create_session(model, options);
  const int32_t past_vocab[] = {1, 32000};
  EXPECT_EQ(mobiq_session_feed_tokens(session, past_vocab, 2), MOBIQ_OUT_OF_RANGE);
  const int32_t negative[] = {-3};
  EXPECT_EQ(mobiq_session_feed_tokens(session, negative, 1), MOBIQ_OUT_OF_RANGE);
  const int32_t nine[] = {1, 415, 4892, 773, 272, 415, 4892, 773, 272};
  EXPECT_EQ(mobiq_session_feed_tokens(session, nine, 9), MOBIQ_OUT_OF_RANGE);
  ASSERT_EQ(mobiq_session_feed_tokens(session, nine, 5), MOBIQ_OK);
  mobiq_generate_result result{};
  ASSERT_EQ(mobiq_session_generate(session, -1, nullptr, nullptr, &result), MOBIQ_OK);
  EXPECT_EQ(result.tokens, 3);
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_CONTEXT_FULL);
  mobiq_session_close(session);
  mobiq_model_close(model);
}

TEST_F(CApi, TokenizeSizeQueryAndRoundTrip) {
  mobiq_model* model = open_model();
  const char* text = "Hello world, how are you?";
  size_t needed = 0;
  ASSERT_EQ(mobiq_tokenize(model, text, std::strlen(text), 1, nullptr, 0, &needed), MOBIQ_OUT_OF_RANGE);
  ASSERT_GT(needed, 2u);
  std::vector<int32_t> ids(needed);
  size_t count = 0;
  ASSERT_EQ(mobiq_tokenize(model, text, std::strlen(text), 1, ids.data(), ids.size(), &count), MOBIQ_OK);
  EXPECT_EQ(count, needed);
  EXPECT_EQ(ids[0], 1);  // BOS
  size_t without_bos = 0;
  ASSERT_EQ(mobiq_tokenize(model, text, std::strlen(text), 0, nullptr, 0, &without_bos), MOBIQ_OUT_OF_RANGE);
  EXPECT_EQ(without_bos + 1, needed);

  char small[4];
  size_t len = 0;
  EXPECT_EQ(mobiq_detokenize(model, ids.data(), ids.size(), small, sizeof small, &len), MOBIQ_OUT_OF_RANGE);
  EXPECT_EQ(len, std::strlen(text));
  std::vector<char> out(len + 1);
  ASSERT_EQ(mobiq_detokenize(model, ids.data(), ids.size(), out.data(), out.size(), &len), MOBIQ_OK);
  EXPECT_STREQ(out.data(), text);
  // Empty text: zero tokens without BOS; an empty decode is "".
  ASSERT_EQ(mobiq_tokenize(model, "", 0, 0, nullptr, 0, &count), MOBIQ_OK);
  EXPECT_EQ(count, 0u);
  ASSERT_EQ(mobiq_detokenize(model, nullptr, 0, out.data(), out.size(), &len), MOBIQ_OK);
  EXPECT_EQ(len, 0u);
  mobiq_model_close(model);
}

// A copy of the model with one byte of a slice plane flipped: the default open verifies checksums and
// refuses it; an unverified open skips them and succeeds. (This test used to open the intact file
// unverified, which succeeds whether or not verification is skipped.)
TEST_F(CApi, UnverifiedOpenSkipsChecksums) {
  mobiq_model_options options;
  mobiq_model_options_init(&options);
  EXPECT_EQ(options.verify_checksums, 1);

  const std::filesystem::path damaged = scratch_dir() / "damaged-plane.mbq";
  std::filesystem::copy_file(model_path(), damaged, std::filesystem::copy_options::overwrite_existing);
  uint64_t offset = 0;
  {
    auto file = MbqFile::open(model_path());
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    const fb::SlicedLinear* last = file->model().linears()->Get(file->model().linears()->size() - 1);
    offset = file->model().segments()->Get(last->plane_segments()->Get(1))->offset() + 7;
  }
  {
    std::fstream f(damaged, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    f.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x10);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&byte, 1);
    ASSERT_TRUE(f.good());
  }

  mobiq_model* model = nullptr;
  EXPECT_EQ(mobiq_model_open(damaged.c_str(), &options, &model), MOBIQ_CORRUPT_FILE);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(mobiq_last_error_message()).find("checksum"), std::string::npos) << mobiq_last_error_message();

  options.verify_checksums = 0;
  ASSERT_EQ(mobiq_model_open(damaged.c_str(), &options, &model), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(mobiq_model_close(model), MOBIQ_OK);
}

TEST_F(CApi, BadSessionOptions) {
  mobiq_model* model = open_model();
  mobiq_session_options options;
  mobiq_session_options_init(&options);
  mobiq_session* session = nullptr;
  options.backend = "no-such-backend";
  EXPECT_NE(mobiq_session_create(model, &options, &session), MOBIQ_OK);
  EXPECT_EQ(session, nullptr);
  mobiq_session_options_init(&options);
  options.context_size = 0;
  EXPECT_EQ(mobiq_session_create(model, &options, &session), MOBIQ_INVALID_ARGUMENT);
  mobiq_model_close(model);
}

}  // namespace
}  // namespace mobiq::test
