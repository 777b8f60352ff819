#include "backends/cpu/kernels/kernels.h"

#include <string>

namespace mobiq::cpu {

namespace {

Status check_rows(int64_t out, int64_t in, int64_t x_in, int64_t r0, int64_t r1) {
  if (x_in != in)
    return invalid_argument("matmul: input has " + std::to_string(x_in) + " columns, weights " + std::to_string(in));
  if (r0 < 0 || r1 > out || r0 >= r1 || r0 % kRowBlock != 0 || (r1 % kRowBlock != 0 && r1 != out))
    return invalid_argument("matmul: rows [" + std::to_string(r0) + ", " + std::to_string(r1) + ") of " +
                            std::to_string(out) + " are not aligned to blocks of " + std::to_string(kRowBlock));
  return Status::Ok();
}

}  // namespace

Status sliced_matmul_rows(const KernelSet& set, const PackedSliced& w, int k, const QuantizedInput& x, int64_t r0,
                          int64_t r1, float* y) {
  if (k < 1 || k > w.resident_planes())
    return invalid_argument("sliced matmul: " + std::to_string(k) + " slices of " + std::to_string(w.resident_planes()) +
                            " resident planes");
  MOBIQ_RETURN_IF_ERROR(check_rows(w.out(), w.in(), x.in(), r0, r1));
  set.sliced_rows(w.view(), k, x.view(), r0 / kRowBlock, (r1 + kRowBlock - 1) / kRowBlock, y, w.out());
  return Status::Ok();
}

Status dense_q8_matmul_rows(const KernelSet& set, const PackedDenseQ8& w, const QuantizedInput& x, int64_t r0,
                            int64_t r1, float* y) {
  MOBIQ_RETURN_IF_ERROR(check_rows(w.out(), w.in(), x.in(), r0, r1));
  set.dense_q8_rows(w.view(), x.view(), r0 / kRowBlock, (r1 + kRowBlock - 1) / kRowBlock, y, w.out());
  return Status::Ok();
}

}  // namespace mobiq::cpu
