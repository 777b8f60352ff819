// Plane residency of the CPU backend's loaded model on fixture-a converted to .mbq: the model's plane
// regions, and resident memory of planes 1..3 falling when only the base plane is kept and coming
// back when planes are raised and read.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>

#include "backends/registry.h"
#include "runtime/core/resident_memory.h"
#include "runtime/model/model.h"
#include "tests/support/shared_data.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

// Reads one byte of every page of `region`, as a matmul reading the plane would fault it in.
uint64_t touch(std::span<const uint8_t> region) {
  uint64_t sum = 0;
  for (size_t i = 0; i < region.size(); i += 4096) sum += static_cast<const volatile uint8_t&>(region[i]);
  return sum;
}

// The touched bytes' sum lands here: with the sum unused, clang (ASan build) dropped the reads.
volatile uint64_t touched_sum = 0;

void touch_planes(const Model& model, int planes) {
  for (int p = 0; p < planes; ++p) touched_sum = touched_sum + touch(model.plane_regions()[p]);
}

double fraction_resident(const Model& model, int plane) {
  return static_cast<double>(resident_bytes_of(model.plane_regions()[plane])) /
         static_cast<double>(model.plane_regions()[plane].size());
}

// The reference kernels read the planes in place from the file mapping, so its pages are what
// residency keeps or gives back.
std::shared_ptr<LoadedModel> load_cpu(const Model& model, const std::string& backend = "cpu:reference") {
  auto loaded = load_model(backend, model);
  EXPECT_TRUE(loaded.ok()) << loaded.status().to_string();
  return loaded.ok() ? std::move(loaded).value() : nullptr;
}

class CpuPlaneResidency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_shared()) return;
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("mobiq-residency-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
    ConvertOptions options;
    options.input_dir = test::fixture_a_dir().string();
    options.output_path = (dir_ / "fixture-a.mbq").string();
    const Status converted = convert_hf_to_mbq(options);
    ASSERT_TRUE(converted.ok()) << converted.to_string();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    MOBIQ_REQUIRE_SHARED();
    auto opened = Model::open_mbq((dir_ / "fixture-a.mbq").string());
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    model_.emplace(std::move(opened).value());
  }

  static fs::path dir_;
  std::optional<Model> model_;
};

fs::path CpuPlaneResidency::dir_;

TEST_F(CpuPlaneResidency, PlaneRegionsHoldEachPlaneOfEveryLinear) {
  const Model& model = *model_;
  const auto file = model.mapped_file();
  ASSERT_FALSE(file.empty());
  const auto& regions = model.plane_regions();
  uint64_t plane_bytes = 0;
  size_t linears = 0;
  for (const LayerWeights& layer : model.weights().layers) {
    for (const LinearWeights* l : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
      const SlicedTensor& t = l->sliced;
      const uint64_t bytes = static_cast<uint64_t>(t.out * packed_row_bytes(t.in));
      plane_bytes += bytes;
      ++linears;
      for (int p = 0; p < kMaxPlanes; ++p) {
        ASSERT_GE(t.planes[p], regions[p].data());
        ASSERT_LE(t.planes[p] + bytes, regions[p].data() + regions[p].size());
      }
    }
  }
  for (int p = 0; p < kMaxPlanes; ++p) {
    ASSERT_FALSE(regions[p].empty()) << p;
    EXPECT_EQ((regions[p].data() - file.data()) % 16384, 0) << "plane " << p << " is not 16 KiB aligned";
    EXPECT_GE(regions[p].size(), plane_bytes);
    EXPECT_LT(regions[p].size(), plane_bytes + linears * 64);  // segments padded to 64 bytes at most
    if (p > 0) {
      EXPECT_GE(regions[p].data(), regions[p - 1].data() + regions[p - 1].size());
    }
  }
  EXPECT_LE(regions[3].data() + regions[3].size(), file.data() + file.size());
}

TEST_F(CpuPlaneResidency, DroppedPlanesLeaveMemoryAndComeBack) {
  const Model& model = *model_;
  auto residency = load_cpu(model);
  ASSERT_NE(residency, nullptr);
  EXPECT_EQ(residency->resident_planes(), 4);
  touch_planes(model, 4);
  for (int p = 0; p < 4; ++p) EXPECT_GT(fraction_resident(model, p), 0.9) << "plane " << p;
  const uint64_t all_planes = residency->resident_plane_bytes();
  const uint64_t mapping_before = resident_bytes_of(model.mapped_file());

  ASSERT_TRUE(residency->set_resident_planes(1).ok());
  EXPECT_EQ(residency->resident_planes(), 1);
  EXPECT_GT(fraction_resident(model, 0), 0.9);
  uint64_t dropped = 0;
  for (int p = 1; p < 4; ++p) {
    EXPECT_LT(fraction_resident(model, p), 0.1) << "plane " << p;
    dropped += model.plane_regions()[p].size();
  }
  EXPECT_LT(residency->resident_plane_bytes(), all_planes - dropped * 9 / 10);
  EXPECT_LT(resident_bytes_of(model.mapped_file()), mapping_before - dropped * 9 / 10);

  ASSERT_TRUE(residency->set_resident_planes(4).ok());
  touch_planes(model, 4);
  for (int p = 0; p < 4; ++p) EXPECT_GT(fraction_resident(model, p), 0.9) << "plane " << p;
  EXPECT_GT(residency->resident_plane_bytes(), all_planes * 9 / 10);
}

