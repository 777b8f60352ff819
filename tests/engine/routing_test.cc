// Routed execution end to end on fixture-a with a small calibration: the file carries routers and a
// budget table, the thresholds meet their budgets on the calibration text, prefill grouped by slice
// count equals token-by-token decode, the session reports the bits it actually used, and statistics
// gathered a layer at a time give the same model as one pass.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "format/mbq_reader.h"
#include "runtime/core/text_file.h"
#include "runtime/engine/perplexity.h"
#include "runtime/engine/session.h"
#include "runtime/engine/slice_planner.h"
#include "runtime/model/model.h"
#include "tests/support/cpu_executor.h"
#include "tests/support/shared_data.h"
#include "tests/support/spend_fixture.h"
#include "tools/quantizer/calibration/calibrator.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

// The calibrated fixture-a that the spend-control tests read too (tests/support/spend_fixture.h),
// made once per ctest run: 4 windows of 128 tokens, every token sampled, so the thresholds are set
// on exactly these windows.
class Routing : public ::testing::Test {
 protected:
  static constexpr int32_t kWindow = 128, kWindows = 4;  // the fixture's calibration windows

  static void SetUpTestSuite() {
    if (!test::have_shared()) return;
    const Status s = test::make_spend_fixture();
    ASSERT_TRUE(s.ok()) << s.to_string();
    path_ = test::spend_fixture_path();
  }
  void SetUp() override {
    MOBIQ_REQUIRE_SHARED();
    auto model = Model::open_mbq(path_.string());
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::make_unique<Model>(std::move(model).value());
  }

  std::unique_ptr<Executor> executor(int32_t context) { return test::cpu_executor(*model_, context, context); }

  static fs::path path_;
  std::unique_ptr<Model> model_;
};
fs::path Routing::path_;

TEST_F(Routing, FileCarriesRoutersAndABudgetTable) {
  auto file = MbqFile::open(path_.string());
  ASSERT_TRUE(file.ok());
  ASSERT_NE(file->model().routers(), nullptr);
  EXPECT_EQ(file->model().routers()->size(), 6u * kLinearGroups);
  ASSERT_NE(file->model().budget_table(), nullptr);
  EXPECT_EQ(file->model().budget_table()->size(), 25u);
  ASSERT_NE(file->model().calibration(), nullptr);
  EXPECT_EQ(file->model().calibration()->windows(), kWindows);
  for (const LayerWeights& layer : model_->weights().layers)
    for (const RouterWeights& router : layer.routers) EXPECT_TRUE(router.present());
}

TEST_F(Routing, ThresholdsMeetTheirBudgetsOnTheCalibrationText) {
  auto text = read_text_file(test::shared_data("calib.txt").string());
  ASSERT_TRUE(text.ok());
  auto tokens = protocol_tokens(model_->tokenizer(), model_->config().bos_id, *text);
  ASSERT_TRUE(tokens.ok());
  auto exec = executor(kWindow);
  const SlicePlanner planner(model_->weights(), model_->max_slices());
  for (double bits : {2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0}) {
    auto choice = planner.choose(bits, mobiq::Routing::kRouted);
    ASSERT_TRUE(choice.ok());
    PerplexityOptions options;
    options.window = kWindow;
    options.max_windows = kWindows;
    options.plan = choice->plan();
    auto r = evaluate_perplexity(*exec, *model_, *tokens, options);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_NEAR(r->bits_per_weight, bits, 0.1) << choice->description();
  }
}

TEST_F(Routing, GroupedPrefillEqualsTokenByTokenDecode) {
  MOBIQ_REQUIRE_SHARED_DATA("eval_sotu.txt");
  auto text = read_text_file(test::shared_data("eval_sotu.txt").string());
  ASSERT_TRUE(text.ok());
  auto all = protocol_tokens(model_->tokenizer(), model_->config().bos_id, *text);
  ASSERT_TRUE(all.ok());
  const std::vector<int32_t> ids(all->begin(), all->begin() + 48);
  const int32_t vocab = model_->config().vocab_size;
  const SlicePlanner planner(model_->weights(), model_->max_slices());
  for (mobiq::Routing routing : {mobiq::Routing::kRandom, mobiq::Routing::kRouted}) {
    auto choice = planner.choose(4.5, routing, 17);
    ASSERT_TRUE(choice.ok());
    auto batched = executor(64), stepwise = executor(64);
    std::vector<float> a(ids.size() * vocab), b(vocab);
    ASSERT_TRUE(test::forward_logits(*batched, ids, 0, choice->plan(), true, a.data()).ok());
    int64_t mismatched = 0;
    for (size_t t = 0; t < ids.size(); ++t) {
      const std::span<const int32_t> step(&ids[t], 1);
      ASSERT_TRUE(test::forward_logits(*stepwise, step, static_cast<int32_t>(t), choice->plan(), false, b.data()).ok());
      double worst = 0.0;
      for (int32_t v = 0; v < vocab; ++v) worst = std::max(worst, std::fabs(double(a[t * vocab + v]) - b[v]));
      if (worst > 2e-3) ++mismatched;
    }
    // Random plans depend on positions only, so they must agree everywhere; a router can flip a token
    // whose score sits on its threshold when the two paths round differently, so allow a rare one.
    EXPECT_LE(mismatched, routing == mobiq::Routing::kRandom ? 0 : 2) << choice->description();
    const ReadStats batched_stats = batched->read_stats(), stepwise_stats = stepwise->read_stats();
    EXPECT_NEAR(batched_stats.slice_weights, stepwise_stats.slice_weights, 0.05 * batched_stats.slice_weights);
  }
}

