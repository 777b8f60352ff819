// The C API's promises about threads, each checked against the same work done on one thread: two
// sessions on one model generating at once with different budgets, a budget set from another thread
// while a session generates, a stop requested from another thread while a second session goes on.
// Greedy decoding, so a race that changes any number changes the tokens. scripts/tsan.sh runs this
// program under ThreadSanitizer, which also sees races that happen not to change a token.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/capi/capi_fixture.h"

namespace mobiq::test {
namespace {

class CApiThreads : public CApiFixture {
 protected:
  static std::vector<int32_t> generate_at(mobiq_model* model, double bits, const char* prompt, int n);
  static std::vector<int32_t> run_schedule(mobiq_model* model, bool from_another_thread, mobiq_stats* stats);
};

int collect(void* user, const char*, size_t, int32_t token) {
  static_cast<std::vector<int32_t>*>(user)->push_back(token);
  return 0;
}

// Greedy tokens after `prompt` at a fixed budget, with two pool threads per session (each session's
// pool runs beside the other session's).
std::vector<int32_t> CApiThreads::generate_at(mobiq_model* model, double bits, const char* prompt, int n) {
  mobiq_session* session = create_session(model);
  EXPECT_EQ(mobiq_session_set_budget_bits(session, bits), MOBIQ_OK) << mobiq_last_error_message();
  EXPECT_EQ(mobiq_session_feed_text(session, prompt, std::strlen(prompt), 1), MOBIQ_OK);
  std::vector<int32_t> tokens;
  EXPECT_EQ(mobiq_session_generate(session, n, collect, &tokens, nullptr), MOBIQ_OK) << mobiq_last_error_message();
  mobiq_session_close(session);
  return tokens;
}

TEST_F(CApiThreads, TwoSessionsWithDifferentBudgetsMatchTheirSoloRuns) {
  mobiq_model* model = open_model();
  const std::vector<int32_t> solo_a = generate_at(model, 3.0, "The president said", 12);
  const std::vector<int32_t> solo_b = generate_at(model, 6.5, "It was a truth", 12);
  ASSERT_EQ(solo_a.size(), 12u);
  ASSERT_EQ(solo_b.size(), 12u);
  std::vector<int32_t> a, b;
  std::thread ta([&] { a = generate_at(model, 3.0, "The president said", 12); });
  std::thread tb([&] { b = generate_at(model, 6.5, "It was a truth", 12); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, solo_a);
  EXPECT_EQ(b, solo_b);
  mobiq_model_close(model);
}

// Token k (1-based) at which the budget becomes kBudgets[k / kEvery] for the tokens after it.
constexpr int kEvery = 4;
constexpr double kBudgets[] = {8.0, 2.0, 6.0, 4.0, 2.5};
constexpr int kTokens = kEvery * 5;

struct BudgetSchedule {
  mobiq_session* session = nullptr;
  std::vector<int32_t> tokens;
  std::atomic<int> seen{0};      // tokens the callback has seen
  std::atomic<int> applied{0};   // schedule steps the other thread has set (cross-thread run)
  bool from_callback = false;    // reference run: the callback sets the budget itself
};

int follow_schedule(void* user, const char*, size_t, int32_t token) {
  auto* s = static_cast<BudgetSchedule*>(user);
  s->tokens.push_back(token);
  const int k = static_cast<int>(s->tokens.size());
  s->seen.store(k);
  if (k % kEvery != 0 || k == kTokens) return 0;
  if (s->from_callback) {
    EXPECT_EQ(mobiq_session_set_budget_bits(s->session, kBudgets[k / kEvery]), MOBIQ_OK);
  } else {
    while (s->applied.load() < k / kEvery) std::this_thread::yield();  // the setter's call has returned
  }
  return 0;
}

std::vector<int32_t> CApiThreads::run_schedule(mobiq_model* model, bool from_another_thread, mobiq_stats* stats) {
  BudgetSchedule schedule;
  schedule.session = create_session(model);
  schedule.from_callback = !from_another_thread;
  EXPECT_EQ(mobiq_session_set_budget_bits(schedule.session, kBudgets[0]), MOBIQ_OK);
  EXPECT_EQ(mobiq_session_feed_text(schedule.session, "The president said", 18, 1), MOBIQ_OK);
  std::thread setter;
  if (from_another_thread) {
    setter = std::thread([&] {
      for (int step = 1; step * kEvery < kTokens; ++step) {
        while (schedule.seen.load() < step * kEvery) std::this_thread::yield();
        EXPECT_EQ(mobiq_session_set_budget_bits(schedule.session, kBudgets[step]), MOBIQ_OK);
        // A bad budget is refused on the setter's thread and changes nothing.
        EXPECT_EQ(mobiq_session_set_budget_bits(schedule.session, 1.0), MOBIQ_OUT_OF_RANGE);
        schedule.applied.store(step);
      }
    });
  }
  mobiq_generate_result result{};
  EXPECT_EQ(mobiq_session_generate(schedule.session, kTokens, follow_schedule, &schedule, &result), MOBIQ_OK)
      << mobiq_last_error_message();
  if (setter.joinable()) setter.join();
  EXPECT_EQ(result.tokens, kTokens);
  EXPECT_EQ(mobiq_session_get_stats(schedule.session, stats), MOBIQ_OK);
  mobiq_session_close(schedule.session);
  return schedule.tokens;
}

TEST_F(CApiThreads, BudgetSetFromAnotherThreadActsFromTheNextToken) {
  mobiq_model* model = open_model();
  mobiq_stats reference_stats{}, stats{};
  const std::vector<int32_t> reference = run_schedule(model, false, &reference_stats);
  const std::vector<int32_t> crossed = run_schedule(model, true, &stats);
  ASSERT_EQ(reference.size(), static_cast<size_t>(kTokens));
  EXPECT_EQ(crossed, reference);
  // The last step's budget is in force in both runs, and the schedule changed the tokens at all.
  EXPECT_EQ(stats.budget_bits, kBudgets[4]);
  EXPECT_EQ(reference_stats.budget_bits, kBudgets[4]);
  EXPECT_EQ(stats.bits_per_weight, reference_stats.bits_per_weight);
  EXPECT_NE(generate_at(model, 8.0, "The president said", kTokens), reference);
  mobiq_model_close(model);
}

TEST_F(CApiThreads, BudgetSetWhileNothingRunsAppliesAtOnce) {
  mobiq_model* model = open_model();
  mobiq_session* session = create_session(model);
  std::thread setter([&] { EXPECT_EQ(mobiq_session_set_budget_bits(session, 5.0), MOBIQ_OK); });
  setter.join();
  mobiq_stats stats{};
  ASSERT_EQ(mobiq_session_get_stats(session, &stats), MOBIQ_OK);
  EXPECT_EQ(stats.budget_bits, 5.0);
  EXPECT_STREQ(stats.budget_reason, "set by the application");
  mobiq_session_close(session);
  mobiq_model_close(model);
}

int count_until_stopped(void* user, const char*, size_t, int32_t) {
  static_cast<std::atomic<int>*>(user)->fetch_add(1);
  return 0;
}

TEST_F(CApiThreads, StopFromAnotherThreadLeavesTheOtherSessionAlone) {
  mobiq_model* model = open_model();
  const std::vector<int32_t> solo = generate_at(model, 4.0, "It was a truth", 12);

  mobiq_session_options options = greedy_options();
  options.context_size = 1024;
  mobiq_session* stopped = create_session(model, options);
  ASSERT_EQ(mobiq_session_feed_text(stopped, "The president said", 18, 1), MOBIQ_OK);
  std::atomic<int> seen{0};
  std::thread stopper([&] {
    while (seen.load() < 4) std::this_thread::yield();
    EXPECT_EQ(mobiq_session_request_stop(stopped), MOBIQ_OK);
  });
  mobiq_generate_result result{};
  std::vector<int32_t> other;
  std::thread beside([&] { other = generate_at(model, 4.0, "It was a truth", 12); });
  EXPECT_EQ(mobiq_session_generate(stopped, 1000, count_until_stopped, &seen, &result), MOBIQ_OK);
  stopper.join();
  beside.join();
  EXPECT_EQ(result.stop_reason, MOBIQ_STOP_REQUESTED);
  EXPECT_LT(result.tokens, 1000);
  EXPECT_EQ(other, solo);
  mobiq_session_close(stopped);
  mobiq_model_close(model);
}

}  // namespace
}  // namespace mobiq::test