TEST_F(CpuPlaneResidency, KeepsThePlanesBelowTheCount) {
  const Model& model = *model_;
  auto residency = load_cpu(model);
  ASSERT_NE(residency, nullptr);
  touch_planes(model, 4);
  ASSERT_TRUE(residency->set_resident_planes(2).ok());
  EXPECT_GT(fraction_resident(model, 0), 0.9);
  EXPECT_GT(fraction_resident(model, 1), 0.9);
  EXPECT_LT(fraction_resident(model, 2), 0.1);
  EXPECT_LT(fraction_resident(model, 3), 0.1);

  ASSERT_TRUE(residency->set_resident_planes(3).ok());  // raising starts read-ahead; reading finishes it
  touch_planes(model, 3);
  EXPECT_GT(fraction_resident(model, 2), 0.9);
  EXPECT_LT(fraction_resident(model, 3), 0.1);
  ASSERT_TRUE(residency->set_resident_planes(3).ok());  // the same count again changes nothing
  EXPECT_GT(fraction_resident(model, 2), 0.9);
}

TEST_F(CpuPlaneResidency, RejectsCountsOutsideTheModel) {
  auto residency = load_cpu(*model_);
  ASSERT_NE(residency, nullptr);
  EXPECT_EQ(residency->set_resident_planes(0).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(residency->set_resident_planes(5).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(residency->resident_planes(), 4);
}

TEST(CpuPlaneResidencyDense, HasNoPlanes) {
  MOBIQ_REQUIRE_SHARED();
  auto model = Model::open_hf(test::fixture_a_dir().string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_TRUE(model->mapped_file().empty());
  auto residency = load_cpu(*model);
  ASSERT_NE(residency, nullptr);
  EXPECT_EQ(residency->resident_planes(), 0);
  EXPECT_EQ(residency->set_resident_planes(1).code(), ErrorCode::kUnsupported);
  EXPECT_EQ(residency->resident_plane_bytes(), 0u);
}

// With an int8 kernel set the planes are repacked at load: the file's plane pages leave memory, and
// residency frees and re-packs the packed planes; logits after a drop and a restore are unchanged.
TEST_F(CpuPlaneResidency, PackedPlanesAreFreedAndRepacked) {
  const Model& model = *model_;
  for (const std::string& backend : backend_variants()) {
    if (!backend.starts_with("cpu:") || backend == "cpu:reference") continue;
    auto loaded = load_cpu(model, backend);
    ASSERT_NE(loaded, nullptr);
    for (int p = 0; p < 4; ++p) EXPECT_LT(fraction_resident(model, p), 0.1) << backend << " file plane " << p;
    const uint64_t all = loaded->resident_plane_bytes();
    ExecutorOptions options;
    options.context_size = options.max_batch = 16;
    auto executor = loaded->create_executor(options);
    ASSERT_TRUE(executor.ok());
    const std::vector<int32_t> tokens = {1, 415, 1665, 302, 272};
    SlicePlan plan;
    plan.slices = plan.max_slices = 2;
    ASSERT_TRUE((*executor)->set_plan(plan).ok());
    std::vector<float> before(model.config().vocab_size), after(model.config().vocab_size);
    ASSERT_TRUE((*executor)->forward(tokens, 0, {ForwardOutput::Kind::kLastLogits, before.data()}).ok());

    ASSERT_TRUE(loaded->set_resident_planes(2).ok());
    EXPECT_EQ(loaded->resident_plane_bytes(), all / 2) << backend;
    ASSERT_TRUE(loaded->set_resident_planes(1).ok());
    EXPECT_EQ(loaded->resident_plane_bytes(), all / 4) << backend;
    ASSERT_TRUE(loaded->set_resident_planes(4).ok());
    EXPECT_EQ(loaded->resident_plane_bytes(), all) << backend;
    ASSERT_TRUE((*executor)->truncate(0).ok());
    ASSERT_TRUE((*executor)->forward(tokens, 0, {ForwardOutput::Kind::kLastLogits, after.data()}).ok());
    EXPECT_EQ(before, after) << backend;
  }
}

TEST(ResidentBytes, CountsOnlyTheRange) {
  std::vector<uint8_t> buffer(3 * 4096 + 100, 1);  // written, so resident
  const std::span<const uint8_t> all(buffer);
  EXPECT_EQ(resident_bytes_of(all), buffer.size());
  EXPECT_EQ(resident_bytes_of(all.subspan(10, 50)), 50u);
  EXPECT_EQ(resident_bytes_of({}), 0u);
}

}  // namespace
}  // namespace mobiq
