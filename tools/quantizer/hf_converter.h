// Converts an unquantized Hugging Face LLaMA-family checkpoint into a .mbq file: the seven linears of
// every decoder layer are quantized with nested RTN (tools/quantizer/nested_rtn.h) into four 2-bit
// planes; the token embedding, the norms and an untied output head are copied in their source dtype
// (bf16, f16 or f32: nothing is rounded); the tokenizer texts, chat template and hyper-parameters go in
// the metadata. The output is a pure function of the input (same checkpoint, same bytes) and is written
// through a temporary file, so a failed conversion leaves nothing at the output path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <vector>

#include "format/mbq_writer.h"
#include "runtime/core/status.h"
#include "tools/quantizer/nested_rtn.h"

namespace mobiq {

inline constexpr const char* kNestedRtnMethod = "nested-rtn";
inline constexpr const char* kCalibratedMethod = "mobiq-calibrated";

// What a calibration produced, written instead of nested RTN slices.
struct CalibratedContent {
  std::vector<NestedRtnLinear> linears;  // layer-major, then q, k, v, o, gate, up, down
  std::vector<MbqRouter> routers;
  std::vector<MbqBudgetEntry> budget_table;
  MbqCalibration record;
};

struct ConvertProgress {
  int64_t done = 0;   // linears quantized so far
  int64_t total = 0;  // 7 * n_layers
  std::string what;   // the linear just finished: "layer 3 down"
};

struct ConvertOptions {
  std::string input_dir;    // config.json, *.safetensors, tokenizer.json, tokenizer_config.json
  std::string output_path;  // the .mbq to write; never one of the input's files
  std::function<void(const ConvertProgress&)> progress;  // optional; called after every linear
  const CalibratedContent* calibrated = nullptr;          // optional: calibrated slices and routers
  // The embedding and the output head 8-bit (DType::kQ8, tools/quantizer/dense_q8.h) instead of the
  // source dtype; norms always keep theirs.
  bool dense_q8 = false;
};

Status convert_hf_to_mbq(const ConvertOptions& options);

// "mobiq <version>": recorded in every file's provenance.
const char* converter_version();

}  // namespace mobiq
