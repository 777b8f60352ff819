// Opens a .mbq file: maps it read-only and verifies it completely before handing out anything.
// Checks, in order: the preamble (format/preamble.h); the flatbuffer's checksum, file_identifier and
// structure (flatbuffers::Verifier); the hyper-parameters; every segment's bounds, alignment and order;
// every tensor's segment references, kinds and sizes against its shape and the hyper-parameters; and,
// unless the caller opts out, every segment's XXH3-64. Errors name the problem and the segment or tensor
// ("segment 12 (layer 3 down plane 2): checksum mismatch").
// Views point into the mapping: nothing is copied, and they live as long as the MbqFile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/mbq_generated.h"
#include "format/model_config.h"
#include "format/model_weights.h"
#include "format/preamble.h"
#include "runtime/core/mapped_file.h"
#include "runtime/core/result.h"

namespace mobiq {

struct MbqReadOptions {
  bool verify_checksums = true;  // XXH3-64 of every segment at open; off only for a trusted file
};

class MbqFile {
 public:
  static Result<MbqFile> open(const std::string& path, const MbqReadOptions& options = {});

  const Preamble& preamble() const { return preamble_; }
  const fb::Model& model() const { return *model_; }  // the verified metadata
  const ModelConfig& config() const { return config_; }
  const MappedFile& mapping() const { return file_; }

  uint32_t segment_count() const { return static_cast<uint32_t>(segment_labels_.size()); }
  const uint8_t* segment_data(uint32_t index) const;
  uint64_t segment_size(uint32_t index) const;
  // What a segment holds, for messages: "layer 3 down plane 2", "token_embedding".
  const std::string& segment_label(uint32_t index) const { return segment_labels_[index]; }

  // Views of verified tensors (from model().dense_tensors() / model().linears()).
  DenseTensor dense_view(const fb::DenseTensor& tensor) const;
  SlicedTensor sliced_view(const fb::SlicedLinear& linear) const;

 private:
  MbqFile(MappedFile file, Preamble preamble) : file_(std::move(file)), preamble_(preamble) {}
  Status verify(const MbqReadOptions& options);
  Status verify_config();
  Status label_segments();
  Status verify_segments();
  Status verify_dense(const fb::DenseTensor& tensor, size_t index) const;
  Status verify_linear(const fb::SlicedLinear& linear, size_t index) const;
  Status verify_routers() const;
  Status verify_budget_table() const;
  Status verify_checksums() const;

  MappedFile file_;
  Preamble preamble_;
  const fb::Model* model_ = nullptr;
  ModelConfig config_;
  std::vector<std::string> segment_labels_;
};

}  // namespace mobiq
