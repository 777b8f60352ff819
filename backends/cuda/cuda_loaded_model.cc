#include "backends/cuda/cuda_loaded_model.h"

#include <cuda_runtime.h>

#include <mutex>
#include <new>
#include <string>

#include "backends/cuda/cuda_device.h"
#include "backends/cuda/cuda_executor.h"
#include "backends/cuda/cuda_status.h"
#include "runtime/core/half.h"
#include "runtime/math/rope.h"
#include "runtime/math/tensor_read.h"

namespace mobiq::cuda {
namespace {

constexpr int64_t kAlign = 256;
int64_t aligned(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

DenseView view_of(const DenseTensor& t, const DeviceBuffer& buffer) {
  return {t.dtype, buffer.data(), static_cast<int32_t>(t.rows), static_cast<int32_t>(t.cols)};
}

Result<DeviceBuffer> upload_tensor(const DenseTensor& t) {
  const int64_t bytes = dense_bytes(t.dtype, t.rows, t.cols);
  MOBIQ_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::allocate(bytes));
  MOBIQ_RETURN_IF_ERROR(buffer.upload(t.data, bytes));
  return buffer;
}

}  // namespace

CudaLoadedModel::CudaLoadedModel(const Model& model, int device, bool integrated)
    : model_(model),
      device_(device),
      integrated_(integrated),
      has_routers_(has_all_routers(model.weights())),
      resident_(model.max_slices()) {}

Result<std::shared_ptr<CudaLoadedModel>> CudaLoadedModel::load(const Model& model, int device) {
  bool integrated = false;
  for (const CudaDeviceInfo& info : list_devices())
    if (info.index == device) integrated = info.integrated;
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(device));
  std::shared_ptr<CudaLoadedModel> loaded;
  try {
    loaded.reset(new CudaLoadedModel(model, device, integrated));
    loaded->slots_.resize(model.weights().layers.size() * kLinearsPerLayer);
    loaded->routers_view_.resize(model.weights().layers.size() * kLinearGroups);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot allocate the loaded model");
  }
  MOBIQ_RETURN_IF_ERROR(loaded->upload_dense().with_context("loading on cuda"));
  MOBIQ_RETURN_IF_ERROR(loaded->upload_routers().with_context("loading on cuda"));
  if (loaded->sliced()) {
    MOBIQ_RETURN_IF_ERROR(loaded->upload_sliced_params().with_context("loading on cuda"));
    for (int p = 0; p < loaded->resident_; ++p)
      MOBIQ_RETURN_IF_ERROR(loaded->upload_plane(p).with_context("loading on cuda"));
  }
  return loaded;
}

const LinearWeights& CudaLoadedModel::linear(int layer, int index) const {
  const LayerWeights& l = model_.weights().layers[layer];
  const LinearWeights* linears[kLinearsPerLayer] = {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down};
  return *linears[index];
}

