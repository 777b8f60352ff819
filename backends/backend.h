// The backend interface, in three stages (DESIGN.md, "Backends"):
//   load:    Backend::load places a model's weights where the backend computes, once, repacked if
//            its kernels want another layout; the LoadedModel is shared by every session of that
//            model and owns plane residency (the CPU gives pages back, a GPU frees plane buffers).
//   plan:    Executor::set_plan stores the slice plan as executor state; routers run inside the
//            backend and write each token's slice count where the kernels read it.
//   forward: tokens in, the requested output out (last or all logits, or the argmax); what was read
//            is counted on the device and read on demand (Executor::read_stats).
// An Executor owns everything one sequence needs (KV cache, activations, scratch), planned once at
// creation for a context length and a largest batch, so nothing is allocated per token. The CPU
// reference backend (backends/cpu) is the oracle every other backend is tested against
// (tests/backends/conformance_test.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "backends/slice_plan.h"
#include "runtime/core/result.h"
#include "runtime/model/model.h"

namespace mobiq {

struct ExecutorOptions {
  int32_t context_size = 2048;  // positions the KV cache holds
  int32_t max_batch = 512;      // most tokens one forward() call may carry
  int32_t n_threads = 0;        // CPU threads; <= 0: one per hardware thread
  bool record_slices = false;   // keep each token's slice counts of the last forward (read_slice_counts)
};

// What the forward passes read, so callers can report bits per weight actually used.
struct ReadStats {
  double slice_weights = 0.0;      // sum over tokens and sliced linears of out * in * slices read
  double router_parameters = 0.0;  // sum over tokens of the router parameters evaluated
  int64_t tokens = 0;
};

// What forward() writes.
struct ForwardOutput {
  enum class Kind : uint8_t {
    kNone,        // nothing (a prompt whose logits nobody reads)
    kLastLogits,  // logits of the last token: [vocab] floats
    kAllLogits,   // logits of every token: [n][vocab] floats
    kArgmax,      // the last token's most likely next token (no logits leave the device)
  };
  Kind kind = Kind::kLastLogits;
  float* logits = nullptr;    // kLastLogits, kAllLogits
  int32_t* argmax = nullptr;  // kArgmax
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Validates and stores the plan used from the next forward() on. Nothing changes on an error.
  virtual Status set_plan(const SlicePlan& plan) = 0;
  // Runs `tokens` (n <= max_batch) through the model at positions start_position.., appends their
  // keys and values to the cache and writes `output`. The cache must hold [0, start_position).
  virtual Status forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) = 0;
  // Totals since creation (callers subtract two readings for an interval).
  virtual ReadStats read_stats() const = 0;
  // With ExecutorOptions::record_slices: the slice counts the last forward() used,
  // [n][n_layers][kLinearGroups] (the layout of SlicePlan::explicit_slices), so a test can replay a
  // routed pass on another backend as an explicit plan. kInvalidArgument without recording.
  virtual Status read_slice_counts(std::span<uint8_t> out) const = 0;
  // Cache positions currently filled.
  virtual int32_t cached_positions() const = 0;
  virtual int32_t context_size() const = 0;
  virtual int32_t max_batch() const = 0;
  // Forgets cached positions at and after `position` (0 clears the sequence).
  virtual Status truncate(int32_t position) = 0;
};

// A model's weights placed on one backend. The Model it was loaded from must outlive it; executors
// keep their LoadedModel alive.
class LoadedModel {
 public:
  virtual ~LoadedModel() = default;
  virtual const char* backend_name() const = 0;
  virtual const Model& model() const = 0;
  virtual Result<std::unique_ptr<Executor>> create_executor(const ExecutorOptions& options) = 0;
  // Keeps slice planes 0..planes-1 where the backend computes and releases the others (1 ..
  // model().max_slices()); kUnsupported for a model without slices. Every executor of the model caps
  // its tokens' slice counts at resident_planes() from its next forward pass on, whatever its plan,
  // so no kernel reads a released plane (sessions sharing a model share its residency).
  virtual Status set_resident_planes(int planes) = 0;
  virtual int resident_planes() const = 0;
  // Bytes of slice planes the backend holds in memory now (measured, not computed, where possible).
  virtual uint64_t resident_plane_bytes() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // ok() when this backend can run `model` (dtypes, shapes); otherwise why not.
  virtual Status supports(const Model& model) const = 0;
  virtual Result<std::shared_ptr<LoadedModel>> load(const Model& model) = 0;
};

}  // namespace mobiq
