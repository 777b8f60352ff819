// Dense tensors whose storage starts at an odd byte address, as a safetensors file with an odd
// header length puts them (legal: the format only recommends padding). Every reader must give the
// values an aligned copy gives. Under UBSan (the `debug` preset, which does not recover) a
// misaligned uint16_t or float load fails these tests.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "runtime/core/half.h"
#include "runtime/math/matmul.h"
#include "runtime/math/tensor_read.h"
#include "tests/cpu/random_weights.h"

namespace mobiq::cpu {
namespace {

constexpr int64_t kRows = 19, kCols = 37;

// The same tensor twice: once in aligned storage, once one byte past an aligned address.
struct TwoCopies {
  explicit TwoCopies(DType dtype) {
    const std::vector<float> values = test::random_floats(kRows * kCols, 17);
    const size_t elem = dtype_size(dtype);
    aligned.resize(values.size() * elem / sizeof(float) + 1);
    odd.resize(aligned.size() + 2);
    auto* a = reinterpret_cast<uint8_t*>(aligned.data());
    for (size_t i = 0; i < values.size(); ++i) {
      if (dtype == DType::kF32) {
        std::memcpy(a + i * 4, &values[i], 4);
      } else {
        const uint16_t h = dtype == DType::kF16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
        std::memcpy(a + i * 2, &h, 2);
      }
    }
    uint8_t* o = reinterpret_cast<uint8_t*>(odd.data()) + 1;
    std::memcpy(o, a, values.size() * elem);
    aligned_view = {dtype, a, kRows, kCols};
    odd_view = {dtype, o, kRows, kCols};
  }
  std::vector<float> aligned, odd;  // float storage: aligned for every dtype
  DenseTensor aligned_view, odd_view;
};

class UnalignedReadTest : public ::testing::TestWithParam<DType> {};

TEST_P(UnalignedReadTest, ReadRowAndElementMatchAnAlignedCopy) {
  const TwoCopies t(GetParam());
  std::vector<float> a(kCols), o(kCols);
  for (int64_t r = 0; r < kRows; ++r) {
    math::read_row(t.aligned_view, r, a.data());
    math::read_row(t.odd_view, r, o.data());
    ASSERT_EQ(a, o) << "row " << r;
    for (int64_t c = 0; c < kCols; ++c)
      ASSERT_EQ(math::read_element(t.odd_view, r * kCols + c), a[c]) << "row " << r << " col " << c;
  }
}

TEST_P(UnalignedReadTest, DenseMatmulMatchesAnAlignedCopy) {
  const TwoCopies t(GetParam());
  ThreadPool pool(1);
  math::MatmulWorkspace workspace(pool.size(), kCols);
  for (int64_t tokens : {1, 9}) {  // the decode path (dot products) and the batched path (read_row)
    const std::vector<float> x = test::random_floats(tokens * kCols, 5);
    std::vector<float> ya(tokens * kRows), yo(tokens * kRows);
    math::matmul_dense(t.aligned_view, x.data(), tokens, ya.data(), pool, workspace);
    math::matmul_dense(t.odd_view, x.data(), tokens, yo.data(), pool, workspace);
    ASSERT_EQ(ya, yo) << tokens << " tokens";
  }
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, UnalignedReadTest, ::testing::Values(DType::kF32, DType::kF16, DType::kBF16),
                         [](const auto& info) {
                           return std::string(info.param == DType::kF32   ? "F32"
                                              : info.param == DType::kF16 ? "F16"
                                                                          : "BF16");
                         });

}  // namespace
}  // namespace mobiq::cpu
