#include "format/mbq_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "format/mbq_tensors.h"
#include "runtime/core/half.h"
#include "runtime/core/interrupt_cleanup.h"
#include "runtime/core/output_path.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

uint64_t align_up(uint64_t v, uint64_t alignment) { return (v + alignment - 1) / alignment * alignment; }

fb::SegmentKind plane_kind(int plane) {
  return static_cast<fb::SegmentKind>(static_cast<int>(fb::SegmentKind::Plane0) + plane);
}

// product(shape) * element_size, or nullopt when a dimension is not positive or the product overflows.
std::optional<uint64_t> tensor_bytes(const std::vector<int64_t>& shape, uint64_t element_size) {
  uint64_t total = element_size;
  for (int64_t d : shape) {
    if (d <= 0 || __builtin_mul_overflow(total, static_cast<uint64_t>(d), &total)) return std::nullopt;
  }
  return total;
}

// A dense tensor's segment size (Q8: scales then codes), nullopt as tensor_bytes.
std::optional<uint64_t> dense_tensor_bytes(const MbqDenseSpec& d) {
  const auto elements = tensor_bytes(d.shape, 1);
  if (!elements) return std::nullopt;
  if (d.dtype != DType::kQ8) return tensor_bytes(d.shape, dtype_size(d.dtype));
  const int64_t cols = d.shape.back();
  const uint64_t rows = *elements / static_cast<uint64_t>(cols);
  return *elements + rows * static_cast<uint64_t>(n_groups(cols)) * 4;
}

Status write_all(int fd, const void* data, uint64_t size, uint64_t offset, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(path + ": write failed: " + std::strerror(errno));
    }
    p += n;
    size -= static_cast<uint64_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

struct PlannedSegment {
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t xxh3 = 0;
  fb::SegmentKind kind = fb::SegmentKind::Dense;
  bool written = false;
};

struct LinearSegments {
  uint32_t scales = 0;
  uint32_t zeros = 0;
  std::array<uint32_t, kMaxPlanes> planes{};
};

}  // namespace

struct MbqWriter::Impl {
  std::string output_path;
  std::string temp_path;
  int fd = -1;
  bool finished = false;
  MbqMetadata metadata;
  std::vector<MbqDenseSpec> dense;
  std::vector<MbqLinearSpec> linears;
  std::vector<uint32_t> dense_segment;  // dense tensor i lives in segment dense_segment[i]
  std::vector<LinearSegments> linear_segments;
  std::vector<PlannedSegment> segments;  // in file order
  uint64_t data_offset = 0;
  uint64_t data_end = 0;
  uint32_t plane_alignment = kDefaultPlaneAlignment;

  int cleanup_slot = -1;  // register_temp_file's slot while temp_path exists unfinished

  ~Impl() {
    if (fd >= 0) ::close(fd);
    if (!finished && !temp_path.empty()) ::unlink(temp_path.c_str());
    unregister_temp_file(cleanup_slot);
  }

  Status write_segment(uint32_t index, const void* data, uint64_t size, const std::string& what) {
    PlannedSegment& s = segments[index];
    if (s.written) return invalid_argument(what + " was already written");
    if (size != s.size)
      return invalid_argument(what + " is " + std::to_string(size) + " bytes, its shape implies " +
                              std::to_string(s.size));
    if (size > 0 && data == nullptr) return invalid_argument(what + " has no data");
    MOBIQ_RETURN_IF_ERROR(write_all(fd, data, size, s.offset, temp_path));
    s.xxh3 = mbq_checksum(data, size);
    s.written = true;
    return Status::Ok();
  }

  std::string linear_name(size_t index) const {
    return "layer " + std::to_string(linears[index].layer) + " " + projection_name(linears[index].projection);
  }

  // Gives every segment an offset: dense tensors and group parameters first, then plane 0 of every
  // linear, then plane 1, 2, 3; each plane region starts on a plane_alignment boundary.
  void plan_layout() {
    auto add = [&](uint64_t size, fb::SegmentKind kind) {
      const uint64_t offset = align_up(data_end, kMinSegmentAlignment);
      segments.push_back({offset, size, 0, kind, false});
      data_end = offset + size;
      return static_cast<uint32_t>(segments.size() - 1);
    };
    data_offset = align_up(kPreambleSize, plane_alignment);
    data_end = data_offset;
    for (const MbqDenseSpec& d : dense)
      dense_segment.push_back(add(*dense_tensor_bytes(d), fb::SegmentKind::Dense));
    linear_segments.resize(linears.size());
    for (size_t i = 0; i < linears.size(); ++i) {
      const uint64_t param_bytes = static_cast<uint64_t>(linears[i].out * n_groups(linears[i].in)) * 2;
      linear_segments[i].scales = add(param_bytes, fb::SegmentKind::GroupScales);
      linear_segments[i].zeros = add(param_bytes, fb::SegmentKind::GroupZeros);
    }
    for (int p = 0; p < kMaxPlanes; ++p) {
      data_end = align_up(data_end, plane_alignment);
      for (size_t i = 0; i < linears.size(); ++i) {
        if (p >= linears[i].n_planes) continue;
        const uint64_t plane_bytes = static_cast<uint64_t>(linears[i].out * packed_row_bytes(linears[i].in));
        linear_segments[i].planes[p] = add(plane_bytes, plane_kind(p));
      }
    }
  }

