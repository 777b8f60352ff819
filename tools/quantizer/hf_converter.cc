#include "tools/quantizer/hf_converter.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "format/mbq_tensors.h"
#include "format/mbq_writer.h"
#include "runtime/core/half.h"
#include "runtime/core/output_path.h"
#include "runtime/core/unaligned.h"
#include "runtime/model/hf_checkpoint.h"
#include "tools/quantizer/dense_q8.h"
#include "tools/quantizer/nested_rtn.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr fb::Projection kProjections[] = {fb::Projection::Q,    fb::Projection::K,  fb::Projection::V,
                                           fb::Projection::O,    fb::Projection::Gate, fb::Projection::Up,
                                           fb::Projection::Down};

const LinearWeights& linear_of(const LayerWeights& layer, fb::Projection projection) {
  switch (projection) {
    case fb::Projection::Q: return layer.q;
    case fb::Projection::K: return layer.k;
    case fb::Projection::V: return layer.v;
    case fb::Projection::O: return layer.o;
    case fb::Projection::Gate: return layer.gate;
    case fb::Projection::Up: return layer.up;
    case fb::Projection::Down: break;
  }
  return layer.down;
}

// A dense tensor's elements as f32, into `dst` (resized; reused across calls to avoid reallocation).
// Safetensors data may start at an odd offset of the mapped file: unaligned loads.
void to_f32(const DenseTensor& t, std::vector<float>& dst) {
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  dst.resize(n);
  if (t.dtype == DType::kF32) {
    std::memcpy(dst.data(), t.data, n * sizeof(float));
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    const uint16_t h = load_unaligned<uint16_t>(t.data, static_cast<int64_t>(i));
    dst[i] = t.dtype == DType::kBF16 ? bf16_to_f32(h) : f16_to_f32(h);
  }
}

std::span<const uint8_t> bytes_of(const DenseTensor& t) {
  return {static_cast<const uint8_t*>(t.data), static_cast<size_t>(t.rows * t.cols * dtype_size(t.dtype))};
}

// model_type from config.json ("llama", "mistral", ...), "llama" when absent.
Result<std::string> architecture_of(const std::string& config_json) {
  const json config = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object()) return corrupt_file("config.json is not a JSON object");
  const auto it = config.find("model_type");
  return it != config.end() && it->is_string() ? it->get<std::string>() : std::string("llama");
}

struct Plan {
  std::vector<MbqDenseSpec> dense;
  std::vector<DenseTensor> dense_sources;  // parallel to dense
  std::vector<MbqLinearSpec> linears;
};

Plan plan_tensors(const ModelConfig& config, const ModelWeights& w, bool dense_q8) {
  Plan plan;
  auto add_dense = [&](std::string name, fb::DenseRole role, int32_t layer, const DenseTensor& src) {
    const bool matrix = role == fb::DenseRole::TokenEmbedding || role == fb::DenseRole::Output;
    std::vector<int64_t> shape = src.rows == 1 && !matrix ? std::vector<int64_t>{src.cols}
                                                          : std::vector<int64_t>{src.rows, src.cols};
    plan.dense.push_back({std::move(name), role, layer, matrix && dense_q8 ? DType::kQ8 : src.dtype, std::move(shape)});
    plan.dense_sources.push_back(src);
  };
  add_dense("model.embed_tokens.weight", fb::DenseRole::TokenEmbedding, -1, w.token_embedding);
  for (int32_t l = 0; l < config.n_layers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".";
    add_dense(prefix + "input_layernorm.weight", fb::DenseRole::AttnNorm, l, w.layers[l].attn_norm);
    add_dense(prefix + "post_attention_layernorm.weight", fb::DenseRole::FfnNorm, l, w.layers[l].ffn_norm);
  }
  add_dense("model.norm.weight", fb::DenseRole::FinalNorm, -1, w.final_norm);
  if (!config.tie_embeddings) add_dense("lm_head.weight", fb::DenseRole::Output, -1, w.output);

  for (int32_t l = 0; l < config.n_layers; ++l)
    for (fb::Projection p : kProjections) {
      const LinearWeights& src = linear_of(w.layers[l], p);
      plan.linears.push_back({l, p, src.out(), src.in(), kMaxPlanes});
    }
  return plan;
}

}  // namespace