// Embedding, head, norms (f32), rope frequencies, and unsliced linears.
Status CudaLoadedModel::upload_dense() {
  const ModelWeights& w = model_.weights();
  const ModelConfig& c = model_.config();
  MOBIQ_ASSIGN_OR_RETURN(embedding_, upload_tensor(w.token_embedding));
  embedding_view_ = view_of(w.token_embedding, embedding_);
  if (w.output.data == w.token_embedding.data && w.output.dtype == w.token_embedding.dtype) {
    head_view_ = view_of(w.output, embedding_);
  } else {
    MOBIQ_ASSIGN_OR_RETURN(head_, upload_tensor(w.output));
    head_view_ = view_of(w.output, head_);
  }
  std::vector<float> norms((2 * int64_t{c.n_layers} + 1) * c.hidden_size);
  auto put = [&](const DenseTensor& t, int64_t slot) {
    for (int64_t i = 0; i < c.hidden_size; ++i) norms[slot * c.hidden_size + i] = math::read_element(t, i);
  };
  for (int l = 0; l < c.n_layers; ++l) {
    put(w.layers[l].attn_norm, 2 * l);
    put(w.layers[l].ffn_norm, 2 * l + 1);
  }
  put(w.final_norm, 2 * int64_t{c.n_layers});
  MOBIQ_ASSIGN_OR_RETURN(norms_, DeviceBuffer::allocate(norms.size() * sizeof(float)));
  MOBIQ_RETURN_IF_ERROR(norms_.upload(norms.data(), norms.size() * sizeof(float)));
  const math::Rope rope(c);
  MOBIQ_ASSIGN_OR_RETURN(inv_freq_, DeviceBuffer::allocate(rope.inv_freq().size() * sizeof(float)));
  MOBIQ_RETURN_IF_ERROR(inv_freq_.upload(rope.inv_freq().data(), rope.inv_freq().size() * sizeof(float)));
  if (sliced()) return Status::Ok();
  int64_t total = 0;
  for (int l = 0; l < c.n_layers; ++l)
    for (int i = 0; i < kLinearsPerLayer; ++i) {
      const DenseTensor& d = linear(l, i).dense;
      slots_[l * kLinearsPerLayer + i].offset = total;
      total += aligned(dense_bytes(d.dtype, d.rows, d.cols));
    }
  MOBIQ_ASSIGN_OR_RETURN(dense_linears_, DeviceBuffer::allocate(total));
  for (int l = 0; l < c.n_layers; ++l)
    for (int i = 0; i < kLinearsPerLayer; ++i) {
      const DenseTensor& d = linear(l, i).dense;
      MOBIQ_RETURN_IF_ERROR(dense_linears_.upload(d.data, dense_bytes(d.dtype, d.rows, d.cols),
                                                  slots_[l * kLinearsPerLayer + i].offset));
    }
  return Status::Ok();
}

// Every present router's w1, b1, w2, b2 back to back in one f32 buffer.
Status CudaLoadedModel::upload_routers() {
  const ModelWeights& w = model_.weights();
  std::vector<float> host;
  std::vector<int64_t> offsets;
  for (const LayerWeights& layer : w.layers)
    for (const RouterWeights& r : layer.routers) {
      offsets.push_back(static_cast<int64_t>(host.size()));
      if (!r.present()) continue;
      host.insert(host.end(), r.w1, r.w1 + int64_t{r.hidden} * r.in);
      host.insert(host.end(), r.b1, r.b1 + r.hidden);
      host.insert(host.end(), r.w2, r.w2 + int64_t{kResidualPlanes} * (r.hidden + 1));
      host.insert(host.end(), r.b2, r.b2 + kResidualPlanes);
    }
  MOBIQ_ASSIGN_OR_RETURN(routers_, DeviceBuffer::allocate(host.size() * sizeof(float)));
  MOBIQ_RETURN_IF_ERROR(routers_.upload(host.data(), host.size() * sizeof(float)));
  size_t i = 0;
  for (const LayerWeights& layer : w.layers)
    for (const RouterWeights& r : layer.routers) {
      const float* base = routers_.as<float>() + offsets[i];
      const float* w2 = base + int64_t{r.hidden} * r.in + r.hidden;
      routers_view_[i++] = {base, base + int64_t{r.hidden} * r.in, w2, w2 + int64_t{kResidualPlanes} * (r.hidden + 1),
                            r.in, r.hidden};
    }
  return Status::Ok();
}

// Per-group (s, z) as half2 words [out][n_groups] for every linear, and each linear's plane offset.
Status CudaLoadedModel::upload_sliced_params() {
  int64_t words = 0;
  plane_bytes_ = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const SlicedTensor& s = linear(static_cast<int>(i / kLinearsPerLayer), static_cast<int>(i % kLinearsPerLayer)).sliced;
    slots_[i].scale_zero_offset = words;
    slots_[i].offset = plane_bytes_;
    words += s.out * n_groups(s.in);
    plane_bytes_ += aligned(s.out * device_row_stride(s.in));
  }
  std::vector<uint32_t> host;
  try {
    host.resize(words);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot stage the scales and zeros");
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    const SlicedTensor& s = linear(static_cast<int>(i / kLinearsPerLayer), static_cast<int>(i % kLinearsPerLayer)).sliced;
    uint32_t* dst = host.data() + slots_[i].scale_zero_offset;
    for (int64_t g = 0; g < s.out * n_groups(s.in); ++g) dst[g] = s.scales[g] | (static_cast<uint32_t>(s.zeros[g]) << 16);
  }
  MOBIQ_ASSIGN_OR_RETURN(scale_zero_, DeviceBuffer::allocate(words * sizeof(uint32_t)));
  return scale_zero_.upload(host.data(), words * sizeof(uint32_t));
}