TEST_F(Routing, SessionReportsTheBitsItUsedAndHonoursTheSliceCap) {
  SessionOptions options;
  options.context_size = 256;
  auto session = Session::create(*model_, options);
  ASSERT_TRUE(session.ok());
  auto prompt = model_->tokenizer().encode("The state of the Union is strong, and the people");
  ASSERT_TRUE(prompt.ok());
  ASSERT_TRUE((*session)->set_budget_bits(3.0).ok());
  ASSERT_TRUE((*session)->feed(*prompt).ok());
  const double at_three = (*session)->stats().bits_per_weight;
  EXPECT_GT(at_three, 2.0);
  EXPECT_LT(at_three, 5.0);
  ASSERT_TRUE((*session)->set_budget_bits(8.0).ok());
  ASSERT_TRUE((*session)->feed(*prompt).ok());
  EXPECT_DOUBLE_EQ((*session)->stats().bits_per_weight, 8.0);
  ASSERT_TRUE((*session)->set_slice_cap(2).ok());
  ASSERT_TRUE((*session)->feed(*prompt).ok());
  EXPECT_DOUBLE_EQ((*session)->stats().bits_per_weight, 4.0);  // budget 8, two planes resident
  // Three equal feeds at about 3, exactly 8 and exactly 4 bits: the average is their mean.
  EXPECT_NEAR((*session)->stats().average_bits_per_weight, (at_three + 8.0 + 4.0) / 3.0, 1e-9);
  EXPECT_EQ((*session)->set_slice_cap(5).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ((*session)->set_budget_bits(8.5).code(), ErrorCode::kOutOfRange);
}

// Statistics gathered one layer per pass (what a model too large for one pass gets) must give the
// same model as one pass over every layer: same budget table, same logits.
TEST(CalibrationRanges, OneLayerPerPassWritesTheSameModel) {
  MOBIQ_REQUIRE_SHARED();
  std::vector<fs::path> paths;
  for (int64_t budget : {int64_t{1} << 40, int64_t{1}}) {
    CalibrateOptions o;
    o.input_dir = test::fixture_a_dir().string();
    o.calib_path = test::shared_data("calib.txt").string();
    paths.push_back(fs::temp_directory_path() /
                    ("mobiq-ranges-" + std::to_string(::getpid()) + "-" + std::to_string(paths.size()) + ".mbq"));
    o.output_path = paths.back().string();
    o.windows = 2;
    o.window_tokens = 64;
    o.samples_per_window = 32;
    o.sensitivity_windows = 1;
    o.router_epochs = 2;
    o.statistics_budget_bytes = budget;
    const Status s = calibrate_hf_to_mbq(o);
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  auto one_pass = Model::open_mbq(paths[0].string());
  auto per_layer = Model::open_mbq(paths[1].string());
  for (const fs::path& p : paths) fs::remove(p);
  ASSERT_TRUE(one_pass.ok() && per_layer.ok());
  const std::vector<BudgetEntry>& a = one_pass->weights().budget_table;
  const std::vector<BudgetEntry>& b = per_layer->weights().budget_table;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].thresholds, b[i].thresholds) << a[i].bits;
    EXPECT_EQ(a[i].fixed_slices, b[i].fixed_slices) << a[i].bits;
  }
  auto choice_a = SlicePlanner(one_pass->weights(), one_pass->max_slices()).choose(3.0, mobiq::Routing::kRouted);
  auto choice_b = SlicePlanner(per_layer->weights(), per_layer->max_slices()).choose(3.0, mobiq::Routing::kRouted);
  ASSERT_TRUE(choice_a.ok() && choice_b.ok());
  auto ids = one_pass->tokenizer().encode("The state of the Union is strong, and the people");
  ASSERT_TRUE(ids.ok());
  const int32_t vocab = one_pass->config().vocab_size;
  std::vector<float> logits_a(ids->size() * vocab), logits_b(ids->size() * vocab);
  ASSERT_TRUE(test::forward_logits(*test::cpu_executor(*one_pass, 64, 64), *ids, 0, choice_a->plan(), true,
                                   logits_a.data()).ok());
  ASSERT_TRUE(test::forward_logits(*test::cpu_executor(*per_layer, 64, 64), *ids, 0, choice_b->plan(), true,
                                   logits_b.data()).ok());
  EXPECT_EQ(logits_a, logits_b);
}

}  // namespace
}  // namespace mobiq
