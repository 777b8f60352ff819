// 8-bit dense storage (`mobiq quantize --dense q8`): the quantizer's layout and error bound, and
// fixture-a converted with it read back through the .mbq reader and the CPU kernels.
#include "tools/quantizer/dense_q8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "runtime/core/half.h"
#include "runtime/math/tensor_read.h"
#include "runtime/model/model.h"
#include "tools/quantizer/hf_converter.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

TEST(DenseQ8, EveryGroupWithinHalfAStepOfItsSource) {
  // 5 rows of 300 columns: groups of 128, 128 and 44; one row all zero; bf16 source.
  const int64_t rows = 5, cols = 300;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<uint16_t> source(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) source[i] = i / cols == 2 ? 0 : f32_to_bf16(dist(rng));
  DenseTensor w{DType::kBF16, source.data(), rows, cols};
  const std::vector<uint8_t> bytes = quantize_dense_q8(w);
  ASSERT_EQ(static_cast<int64_t>(bytes.size()), dense_bytes(DType::kQ8, rows, cols));
  DenseTensor q{DType::kQ8, bytes.data(), rows, cols};
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    math::read_row(q, r, row.data());
    for (int64_t i = 0; i < cols; ++i) {
      const float scale = q.q8_scales()[r * n_groups(cols) + i / kGroupSize];
      const float exact = bf16_to_f32(source[r * cols + i]);
      EXPECT_LE(std::fabs(row[i] - exact), 0.5f * scale + 1e-9f) << "row " << r << " col " << i;
      if (r == 2) EXPECT_EQ(row[i], 0.0f);
    }
    // Each group's largest magnitude maps to code +-127 (the scale is max|w| / 127).
    for (int64_t g = 0; g < n_groups(cols) && r != 2; ++g) {
      int max_code = 0;
      for (int64_t i = g * kGroupSize; i < std::min(cols, (g + 1) * kGroupSize); ++i)
        max_code = std::max(max_code, std::abs(int{q.q8_codes()[r * cols + i]}));
      EXPECT_EQ(max_code, 127) << "row " << r << " group " << g;
    }
  }
}

TEST(DenseQ8, FixtureAConvertedWithQ8EmbeddingReadsBack) {
  const fs::path dir = fs::temp_directory_path() / ("mobiq-q8-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ConvertOptions plain, q8;
  plain.input_dir = q8.input_dir = std::string(MOBIQ_SOURCE_DIR) + "/models/fixture-a";
  plain.output_path = (dir / "plain.mbq").string();
  q8.output_path = (dir / "q8.mbq").string();
  q8.dense_q8 = true;
  ASSERT_TRUE(convert_hf_to_mbq(plain).ok());
  ASSERT_TRUE(convert_hf_to_mbq(q8).ok());
  auto a = Model::open_mbq(plain.output_path);
  auto b = Model::open_mbq(q8.output_path);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().to_string() << " " << b.status().to_string();
  EXPECT_LT(fs::file_size(q8.output_path), fs::file_size(plain.output_path));
  EXPECT_EQ(b->weights().token_embedding.dtype, DType::kQ8);
  EXPECT_EQ(b->weights().output.dtype, DType::kQ8);  // tied: the head is the embedding
  EXPECT_NE(b->weights().final_norm.dtype, DType::kQ8);
  const int64_t hidden = a->config().hidden_size;
  std::vector<float> x(hidden), y(hidden);
  for (int64_t id : {0, 1, 500, 31999}) {
    math::read_row(a->weights().token_embedding, id, x.data());
    math::read_row(b->weights().token_embedding, id, y.data());
    double err = 0, norm = 0;
    for (int64_t i = 0; i < hidden; ++i) {
      err += (x[i] - y[i]) * (x[i] - y[i]);
      norm += x[i] * x[i];
    }
    EXPECT_LT(std::sqrt(err / std::max(norm, 1e-30)), 0.01) << "token " << id;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace mobiq
