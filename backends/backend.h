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

// One decoder pass over consecutive tokens of one sequence.
struct ForwardRequest {
  std::span<const int32_t> tokens;  // [n] token ids, n <= max_batch
  int32_t start_position = 0;       // position of tokens[0]; the cache must hold [0, start_position)
  int32_t slices = 4;               // slice planes every sliced linear reads (1..4); ignored for dense
  bool all_logits = false;          // logits for every token ([n][vocab]) or only the last ([vocab])
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