// Plane `plane` of every linear into one buffer, each row padded from packed_row_bytes(in) to
// device_row_stride(in) bytes (the padding stays zero from the allocation).
Status CudaLoadedModel::upload_plane(int plane) {
  MOBIQ_CUDA_RETURN_IF_ERROR(cudaSetDevice(device_));
  MOBIQ_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::allocate(plane_bytes_));
  for (size_t i = 0; i < slots_.size(); ++i) {
    const SlicedTensor& s = linear(static_cast<int>(i / kLinearsPerLayer), static_cast<int>(i % kLinearsPerLayer)).sliced;
    if (plane >= s.n_planes || s.planes[plane] == nullptr)
      return invalid_argument("linear " + std::to_string(i) + " has no plane " + std::to_string(plane));
    MOBIQ_CUDA_RETURN_IF_ERROR(cudaMemcpy2D(buffer.as<uint8_t>() + slots_[i].offset, device_row_stride(s.in),
                                            s.planes[plane], packed_row_bytes(s.in), packed_row_bytes(s.in), s.out,
                                            cudaMemcpyHostToDevice));
  }
  planes_[plane] = std::move(buffer);
  return Status::Ok();
}

SlicedView CudaLoadedModel::sliced_linear(int layer, int index) const {
  const SlicedTensor& s = linear(layer, index).sliced;
  const LinearSlot& slot = slots_[layer * kLinearsPerLayer + index];
  SlicedView v{};
  for (int p = 0; p < kMaxPlanes; ++p)
    v.planes[p] = planes_[p].data() == nullptr ? nullptr : planes_[p].as<uint8_t>() + slot.offset;
  v.scale_zero = scale_zero_.as<uint32_t>() + slot.scale_zero_offset;
  v.out = static_cast<int32_t>(s.out);
  v.in = static_cast<int32_t>(s.in);
  v.row_stride = static_cast<int32_t>(device_row_stride(s.in));
  v.n_groups = static_cast<int32_t>(n_groups(s.in));
  return v;
}

DenseView CudaLoadedModel::dense_linear(int layer, int index) const {
  const DenseTensor& d = linear(layer, index).dense;
  const LinearSlot& slot = slots_[layer * kLinearsPerLayer + index];
  return {d.dtype, dense_linears_.as<uint8_t>() + slot.offset, static_cast<int32_t>(d.rows), static_cast<int32_t>(d.cols)};
}

Result<std::unique_ptr<Executor>> CudaLoadedModel::create_executor(const ExecutorOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<CudaExecutor> executor, CudaExecutor::create(shared_from_this(), options));
  return std::unique_ptr<Executor>(std::move(executor));
}

Status CudaLoadedModel::set_resident_planes(int planes) {
  if (!sliced()) return unsupported("the model has no slice planes");
  if (planes < 1 || planes > model_.max_slices())
    return out_of_range("resident planes " + std::to_string(planes) + " is outside 1.." +
                            std::to_string(model_.max_slices()));
  std::unique_lock lock(residency_mutex_);
  for (int p = planes; p < resident_; ++p) planes_[p].reset();
  for (int p = resident_; p < planes; ++p) MOBIQ_RETURN_IF_ERROR(upload_plane(p));
  resident_ = planes;
  return Status::Ok();
}

uint64_t CudaLoadedModel::resident_plane_bytes() const {
  std::shared_lock lock(residency_mutex_);
  uint64_t bytes = 0;
  for (const DeviceBuffer& plane : planes_) bytes += plane.size();
  return bytes;
}

}  // namespace mobiq::cuda