  flatbuffers::Offset<fb::Hyperparameters> build_config(flatbuffers::FlatBufferBuilder& b) const {
    const ModelConfig& c = metadata.config;
    const auto architecture = b.CreateString(metadata.architecture);
    const auto eos = b.CreateVector(c.eos_ids);
    const auto rope = fb::CreateRopeScaling(
        b, static_cast<fb::RopeScalingType>(c.rope_scaling.type), c.rope_scaling.factor,
        c.rope_scaling.low_freq_factor, c.rope_scaling.high_freq_factor, c.rope_scaling.original_max_position);
    return fb::CreateHyperparameters(b, architecture, c.vocab_size, c.hidden_size, c.intermediate_size, c.n_layers,
                                     c.n_heads, c.n_kv_heads, c.head_dim, c.rms_norm_eps, c.rope_theta, rope,
                                     c.max_position, c.tie_embeddings, c.bos_id, eos);
  }

  flatbuffers::DetachedBuffer build_flatbuffer() const {
    flatbuffers::FlatBufferBuilder b(1 << 16);
    b.ForceDefaults(true);  // every field present, so tools can patch any of them in place
    const auto config = build_config(b);
    const auto tokenizer = fb::CreateTokenizerData(b, b.CreateString(metadata.tokenizer_json),
                                                   b.CreateString(metadata.tokenizer_config_json),
                                                   b.CreateString(metadata.chat_template));
    std::vector<flatbuffers::Offset<fb::Segment>> segment_tables;
    for (const PlannedSegment& s : segments)
      segment_tables.push_back(fb::CreateSegment(b, s.offset, s.size, s.xxh3, s.kind));
    const auto segment_vector = b.CreateVector(segment_tables);

    std::vector<flatbuffers::Offset<fb::DenseTensor>> dense_tables;
    for (size_t i = 0; i < dense.size(); ++i) {
      const MbqDenseSpec& d = dense[i];
      dense_tables.push_back(fb::CreateDenseTensor(b, b.CreateString(d.name), d.role, d.layer,
                                                   to_fb_dtype(d.dtype), b.CreateVector(d.shape),
                                                   dense_segment[i]));
    }
    const auto dense_vector = b.CreateVector(dense_tables);

    std::vector<flatbuffers::Offset<fb::SlicedLinear>> linear_tables;
    for (size_t i = 0; i < linears.size(); ++i) {
      const MbqLinearSpec& l = linears[i];
      const std::vector<uint32_t> planes(linear_segments[i].planes.begin(),
                                         linear_segments[i].planes.begin() + l.n_planes);
      linear_tables.push_back(fb::CreateSlicedLinear(b, l.layer, l.projection, l.out, l.in, kGroupSize, l.n_planes,
                                                     b.CreateVector(planes), linear_segments[i].scales,
                                                     linear_segments[i].zeros));
    }
    const auto linear_vector = b.CreateVector(linear_tables);

    const auto provenance = fb::CreateProvenance(
        b, b.CreateString(metadata.source), to_fb_dtype(metadata.source_dtype),
        b.CreateString(metadata.quantization_method), b.CreateString(metadata.converter_version));

    std::vector<flatbuffers::Offset<fb::Router>> router_tables;
    for (const MbqRouter& r : metadata.routers) {
      auto f16 = [&b](const std::vector<float>& v) {
        std::vector<uint16_t> h(v.size());
        for (size_t i = 0; i < v.size(); ++i) h[i] = f32_to_f16(v[i]);
        return b.CreateVector(h);
      };
      router_tables.push_back(fb::CreateRouter(b, r.layer, static_cast<fb::RouterGroup>(r.group), r.input_dim,
                                               r.hidden, f16(r.w1), f16(r.b1), f16(r.w2), f16(r.b2)));
    }
    std::vector<flatbuffers::Offset<fb::BudgetEntry>> budget_tables;
    for (const MbqBudgetEntry& e : metadata.budget_table) {
      const auto thresholds = e.thresholds.empty() ? 0 : b.CreateVector(e.thresholds);
      budget_tables.push_back(fb::CreateBudgetEntry(b, e.budget_bits, thresholds, b.CreateVector(e.fixed_slices),
                                                    e.calibration_bits));
    }
    flatbuffers::Offset<fb::Calibration> calibration = 0;
    if (metadata.calibration) {
      const MbqCalibration& c = *metadata.calibration;
      calibration = fb::CreateCalibration(b, b.CreateString(c.method), b.CreateString(c.dataset), c.windows,
                                          c.window_tokens, c.seed, c.seconds);
    }
    const auto router_vector = router_tables.empty() ? 0 : b.CreateVector(router_tables);
    const auto budget_vector = budget_tables.empty() ? 0 : b.CreateVector(budget_tables);

    fb::ModelBuilder model(b);
    model.add_format_major(kFormatMajor);
    model.add_format_minor(kFormatMinor);
    model.add_config(config);
    model.add_tokenizer(tokenizer);
    model.add_segments(segment_vector);
    model.add_dense_tensors(dense_vector);
    model.add_linears(linear_vector);
    model.add_provenance(provenance);
    if (!router_tables.empty()) model.add_routers(router_vector);
    if (!budget_tables.empty()) model.add_budget_table(budget_vector);
    if (metadata.calibration) model.add_calibration(calibration);
    fb::FinishModelBuffer(b, model.Finish());
    return b.Release();
  }
};

