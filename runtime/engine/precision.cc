#include "runtime/engine/precision.h"

#include <cmath>
#include <cstdio>

namespace mobiq {

std::string format_bits(double bits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", bits);
  return text;
}

Status check_budget_bits(double bits, int32_t max_slices) {
  if (max_slices < 1) return unsupported("an unquantized model has no precision budget");
  if (std::isnan(bits)) return invalid_argument("budget is NaN");
  const double max_bits = kBitsPerSlice * max_slices;
  if (bits < kBitsPerSlice || bits > max_bits)
    return out_of_range("budget " + format_bits(bits) + " bits outside " + format_bits(kBitsPerSlice) + ".." +
                        format_bits(max_bits));
  return Status::Ok();
}

int64_t sliced_weight_count(const ModelWeights& weights) {
  int64_t total = 0;
  for (const LayerWeights& layer : weights.layers)
    for (const LinearWeights* w : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (w->is_sliced()) total += w->out() * w->in();
  return total;
}

double router_bits_per_token(const ModelWeights& weights, int64_t sliced_weights) {
  if (sliced_weights == 0) return 0.0;
  double parameters = 0.0;
  for (const LayerWeights& layer : weights.layers)
    for (const RouterWeights& router : layer.routers) parameters += static_cast<double>(router.parameters());
  return kRouterParameterBits * parameters / static_cast<double>(sliced_weights);
}

ReadStats read_between(const ReadStats& before, const ReadStats& after) {
  return {after.slice_weights - before.slice_weights, after.router_parameters - before.router_parameters,
          after.tokens - before.tokens};
}

double bits_per_weight(const ReadStats& stats, int64_t sliced_weights) {
  if (stats.tokens == 0 || sliced_weights == 0) return 0.0;
  return (kBitsPerSlice * stats.slice_weights + kRouterParameterBits * stats.router_parameters) /
         (static_cast<double>(stats.tokens) * static_cast<double>(sliced_weights));
}

}  // namespace mobiq
