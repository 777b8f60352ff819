// Writes a .mbq file. The layout of every segment is planned from the tensor descriptions before any
// weight is written, so a converter can hand over tensors in whatever order it produces them (one layer
// at a time) while the file stays plane-major (format/SLICE_LAYOUT.md):
//   auto w = MbqWriter::create(path, metadata, dense_specs, linear_specs);
//   w->write_dense(i, bytes) / w->write_linear(j, sliced) for every tensor, then w->finish().
// Bytes go to a temporary file beside the output, renamed over the output only by a successful finish();
// a writer destroyed before that removes its temporary file, so no partial output is ever left. The
// temporary file is registered with runtime/core/interrupt_cleanup.h, so a program that installed
// those handlers removes it on SIGINT/SIGTERM too; only SIGKILL (or a crash) can leave one behind.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "format/mbq_generated.h"
#include "format/model_config.h"
#include "format/model_weights.h"
#include "format/preamble.h"
#include "runtime/core/result.h"

namespace mobiq {

// Everything in the file except the weights.
// A router as the calibrator produced it (f32; written as f16). Shapes as in format/mbq.fbs.
struct MbqRouter {
  int32_t layer = 0;
  LinearGroup group = LinearGroup::kQkv;
  int32_t input_dim = 0;
  int32_t hidden = 0;
  std::vector<float> w1, b1, w2, b2;
};

struct MbqBudgetEntry {
  float budget_bits = 0.0f;
  std::vector<float> thresholds;      // per router; empty: the fixed allocation runs this budget
  std::vector<uint8_t> fixed_slices;  // [n_layers * kLinearGroups]
  float calibration_bits = 0.0f;
};

struct MbqCalibration {
  std::string method;
  std::string dataset;
  int32_t windows = 0;
  int32_t window_tokens = 0;
  uint64_t seed = 0;
  float seconds = 0.0f;
};

struct MbqMetadata {
  ModelConfig config;
  std::string architecture;           // "llama"
  std::string tokenizer_json;         // verbatim tokenizer.json
  std::string tokenizer_config_json;  // verbatim tokenizer_config.json (may be empty)
  std::string chat_template;          // may be empty
  std::string source;                 // "huggingface:fixture-a"
  DType source_dtype = DType::kBF16;
  std::string quantization_method;    // "nested-rtn"
  std::string converter_version;      // "mobiq 0.1.0"
  // Calibrated files only: routers in (layer, group) order, budget table ascending, the record.
  std::vector<MbqRouter> routers;
  std::vector<MbqBudgetEntry> budget_table;
  std::optional<MbqCalibration> calibration;
};

struct MbqDenseSpec {
  std::string name;                   // the source's tensor name
  fb::DenseRole role = fb::DenseRole::TokenEmbedding;
  int32_t layer = -1;                 // -1 outside the decoder layers
  DType dtype = DType::kF16;
  std::vector<int64_t> shape;         // 1 or 2 dimensions
};

struct MbqLinearSpec {
  int32_t layer = 0;
  fb::Projection projection = fb::Projection::Q;
  int64_t out = 0;
  int64_t in = 0;
  int32_t n_planes = kMaxPlanes;
};

struct MbqWriterOptions {
  // Files the output must never replace (a converter's inputs); compared by identity, so links count.
  std::vector<std::string> protected_paths;
  uint32_t plane_alignment = kDefaultPlaneAlignment;  // power of two, >= kMinSegmentAlignment
};

class MbqWriter {
 public:
  // Plans the layout and creates the temporary file. kInvalidArgument for a malformed spec or an output
  // that is a protected path or a directory; kIoError when the temporary file cannot be created.
  static Result<MbqWriter> create(const std::string& output_path, MbqMetadata metadata,
                                  std::vector<MbqDenseSpec> dense, std::vector<MbqLinearSpec> linears,
                                  const MbqWriterOptions& options = {});

  MbqWriter(MbqWriter&&) noexcept;
  MbqWriter& operator=(MbqWriter&&) noexcept;
  ~MbqWriter();

  // The bytes of dense tensor `index` (exactly product(shape) * dtype_size bytes, row-major).
  Status write_dense(size_t index, std::span<const uint8_t> bytes);
  // Planes, scales and zeros of linear `index`; out, in and n_planes must match its spec.
  Status write_linear(size_t index, const SlicedTensor& sliced);
  // Checks every tensor was written, appends the flatbuffer, writes the preamble, syncs and renames the
  // temporary file onto the output path.
  Status finish();

  const std::string& temporary_path() const;

 private:
  struct Impl;
  explicit MbqWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mobiq
