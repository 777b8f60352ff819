// The backend interface. A backend says whether it can run a model, then builds an Executor that
// owns everything one sequence needs on that device (KV cache, activations, scratch), planned once
// at creation for a context length and a largest batch, so that nothing is allocated per token.
// The CPU reference backend (backends/cpu) is the oracle every other backend is tested against.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "runtime/core/result.h"
#include "runtime/model/model.h"

namespace mobiq {

struct ExecutorOptions {
  int32_t context_size = 2048;  // positions the KV cache holds
  int32_t max_batch = 512;      // most tokens one forward() call may carry
  int32_t n_threads = 0;        // CPU threads; <= 0: one per hardware thread
};

// How many slice planes each token reads in each group of linears (ignored for dense linears).
struct SlicePlan {
  enum class Mode : uint8_t {
    kUniform,   // every token, every group: `slices`
    kPerGroup,  // every token: group_slices[layer * kLinearGroups + group], each 1..4
    kExplicit,  // explicit[(token * n_layers + layer) * kLinearGroups + group], each 1..4
    kRouted,    // each group's router against thresholds[layer * kLinearGroups + group]
    kRandom,    // each token and group independently: floor(m) or floor(m) + 1 slices, mean m = random_mean
  };
  Mode mode = Mode::kUniform;
  int32_t slices = 4;
  std::span<const uint8_t> group_slices;
  std::span<const uint8_t> explicit_slices;
  std::span<const float> thresholds;
  double random_mean = 4.0;  // kRandom: mean slice count, 1..4
  uint64_t random_seed = 0;  // kRandom: draws depend on (seed, position, layer, group) only
  int32_t max_slices = 4;  // a cap on every count (the planes kept resident)
};

// What a forward pass read, so callers can report bits per weight actually used.
struct ForwardStats {
  double slice_weights = 0.0;    // sum over tokens and sliced linears of out * in * slices read
  double router_parameters = 0.0;  // sum over tokens of the router parameters evaluated
  int64_t tokens = 0;
};

// Sees the input shared by each group of linears (calibration reads activations through this).
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  // x: [n][dim], the tokens of this forward pass in order.
  virtual void observe(int layer, LinearGroup group, const float* x, int64_t n, int64_t dim) = 0;
};

// One decoder pass over consecutive tokens of one sequence.
struct ForwardRequest {
  std::span<const int32_t> tokens;  // [n] token ids, n <= max_batch
  int32_t start_position = 0;       // position of tokens[0]; the cache must hold [0, start_position)
  SlicePlan plan;
  bool all_logits = false;          // logits for every token ([n][vocab]) or only the last ([vocab])
  ForwardStats* stats = nullptr;    // accumulated into when set
  ActivationObserver* observer = nullptr;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs the tokens through the model, appends their keys/values to the cache and writes logits.
  // `logits` holds n * vocab floats when request.all_logits, else vocab floats.
  virtual Status forward(const ForwardRequest& request, float* logits) = 0;
  // Cache positions currently filled.
  virtual int32_t cached_positions() const = 0;
  virtual int32_t context_size() const = 0;
  virtual int32_t max_batch() const = 0;
  // Forgets cached positions at and after `position` (0 clears the sequence).
  virtual Status truncate(int32_t position) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // ok() when this backend can run `model` (dtypes, shapes); otherwise why not.
  virtual Status supports(const Model& model) const = 0;
  virtual Result<std::unique_ptr<Executor>> create_executor(const Model& model,
                                                             const ExecutorOptions& options) = 0;
};

}  // namespace mobiq