const char* converter_version() { return "mobiq " MOBIQ_VERSION; }

Status convert_hf_to_mbq(const ConvertOptions& options) {
  if (options.input_dir.empty()) return invalid_argument("no input directory given");
  if (options.output_path.empty()) return invalid_argument("no output path given");
  // The output must not be the input directory or any file in it.
  MOBIQ_ASSIGN_OR_RETURN(const std::vector<std::string> protected_paths, directory_and_entries(options.input_dir));
  MOBIQ_RETURN_IF_ERROR(refuse_output_over_inputs(options.output_path, protected_paths));
  MOBIQ_RETURN_IF_ERROR(check_output_writable(options.output_path));
  MOBIQ_ASSIGN_OR_RETURN(const HfCheckpoint checkpoint, HfCheckpoint::open(options.input_dir));
  MOBIQ_ASSIGN_OR_RETURN(const ModelWeights weights, checkpoint.weights());
  const ModelConfig& config = checkpoint.config();

  MbqMetadata metadata;
  metadata.config = config;
  MOBIQ_ASSIGN_OR_RETURN(metadata.architecture, architecture_of(checkpoint.config_json()));
  metadata.tokenizer_json = checkpoint.tokenizer_json();
  if (metadata.tokenizer_json.empty())
    return not_found(options.input_dir + ": no tokenizer.json (a .mbq file carries its tokenizer)");
  metadata.tokenizer_config_json = checkpoint.tokenizer_config_json();
  MOBIQ_ASSIGN_OR_RETURN(metadata.chat_template, checkpoint.chat_template());
  metadata.source = "huggingface:" + fs::weakly_canonical(options.input_dir).filename().string();
  metadata.source_dtype = weights.layers.empty() ? weights.token_embedding.dtype : weights.layers[0].q.dense.dtype;
  metadata.quantization_method = options.calibrated ? kCalibratedMethod : kNestedRtnMethod;
  if (options.calibrated) {
    if (options.calibrated->linears.size() != static_cast<size_t>(config.n_layers) * std::size(kProjections))
      return invalid_argument("calibrated content has " + std::to_string(options.calibrated->linears.size()) +
                              " linears for " + std::to_string(config.n_layers) + " layers");
    metadata.routers = options.calibrated->routers;
    metadata.budget_table = options.calibrated->budget_table;
    metadata.calibration = options.calibrated->record;
  }
  metadata.converter_version = converter_version();

  Plan plan = plan_tensors(config, weights, options.dense_q8);
  MbqWriterOptions writer_options;
  writer_options.protected_paths = protected_paths;
  MOBIQ_ASSIGN_OR_RETURN(MbqWriter writer, MbqWriter::create(options.output_path, std::move(metadata), plan.dense,
                                                             plan.linears, writer_options));
  for (size_t i = 0; i < plan.dense.size(); ++i) {
    if (plan.dense[i].dtype == DType::kQ8) {
      MOBIQ_RETURN_IF_ERROR(writer.write_dense(i, quantize_dense_q8(plan.dense_sources[i])));
    } else {
      MOBIQ_RETURN_IF_ERROR(writer.write_dense(i, bytes_of(plan.dense_sources[i])));
    }
  }

  // One linear at a time: its f32 copy and its quantized arrays are the only weights held in memory.
  std::vector<float> rows;
  ConvertProgress progress;
  progress.total = static_cast<int64_t>(plan.linears.size());
  for (size_t i = 0; i < plan.linears.size(); ++i) {
    const MbqLinearSpec& spec = plan.linears[i];
    const std::string name = "layer " + std::to_string(spec.layer) + " " + projection_name(spec.projection);
    if (options.calibrated) {
      MOBIQ_RETURN_IF_ERROR(writer.write_linear(i, options.calibrated->linears[i].view()));
    } else {
      to_f32(linear_of(weights.layers[spec.layer], spec.projection).dense, rows);
      auto quantized = quantize_nested_rtn(rows.data(), spec.out, spec.in);
      if (!quantized.ok()) return quantized.status().with_context(name);
      MOBIQ_RETURN_IF_ERROR(writer.write_linear(i, quantized->view()));
    }
    if (options.progress) {
      progress.done = static_cast<int64_t>(i + 1);
      progress.what = name;
      options.progress(progress);
    }
  }
  return writer.finish();
}

}  // namespace mobiq