namespace {

Status validate_specs(const std::vector<MbqDenseSpec>& dense, const std::vector<MbqLinearSpec>& linears,
                      uint32_t plane_alignment) {
  if ((plane_alignment & (plane_alignment - 1)) != 0 || plane_alignment < kMinSegmentAlignment)
    return invalid_argument("plane alignment " + std::to_string(plane_alignment) +
                            " is not a power of two >= " + std::to_string(kMinSegmentAlignment));
  for (const MbqDenseSpec& d : dense) {
    if (d.shape.empty() || d.shape.size() > 2)
      return invalid_argument("dense tensor " + d.name + ": shape must have 1 or 2 dimensions");
    if (d.dtype == DType::kQ8 && d.role != fb::DenseRole::TokenEmbedding && d.role != fb::DenseRole::Output)
      return invalid_argument("dense tensor " + d.name + ": 8-bit (q8) storage is only for the embedding and the output head");
    if (!dense_tensor_bytes(d))
      return invalid_argument("dense tensor " + d.name + ": dimensions must be positive and the size must fit");
  }
  for (const MbqLinearSpec& l : linears) {
    const std::string name = "layer " + std::to_string(l.layer) + " " + projection_name(l.projection);
    if (l.layer < 0) return invalid_argument(name + ": negative layer index");
    if (l.out <= 0 || l.in <= 0 || l.out > (int64_t{1} << 31) || l.in > (int64_t{1} << 31))
      return invalid_argument(name + ": out and in must be in 1..2^31");
    if (l.n_planes < 1 || l.n_planes > kMaxPlanes)
      return invalid_argument(name + ": n_planes must be 1.." + std::to_string(kMaxPlanes));
  }
  return Status::Ok();
}

Status check_output_path(const std::string& output_path, const std::vector<std::string>& protected_paths) {
  std::error_code ec;
  if (fs::is_directory(output_path, ec)) return invalid_argument(output_path + ": is a directory, not a file path");
  return refuse_output_over_inputs(output_path, protected_paths);
}

}  // namespace

Result<MbqWriter> MbqWriter::create(const std::string& output_path, MbqMetadata metadata,
                                    std::vector<MbqDenseSpec> dense, std::vector<MbqLinearSpec> linears,
                                    const MbqWriterOptions& options) {
  if (output_path.empty()) return invalid_argument("output path is empty");
  MOBIQ_RETURN_IF_ERROR(validate_specs(dense, linears, options.plane_alignment));
  MOBIQ_RETURN_IF_ERROR(check_output_path(output_path, options.protected_paths));

  auto impl = std::make_unique<Impl>();
  impl->output_path = output_path;
  impl->metadata = std::move(metadata);
  impl->dense = std::move(dense);
  impl->linears = std::move(linears);
  impl->plane_alignment = options.plane_alignment;
  impl->plan_layout();

  std::string pattern = output_path + ".partial-XXXXXX";
  impl->fd = ::mkstemp(pattern.data());
  if (impl->fd < 0) {
    const int err = errno;
    const std::string dir = fs::path(output_path).parent_path().string();
    if (err == ENOENT) return not_found("output directory " + (dir.empty() ? "." : dir) + " does not exist");
    return io_error("cannot create a temporary file beside " + output_path + ": " + std::strerror(err));
  }
  impl->temp_path = pattern;
  impl->cleanup_slot = register_temp_file(impl->temp_path);  // removed on SIGINT/SIGTERM
  ::fchmod(impl->fd, 0644);
  // Sized up front: padding between segments reads as zeros, whatever order segments arrive in.
  if (::ftruncate(impl->fd, static_cast<off_t>(impl->data_end)) != 0)
    return io_error(impl->temp_path + ": cannot size to " + std::to_string(impl->data_end) +
                    " bytes: " + std::strerror(errno));
  return MbqWriter(std::move(impl));
}

