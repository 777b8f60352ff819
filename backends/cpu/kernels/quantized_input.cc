#include "backends/cpu/kernels/quantized_input.h"

#include <string>

#include "format/slice_layout.h"

namespace mobiq::cpu {

static_assert(kGroupInputs == kGroupSize, "kernels assume the format's group of 128");

Status QuantizedInput::reserve(int64_t max_tokens, int64_t max_in) {
  if (max_tokens < 1 || max_in < 1)
    return invalid_argument("quantized input: " + std::to_string(max_tokens) + " tokens of " + std::to_string(max_in));
  const int64_t groups = max_tokens * n_groups(max_in);
  if (groups <= capacity_groups_) return Status::Ok();
  MOBIQ_ASSIGN_OR_RETURN(codes_, AlignedBuffer::allocate(groups * kGroupInputs, "quantized input codes"));
  MOBIQ_ASSIGN_OR_RETURN(scales_, AlignedBuffer::allocate(groups * sizeof(float), "quantized input scales"));
  MOBIQ_ASSIGN_OR_RETURN(sums_, AlignedBuffer::allocate(groups * sizeof(int32_t), "quantized input sums"));
  capacity_groups_ = groups;
  return Status::Ok();
}

QuantizedView QuantizedInput::view() const {
  return {reinterpret_cast<const int8_t*>(codes_.data()), reinterpret_cast<const float*>(scales_.data()),
          reinterpret_cast<const int32_t*>(sums_.data()), tokens_, groups_};
}

Status quantize_input(const KernelSet& set, const float* x, int64_t n, int64_t in, QuantizedInput& out) {
  MOBIQ_RETURN_IF_ERROR(out.reserve(n, in));
  out.tokens_ = n;
  out.in_ = in;
  out.groups_ = n_groups(in);
  set.quantize(x, n, in, reinterpret_cast<int8_t*>(out.codes_.data()), reinterpret_cast<float*>(out.scales_.data()),
               reinterpret_cast<int32_t*>(out.sums_.data()));
  return Status::Ok();
}

}  // namespace mobiq::cpu
