#include "format/mbq_reader.h"

#include <flatbuffers/flatbuffers.h>

#include <string>

#include "format/mbq_tensors.h"

namespace mobiq {
namespace {

std::string num(uint64_t v) { return std::to_string(v); }

std::string shape_text(const flatbuffers::Vector<int64_t>& shape) {
  std::string s = "[";
  for (flatbuffers::uoffset_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape.Get(i));
  return s + "]";
}

std::string linear_label(const fb::SlicedLinear& l) {
  return "layer " + std::to_string(l.layer()) + " " + projection_name(l.projection());
}

std::string dense_label(const fb::DenseTensor& d, size_t index) {
  return d.name() != nullptr ? d.name()->str() : "dense tensor " + num(index);
}

const char* dtype_name(fb::DType t) {
  switch (t) {
    case fb::DType::F32: return "f32";
    case fb::DType::F16: return "f16";
    case fb::DType::BF16: return "bf16";
    case fb::DType::Q8: return "q8";
  }
  return "?";
}

// Plane-major order: dense tensors and group parameters (region 0), then plane 0 (region 1), 1, 2, 3.
int region_of(fb::SegmentKind kind) {
  const int k = static_cast<int>(kind);
  return k >= static_cast<int>(fb::SegmentKind::Plane0) ? k - static_cast<int>(fb::SegmentKind::Plane0) + 1 : 0;
}

}  // namespace

Result<MbqFile> MbqFile::open(const std::string& path, const MbqReadOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  auto preamble = decode_preamble(file.data(), file.size());
  if (!preamble.ok()) return preamble.status().with_context(path);
  MbqFile mbq(std::move(file), *preamble);
  MOBIQ_RETURN_IF_ERROR(mbq.verify(options).with_context(path));
  return mbq;
}

const uint8_t* MbqFile::segment_data(uint32_t index) const {
  return file_.data() + model_->segments()->Get(index)->offset();
}

uint64_t MbqFile::segment_size(uint32_t index) const { return model_->segments()->Get(index)->size(); }

DenseTensor MbqFile::dense_view(const fb::DenseTensor& tensor) const {
  DenseTensor view;
  view.dtype = from_fb_dtype(tensor.dtype()).value_or(DType::kF32);
  view.data = segment_data(tensor.segment());
  const auto& shape = *tensor.shape();
  view.rows = shape.size() == 2 ? shape.Get(0) : 1;
  view.cols = shape.Get(shape.size() - 1);
  return view;
}

SlicedTensor MbqFile::sliced_view(const fb::SlicedLinear& linear) const {
  SlicedTensor view;
  view.out = linear.out();
  view.in = linear.in();
  view.n_planes = linear.n_planes();
  for (int p = 0; p < view.n_planes; ++p) view.planes[p] = segment_data(linear.plane_segments()->Get(p));
  view.scales = reinterpret_cast<const uint16_t*>(segment_data(linear.scales_segment()));
  view.zeros = reinterpret_cast<const uint16_t*>(segment_data(linear.zeros_segment()));
  return view;
}

Status MbqFile::verify(const MbqReadOptions& options) {
  const uint8_t* fb_bytes = file_.data() + preamble_.flatbuffer_offset;
  const uint64_t fb_size = preamble_.flatbuffer_size;
  if (mbq_checksum(fb_bytes, fb_size) != preamble_.flatbuffer_xxh3) return corrupt_file("flatbuffer checksum mismatch");
  if (fb_size < 8 || !fb::ModelBufferHasIdentifier(fb_bytes))
    return corrupt_file(std::string("bad file_identifier: the flatbuffer is not tagged \"") + fb::ModelIdentifier() +
                        "\"");
  if (fb_size > FLATBUFFERS_MAX_BUFFER_SIZE) return unsupported("flatbuffer of " + num(fb_size) + " bytes is too large");
  flatbuffers::Verifier verifier(fb_bytes, static_cast<size_t>(fb_size));
  if (!fb::VerifyModelBuffer(verifier)) return corrupt_file("flatbuffer failed structural verification");
  model_ = fb::GetModel(fb_bytes);

  if (model_->format_major() != preamble_.format_major || model_->format_minor() != preamble_.format_minor)
    return corrupt_file("flatbuffer says format " + num(model_->format_major()) + "." + num(model_->format_minor()) +
                        ", the preamble " + num(preamble_.format_major) + "." + num(preamble_.format_minor));
  if (model_->config() == nullptr) return corrupt_file("metadata has no hyper-parameters");
  if (model_->tokenizer() == nullptr || model_->tokenizer()->tokenizer_json() == nullptr)
    return corrupt_file("metadata has no tokenizer");
  if (model_->segments() == nullptr || model_->dense_tensors() == nullptr || model_->linears() == nullptr)
    return corrupt_file("metadata has no segment table or tensor list");

  MOBIQ_RETURN_IF_ERROR(verify_config());
  MOBIQ_RETURN_IF_ERROR(label_segments());
  MOBIQ_RETURN_IF_ERROR(verify_segments());
  for (flatbuffers::uoffset_t i = 0; i < model_->dense_tensors()->size(); ++i)
    MOBIQ_RETURN_IF_ERROR(verify_dense(*model_->dense_tensors()->Get(i), i));
  for (flatbuffers::uoffset_t i = 0; i < model_->linears()->size(); ++i)
    MOBIQ_RETURN_IF_ERROR(verify_linear(*model_->linears()->Get(i), i));
  MOBIQ_RETURN_IF_ERROR(verify_routers());
  MOBIQ_RETURN_IF_ERROR(verify_budget_table());
  if (options.verify_checksums) MOBIQ_RETURN_IF_ERROR(verify_checksums());
  return Status::Ok();
}

// Routers: none, or one per layer and group in (layer, group) order, each vector the size its
// shape implies and its input as wide as the group's linears.
Status MbqFile::verify_routers() const {
  const auto* routers = model_->routers();
  if (routers == nullptr) return Status::Ok();
  const ModelConfig& c = config_;
  const int32_t inputs[4] = {c.hidden_size, c.q_dim(), c.hidden_size, c.intermediate_size};
  if (routers->size() != static_cast<uint32_t>(c.n_layers) * 4)
    return corrupt_file("metadata has " + num(routers->size()) + " routers, expected " + num(c.n_layers * 4) +
                        " (4 per layer)");
  for (uint32_t i = 0; i < routers->size(); ++i) {
    const fb::Router& r = *routers->Get(i);
    const std::string name = "router " + num(i);
    if (r.layer() != static_cast<int32_t>(i / 4) || static_cast<uint32_t>(r.group()) != i % 4)
      return corrupt_file(name + ": out of (layer, group) order");
    if (r.input_dim() != inputs[i % 4]) return corrupt_file(name + ": input width " + num(r.input_dim()) + ", expected " + num(inputs[i % 4]));
    if (r.hidden() <= 0 || r.hidden() > 4096) return corrupt_file(name + ": hidden width " + num(r.hidden()) + " out of range");
    const uint64_t h = static_cast<uint64_t>(r.hidden());
    const struct {
      const flatbuffers::Vector<uint16_t>* v;
      uint64_t size;
      const char* what;
    } parts[] = {{r.w1(), h * static_cast<uint64_t>(r.input_dim()), "w1"}, {r.b1(), h, "b1"}, {r.w2(), 3 * (h + 1), "w2"}, {r.b2(), 3, "b2"}};
    for (const auto& part : parts)
      if (part.v == nullptr || part.v->size() != part.size)
        return corrupt_file(name + ": " + part.what + " has " + num(part.v ? part.v->size() : 0) + " values, expected " +
                            num(part.size));
  }
  return Status::Ok();
}

// Budget table: ascending budgets, each with a fixed allocation of 1..4 slices per layer and group and,
// when routed, a threshold per router.
Status MbqFile::verify_budget_table() const {
  const auto* table = model_->budget_table();
  if (table == nullptr) return Status::Ok();
  const uint32_t per_model = static_cast<uint32_t>(config_.n_layers) * 4;
  float previous = -1.0f;
  for (uint32_t i = 0; i < table->size(); ++i) {
    const fb::BudgetEntry& e = *table->Get(i);
    const std::string name = "budget entry " + num(i);
    if (!(e.budget_bits() > previous)) return corrupt_file(name + ": budgets must ascend");
    previous = e.budget_bits();
    if (e.fixed_slices() == nullptr || e.fixed_slices()->size() != per_model)
      return corrupt_file(name + ": fixed allocation must have " + num(per_model) + " counts");
    for (uint8_t k : *e.fixed_slices())
      if (k < 1 || k > kMaxPlanes) return corrupt_file(name + ": fixed slice count " + num(k) + " outside 1..4");
    if (e.thresholds() != nullptr) {
      if (model_->routers() == nullptr) return corrupt_file(name + ": thresholds without routers");
      if (e.thresholds()->size() != per_model)
        return corrupt_file(name + ": " + num(e.thresholds()->size()) + " thresholds for " + num(per_model) + " routers");
    }
  }
  return Status::Ok();
}

Status MbqFile::verify_config() {
  const fb::Hyperparameters& h = *model_->config();
  ModelConfig& c = config_;
  c.vocab_size = h.vocab_size();
  c.hidden_size = h.hidden_size();
  c.intermediate_size = h.intermediate_size();
  c.n_layers = h.n_layers();
  c.n_heads = h.n_heads();
  c.n_kv_heads = h.n_kv_heads();
  c.head_dim = h.head_dim();
  c.rms_norm_eps = h.rms_norm_eps();
  c.rope_theta = h.rope_theta();
  c.max_position = h.max_position();
  c.tie_embeddings = h.tie_embeddings();
  c.bos_id = h.bos_id();
  if (h.eos_ids() != nullptr) c.eos_ids.assign(h.eos_ids()->begin(), h.eos_ids()->end());
  if (const fb::RopeScaling* r = h.rope_scaling()) {
    if (r->type() > fb::RopeScalingType::Llama3)
      return unsupported("rope scaling type " + num(static_cast<uint64_t>(r->type())) + " is unknown to this build");
    c.rope_scaling.type = static_cast<RopeScalingType>(r->type());
    c.rope_scaling.factor = r->factor();
    c.rope_scaling.low_freq_factor = r->low_freq_factor();
    c.rope_scaling.high_freq_factor = r->high_freq_factor();
    c.rope_scaling.original_max_position = r->original_max_position();
  }
  const int64_t limit = int64_t{1} << 24;  // no real dimension comes near; keeps products in range
  auto dim_ok = [&](int32_t v) { return v > 0 && v <= limit; };
  if (!dim_ok(c.vocab_size) || !dim_ok(c.hidden_size) || !dim_ok(c.intermediate_size) || !dim_ok(c.n_layers) ||
      !dim_ok(c.n_heads) || !dim_ok(c.n_kv_heads) || !dim_ok(c.head_dim) || !dim_ok(c.max_position))
    return corrupt_file("hyper-parameters: a dimension is not in 1..2^24");
  if (c.n_heads % c.n_kv_heads != 0)
    return corrupt_file("hyper-parameters: n_heads " + num(c.n_heads) + " is not a multiple of n_kv_heads " +
                        num(c.n_kv_heads));
  if (int64_t{c.n_heads} * c.head_dim > limit) return corrupt_file("hyper-parameters: n_heads * head_dim too large");
  if (c.bos_id < -1 || c.bos_id >= c.vocab_size) return corrupt_file("hyper-parameters: bos_id out of range");
  for (int32_t eos : c.eos_ids)
    if (eos < 0 || eos >= c.vocab_size) return corrupt_file("hyper-parameters: eos id " + num(eos) + " out of range");
  return Status::Ok();
}

Status MbqFile::label_segments() {
  const auto& segments = *model_->segments();
  segment_labels_.assign(segments.size(), "unreferenced");
  auto label = [&](uint32_t index, std::string text) {
    if (index < segment_labels_.size()) segment_labels_[index] = std::move(text);
  };
  const auto& dense = *model_->dense_tensors();
  for (flatbuffers::uoffset_t i = 0; i < dense.size(); ++i) label(dense.Get(i)->segment(), dense_label(*dense.Get(i), i));
  for (const fb::SlicedLinear* l : *model_->linears()) {
    const std::string name = linear_label(*l);
    label(l->scales_segment(), name + " scales");
    label(l->zeros_segment(), name + " zeros");
    if (l->plane_segments() == nullptr) continue;
    for (flatbuffers::uoffset_t p = 0; p < l->plane_segments()->size(); ++p)
      label(l->plane_segments()->Get(p), name + " plane " + num(p));
  }
  return Status::Ok();
}

Status MbqFile::verify_segments() {
  const auto& segments = *model_->segments();
  const uint64_t data_begin = preamble_.data_offset;
  const uint64_t data_end = preamble_.data_offset + preamble_.data_size;
  uint64_t previous_end = data_begin;
  int previous_region = 0;
  for (flatbuffers::uoffset_t i = 0; i < segments.size(); ++i) {
    const fb::Segment& s = *segments.Get(i);
    const std::string name = "segment " + num(i) + " (" + segment_labels_[i] + ")";
    if (s.kind() > fb::SegmentKind::Plane3) return unsupported(name + ": unknown kind " + num(static_cast<uint64_t>(s.kind())));
    if (s.offset() < data_begin || s.offset() > data_end)
      return corrupt_file(name + ": offset " + num(s.offset()) + " is outside the data area [" + num(data_begin) +
                          ", " + num(data_end) + ")");
    if (s.size() > data_end - s.offset())
      return corrupt_file(name + ": offset " + num(s.offset()) + " + size " + num(s.size()) +
                          " runs past the end of the data area (" + num(data_end) + ")");
    if (s.offset() % preamble_.segment_alignment != 0)
      return corrupt_file(name + ": offset " + num(s.offset()) + " is not aligned to " + num(preamble_.segment_alignment));
    if (s.offset() < previous_end) return corrupt_file(name + ": overlaps the segment before it");
    const int region = region_of(s.kind());
    if (region < previous_region) return corrupt_file(name + ": breaks the plane-major order");
    if (region != previous_region && s.offset() % preamble_.plane_alignment != 0)
      return corrupt_file(name + ": the plane region it starts is not aligned to " + num(preamble_.plane_alignment));
    previous_end = s.offset() + s.size();
    previous_region = region;
  }
  return Status::Ok();
}

Status MbqFile::verify_dense(const fb::DenseTensor& d, size_t index) const {
  const std::string name = "dense tensor " + num(index) + " (" + dense_label(d, index) + ")";
  if (!from_fb_dtype(d.dtype())) return unsupported(name + ": unknown dtype " + num(static_cast<uint64_t>(d.dtype())));
  const auto expected = dense_shape(config_, d.role());
  if (!expected) return unsupported(name + ": unknown role " + num(static_cast<uint64_t>(d.role())));
  const bool per_layer = d.role() == fb::DenseRole::AttnNorm || d.role() == fb::DenseRole::FfnNorm;
  if (per_layer ? (d.layer() < 0 || d.layer() >= config_.n_layers) : d.layer() != -1)
    return corrupt_file(name + ": layer " + std::to_string(d.layer()) + " is invalid for a " + dense_role_name(d.role()));
  if (d.shape() == nullptr || d.shape()->size() < 1 || d.shape()->size() > 2)
    return corrupt_file(name + ": shape must have 1 or 2 dimensions");
  const auto& shape = *d.shape();
  const int64_t rows = shape.size() == 2 ? shape.Get(0) : 1;
  const int64_t cols = shape.Get(shape.size() - 1);
  if (rows != expected->first || cols != expected->second)
    return corrupt_file(name + ": shape " + shape_text(shape) + " does not match the hyper-parameters ([" +
                        num(expected->first) + ", " + num(expected->second) + "])");
  if (d.segment() >= segment_count())
    return corrupt_file(name + ": segment " + num(d.segment()) + " out of range (the file has " +
                        num(segment_count()) + ")");
  const fb::Segment& s = *model_->segments()->Get(d.segment());
  if (s.kind() != fb::SegmentKind::Dense) return corrupt_file(name + ": segment " + num(d.segment()) + " is not a dense segment");
  const DType dtype = *from_fb_dtype(d.dtype());
  if (dtype == DType::kQ8 && d.role() != fb::DenseRole::TokenEmbedding && d.role() != fb::DenseRole::Output)
    return unsupported(name + ": 8-bit storage is only read for the embedding and the output head");
  const uint64_t bytes = static_cast<uint64_t>(dense_bytes(dtype, rows, cols));
  if (s.size() != bytes)
    return corrupt_file(name + ": segment " + num(d.segment()) + " is " + num(s.size()) + " bytes, shape " +
                        shape_text(shape) + " " + dtype_name(d.dtype()) + " needs " + num(bytes));
  return Status::Ok();
}

Status MbqFile::verify_linear(const fb::SlicedLinear& l, size_t index) const {
  const std::string name = "linear " + num(index) + " (" + linear_label(l) + ")";
  if (l.layer() < 0 || l.layer() >= config_.n_layers) return corrupt_file(name + ": layer index out of range");
  const auto expected = linear_shape(config_, l.projection());
  if (!expected) return unsupported(name + ": unknown projection " + num(static_cast<uint64_t>(l.projection())));
  if (l.out() != expected->first || l.in() != expected->second)
    return corrupt_file(name + ": shape [" + std::to_string(l.out()) + ", " + std::to_string(l.in()) +
                        "] does not match the hyper-parameters ([" + num(expected->first) + ", " +
                        num(expected->second) + "])");
  if (l.group_size() != kGroupSize)
    return unsupported(name + ": group size " + std::to_string(l.group_size()) + " (this build reads " +
                       num(kGroupSize) + ")");
  if (l.layout() != 0)
    return unsupported(name + ": slice layout " + num(l.layout()) + " is not known to this build (it reads layout 0)");
  if (l.n_planes() < 1 || l.n_planes() > kMaxPlanes) return corrupt_file(name + ": n_planes must be 1..4");
  if (l.plane_segments() == nullptr || l.plane_segments()->size() != static_cast<uint32_t>(l.n_planes()))
    return corrupt_file(name + ": needs " + std::to_string(l.n_planes()) + " plane segments");

  auto check = [&](uint32_t segment, fb::SegmentKind kind, uint64_t bytes, const std::string& what) -> Status {
    if (segment >= segment_count())
      return corrupt_file(name + " " + what + ": segment " + num(segment) + " out of range (the file has " +
                          num(segment_count()) + ")");
    const fb::Segment& s = *model_->segments()->Get(segment);
    if (s.kind() != kind) return corrupt_file(name + " " + what + ": segment " + num(segment) + " has the wrong kind");
    if (s.size() != bytes)
      return corrupt_file(name + " " + what + ": segment " + num(segment) + " is " + num(s.size()) +
                          " bytes, its shape needs " + num(bytes));
    return Status::Ok();
  };
  const uint64_t param_bytes = static_cast<uint64_t>(l.out() * n_groups(l.in())) * 2;
  MOBIQ_RETURN_IF_ERROR(check(l.scales_segment(), fb::SegmentKind::GroupScales, param_bytes, "scales"));
  MOBIQ_RETURN_IF_ERROR(check(l.zeros_segment(), fb::SegmentKind::GroupZeros, param_bytes, "zeros"));
  const uint64_t plane_bytes = static_cast<uint64_t>(l.out() * packed_row_bytes(l.in()));
  for (int p = 0; p < l.n_planes(); ++p) {
    const auto kind = static_cast<fb::SegmentKind>(static_cast<int>(fb::SegmentKind::Plane0) + p);
    MOBIQ_RETURN_IF_ERROR(check(l.plane_segments()->Get(p), kind, plane_bytes, "plane " + num(p)));
  }
  return Status::Ok();
}

Status MbqFile::verify_checksums() const {
  const auto& segments = *model_->segments();
  for (flatbuffers::uoffset_t i = 0; i < segments.size(); ++i) {
    const fb::Segment& s = *segments.Get(i);
    if (mbq_checksum(file_.data() + s.offset(), s.size()) != s.xxh3())
      return corrupt_file("segment " + num(i) + " (" + segment_labels_[i] + "): checksum mismatch");
  }
  return Status::Ok();
}

}  // namespace mobiq
