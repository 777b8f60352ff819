// A loaded model: hyper-parameters, weight views, tokenizer, and the storage (mmaps, buffers) that
// keeps the views alive. Opened from a .mbq file or from an unquantized Hugging Face checkpoint.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "format/model_config.h"
#include "format/model_weights.h"
#include "runtime/core/result.h"
#include "runtime/tokenizer/tokenizer.h"

namespace mobiq {

struct MbqOpenOptions {
  bool verify_checksums = true;  // XXH3-64 of every segment; off only when the caller trusts the file
};

class Model {
 public:
  // Implemented in runtime/model/mbq_model.cc.
  static Result<Model> open_mbq(const std::string& path, const MbqOpenOptions& options = {});
  // Implemented in runtime/model/hf_model.cc.
  static Result<Model> open_hf(const std::string& dir);

  // One address range per slice plane inside a read-only file mapping: region p holds plane p of every
  // sliced linear (format/SLICE_LAYOUT.md), so the pages of planes a session does not use can be given
  // back. Empty ranges where a model has no such layout (dense checkpoints).
  using PlaneRegions = std::array<std::span<const uint8_t>, kMaxPlanes>;

  Model(ModelConfig config, ModelWeights weights, Tokenizer tokenizer, std::shared_ptr<const void> storage,
        int max_slices, std::string chat_template, std::span<const uint8_t> mapped_file = {},
        PlaneRegions plane_regions = {})
      : config_(std::move(config)),
        weights_(std::move(weights)),
        tokenizer_(std::make_unique<Tokenizer>(std::move(tokenizer))),
        storage_(std::move(storage)),
        max_slices_(max_slices),
        chat_template_(std::move(chat_template)),
        mapped_file_(mapped_file),
        plane_regions_(plane_regions) {}

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // Slice planes each linear holds (1..4); 0 when the linears are dense (an unquantized checkpoint).
  int max_slices() const { return max_slices_; }
  const std::string& chat_template() const { return chat_template_; }  // Jinja text, may be empty
  // The whole .mbq file as mapped (empty for other models) and, inside it, plane p's region
  // [first plane-p segment's offset, last plane-p segment's end); empty for a plane no linear has.
  std::span<const uint8_t> mapped_file() const { return mapped_file_; }
  const PlaneRegions& plane_regions() const { return plane_regions_; }

 private:
  ModelConfig config_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::shared_ptr<const void> storage_;  // owns what weights_ points into
  int max_slices_ = 0;
  std::string chat_template_;
  std::span<const uint8_t> mapped_file_;
  PlaneRegions plane_regions_{};
};

}  // namespace mobiq
