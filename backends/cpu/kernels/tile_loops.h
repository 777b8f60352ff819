// The loops every kernel set's sliced and q8 kernels share: row blocks, tokens in tiles, and the
// run-time slice count turned into a compile-time one. A set writes only its tile (kRowBlock rows x
// T tokens over every group) and hands these loops a lambda that runs it:
//   with_slice_count(k, [&](auto K) {
//     for_each_tile(x.tokens, block0, block1, [&](auto T, int64_t b, int64_t t0) {
//       tile<decltype(K)::value, decltype(T)::value>(w, x, b, t0, y, y_stride);
//     });
//   });
// Internal linkage (anonymous namespace), as in the ISA helper headers: the includers are compiled
// with different ISA flags, and no instantiation may be shared between them (kernel_views.h).
#pragma once

#include <cstdint>
#include <type_traits>

namespace mobiq::cpu {
namespace {

template <int N>
using Count = std::integral_constant<int, N>;

// tile(Count<T>{}, block, t0) for every block in [block0, block1) and the tokens in tiles of 4, then
// 2 (unless kPairs is false: kernels with no 2-token tile), then 1.
template <bool kPairs = true, typename Tile>
inline void for_each_tile(int64_t tokens, int64_t block0, int64_t block1, const Tile& tile) {
  for (int64_t b = block0; b < block1; ++b) {
    int64_t t = 0;
    for (; t + 4 <= tokens; t += 4) tile(Count<4>{}, b, t);
    if constexpr (kPairs)
      for (; t + 2 <= tokens; t += 2) tile(Count<2>{}, b, t);
    for (; t < tokens; ++t) tile(Count<1>{}, b, t);
  }
}

// f(Count<k>{}) for k in 1..4 (the callers have checked k; anything else runs as 4).
template <typename F>
inline void with_slice_count(int k, const F& f) {
  switch (k) {
    case 1: return f(Count<1>{});
    case 2: return f(Count<2>{});
    case 3: return f(Count<3>{});
    default: return f(Count<4>{});
  }
}

}  // namespace
}  // namespace mobiq::cpu