MbqWriter::MbqWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MbqWriter::MbqWriter(MbqWriter&&) noexcept = default;
MbqWriter& MbqWriter::operator=(MbqWriter&&) noexcept = default;
MbqWriter::~MbqWriter() = default;

const std::string& MbqWriter::temporary_path() const { return impl_->temp_path; }

Status MbqWriter::write_dense(size_t index, std::span<const uint8_t> bytes) {
  if (impl_->finished) return invalid_argument("write after finish()");
  if (index >= impl_->dense.size()) return out_of_range("dense tensor index " + std::to_string(index));
  return impl_->write_segment(impl_->dense_segment[index], bytes.data(), bytes.size(),
                              "dense tensor " + impl_->dense[index].name);
}

Status MbqWriter::write_linear(size_t index, const SlicedTensor& sliced) {
  if (impl_->finished) return invalid_argument("write after finish()");
  if (index >= impl_->linears.size()) return out_of_range("linear index " + std::to_string(index));
  const MbqLinearSpec& spec = impl_->linears[index];
  const std::string name = impl_->linear_name(index);
  if (sliced.out != spec.out || sliced.in != spec.in || sliced.n_planes != spec.n_planes)
    return invalid_argument(name + ": shape or plane count differs from its spec");
  const LinearSegments& segs = impl_->linear_segments[index];
  const uint64_t param_bytes = static_cast<uint64_t>(spec.out * n_groups(spec.in)) * 2;
  MOBIQ_RETURN_IF_ERROR(impl_->write_segment(segs.scales, sliced.scales, param_bytes, name + " scales"));
  MOBIQ_RETURN_IF_ERROR(impl_->write_segment(segs.zeros, sliced.zeros, param_bytes, name + " zeros"));
  const uint64_t plane_bytes = static_cast<uint64_t>(spec.out * packed_row_bytes(spec.in));
  for (int p = 0; p < spec.n_planes; ++p)
    MOBIQ_RETURN_IF_ERROR(impl_->write_segment(segs.planes[p], sliced.planes[p], plane_bytes,
                                               name + " plane " + std::to_string(p)));
  return Status::Ok();
}

Status MbqWriter::finish() {
  Impl& w = *impl_;
  if (w.finished) return invalid_argument("finish() called twice");
  for (size_t i = 0; i < w.dense.size(); ++i)
    if (!w.segments[w.dense_segment[i]].written)
      return invalid_argument("dense tensor " + w.dense[i].name + " was never written");
  for (size_t i = 0; i < w.linears.size(); ++i) {
    const LinearSegments& segs = w.linear_segments[i];
    bool complete = w.segments[segs.scales].written && w.segments[segs.zeros].written;
    for (int p = 0; p < w.linears[i].n_planes; ++p) complete = complete && w.segments[segs.planes[p]].written;
    if (!complete) return invalid_argument(w.linear_name(i) + " was never written completely");
  }

  const flatbuffers::DetachedBuffer flatbuffer = w.build_flatbuffer();
  Preamble p;
  p.data_offset = w.data_offset;
  p.data_size = w.data_end - w.data_offset;
  p.plane_alignment = w.plane_alignment;
  p.flatbuffer_offset = align_up(w.data_end, kMinSegmentAlignment);
  p.flatbuffer_size = flatbuffer.size();
  p.flatbuffer_xxh3 = mbq_checksum(flatbuffer.data(), flatbuffer.size());
  p.file_size = p.flatbuffer_offset + p.flatbuffer_size;
  MOBIQ_RETURN_IF_ERROR(write_all(w.fd, flatbuffer.data(), flatbuffer.size(), p.flatbuffer_offset, w.temp_path));
  const auto preamble = encode_preamble(p);
  MOBIQ_RETURN_IF_ERROR(write_all(w.fd, preamble.data(), preamble.size(), 0, w.temp_path));
  if (::fsync(w.fd) != 0) return io_error(w.temp_path + ": fsync failed: " + std::strerror(errno));
  const int fd = std::exchange(w.fd, -1);
  if (::close(fd) != 0) return io_error(w.temp_path + ": close failed: " + std::strerror(errno));
  if (std::rename(w.temp_path.c_str(), w.output_path.c_str()) != 0)
    return io_error("cannot rename " + w.temp_path + " to " + w.output_path + ": " + std::strerror(errno));
  w.finished = true;
  // After the rename, not before: an interrupt in between finds no file to remove, never a partial one.
  unregister_temp_file(std::exchange(w.cleanup_slot, -1));
  return Status::Ok();
}

}  // namespace mobiq
