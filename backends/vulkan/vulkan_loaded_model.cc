#include "backends/vulkan/vulkan_loaded_model.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "backends/slice_plan.h"
#include "backends/vulkan/vulkan_executor.h"
#include "format/slice_layout.h"
#include "runtime/core/half.h"

namespace mobiq::vulkan {
namespace {

constexpr uint64_t kTensorAlignment = 64;  // bytes between tensors in a buffer

// Lays tensors out in one buffer (first pass), then copies them in (second pass).
class BufferLayout {
 public:
  // Reserves `bytes` for `data` (copied later; must stay alive until then); returns its word offset.
  uint32_t add(const void* data, uint64_t bytes) {
    const uint64_t offset = size_;
    copies_.push_back({offset, data, bytes});
    size_ = (offset + bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    return static_cast<uint32_t>(offset / 4);
  }
  // A tensor converted to f32 here (norms, routers): owned by the layout until written.
  uint32_t add_f32(std::vector<float> values) {
    owned_.push_back(std::move(values));
    return add(owned_.back().data(), owned_.back().size() * sizeof(float));
  }
  uint64_t size() const { return size_; }
  Status write_into(VulkanDevice& device, Buffer& target) const {
    MOBIQ_ASSIGN_OR_RETURN(BufferWriter writer, BufferWriter::begin(device, target));
    for (const Copy& c : copies_) writer.write(c.offset, c.data, c.bytes);
    return writer.finish();
  }

 private:
  struct Copy {
    uint64_t offset;
    const void* data;
    uint64_t bytes;
  };
  uint64_t size_ = 0;
  std::vector<Copy> copies_;
  std::vector<std::vector<float>> owned_;
};

std::vector<float> to_f32(const DenseTensor& t) {
  std::vector<float> out(t.rows * t.cols);
  for (size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype) {
      case DType::kF32: out[i] = static_cast<const float*>(t.data)[i]; break;
      case DType::kF16: out[i] = f16_to_f32(static_cast<const uint16_t*>(t.data)[i]); break;
      case DType::kBF16: out[i] = bf16_to_f32(static_cast<const uint16_t*>(t.data)[i]); break;
    }
  }
  return out;
}

DensePlacement place_dense(BufferLayout& layout, const DenseTensor& t) {
  return {layout.add(t.data, static_cast<uint64_t>(t.rows) * t.cols * dtype_size(t.dtype)),
          static_cast<uint32_t>(t.dtype)};
}

LinearPlacement place_linear(BufferLayout& layout, const LinearWeights& w) {
  LinearPlacement p;
  p.sliced = w.is_sliced();
  p.out = w.out();
  p.in = w.in();
  if (!p.sliced) {
    p.dense = place_dense(layout, w.dense);
    return p;
  }
  const uint64_t params = static_cast<uint64_t>(w.sliced.out) * n_groups(w.sliced.in) * sizeof(uint16_t);
  p.scales = layout.add(w.sliced.scales, params);
  p.zeros = layout.add(w.sliced.zeros, params);
  p.n_planes = w.sliced.n_planes;
  return p;
}

RouterPlacement place_router(BufferLayout& layout, const RouterWeights& r) {
  RouterPlacement p;
  if (!r.present()) return p;
  p.hidden = r.hidden;
  p.in = r.in;
  p.w1 = layout.add(r.w1, static_cast<uint64_t>(r.hidden) * r.in * sizeof(float));
  p.b1 = layout.add(r.b1, r.hidden * sizeof(float));
  p.w2 = layout.add(r.w2, static_cast<uint64_t>(kResidualPlanes) * (r.hidden + 1) * sizeof(float));
  p.b2 = layout.add(r.b2, kResidualPlanes * sizeof(float));
  p.parameters = r.parameters();
  return p;
}

// Every sliced linear of the model with its placement, in a fixed order.
template <typename Visit>
void for_each_linear(const ModelWeights& w, ModelPlacement& placement, const Visit& visit) {
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& lw = w.layers[l];
    LayerPlacement& lp = placement.layers[l];
    visit(lw.q, lp.q);
    visit(lw.k, lp.k);
    visit(lw.v, lp.v);
    visit(lw.o, lp.o);
    visit(lw.gate, lp.gate);
    visit(lw.up, lp.up);
    visit(lw.down, lp.down);
  }
}

}  // namespace

VulkanLoadedModel::VulkanLoadedModel(const Model& model, std::shared_ptr<VulkanDevice> device)
    : model_(model), device_(std::move(device)), has_routers_(has_all_routers(model.weights())),
      resident_(model.max_slices()) {}

Result<std::shared_ptr<VulkanLoadedModel>> VulkanLoadedModel::load(const Model& model,
                                                                   std::shared_ptr<VulkanDevice> device) {
  const PipelineOptions options = PipelineOptions::for_device(device->info());
  return load(model, std::move(device), options);
}

Result<std::shared_ptr<VulkanLoadedModel>> VulkanLoadedModel::load(const Model& model,
                                                                   std::shared_ptr<VulkanDevice> device,
                                                                   const PipelineOptions& options) {
  std::shared_ptr<VulkanLoadedModel> loaded(new VulkanLoadedModel(model, device));
  MOBIQ_ASSIGN_OR_RETURN(loaded->pipelines_, Pipelines::create(device, options));
  MOBIQ_RETURN_IF_ERROR(loaded->upload_weights());
  for (int p = 0; p < kMaxPlanes; ++p) MOBIQ_RETURN_IF_ERROR(loaded->upload_plane(p));
  return loaded;
}

Status VulkanLoadedModel::upload_weights() {
  const ModelWeights& w = model_.weights();
  BufferLayout layout;
  placement_.embedding = place_dense(layout, w.token_embedding);
  placement_.output = w.output.data == w.token_embedding.data ? placement_.embedding : place_dense(layout, w.output);
  placement_.final_norm = layout.add_f32(to_f32(w.final_norm));
  placement_.layers.resize(w.layers.size());
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& lw = w.layers[l];
    LayerPlacement& lp = placement_.layers[l];
    lp.attn_norm = layout.add_f32(to_f32(lw.attn_norm));
    lp.ffn_norm = layout.add_f32(to_f32(lw.ffn_norm));
    for (int g = 0; g < kLinearGroups; ++g) lp.routers[g] = place_router(layout, lw.routers[g]);
  }
  for_each_linear(w, placement_, [&](const LinearWeights& lw, LinearPlacement& lp) { lp = place_linear(layout, lw); });
  // Plane offsets: the same walk, one running offset per plane.
  plane_bytes_ = {};
  for_each_linear(w, placement_, [&](const LinearWeights& lw, LinearPlacement& lp) {
    if (!lw.is_sliced()) return;
    const uint64_t bytes = static_cast<uint64_t>(lw.sliced.out) * packed_row_bytes(lw.sliced.in);
    for (int p = 0; p < lw.sliced.n_planes; ++p) {
      lp.plane[p] = static_cast<uint32_t>(plane_bytes_[p] / 4);
      plane_bytes_[p] = (plane_bytes_[p] + bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    }
  });
  const uint64_t limit = device_->limits().maxStorageBufferRange;
  auto check = [&](uint64_t bytes, const std::string& what) {
    return bytes <= limit ? Status::Ok()
                          : unsupported("vulkan: " + what + " needs " + std::to_string(bytes) +
                                        " bytes in one buffer, the device binds at most " + std::to_string(limit));
  };
  MOBIQ_RETURN_IF_ERROR(check(layout.size(), "the dense weights"));
  for (int p = 0; p < kMaxPlanes; ++p) MOBIQ_RETURN_IF_ERROR(check(plane_bytes_[p], "slice plane " + std::to_string(p)));
  MOBIQ_ASSIGN_OR_RETURN(weights_, Buffer::create(*device_, layout.size(), MemoryKind::kDevice));
  return layout.write_into(*device_, weights_);
}

Status VulkanLoadedModel::upload_plane(int p) {
  if (plane_bytes_[p] == 0) return Status::Ok();
  MOBIQ_ASSIGN_OR_RETURN(Buffer buffer, Buffer::create(*device_, plane_bytes_[p], MemoryKind::kDevice));
  MOBIQ_ASSIGN_OR_RETURN(BufferWriter writer, BufferWriter::begin(*device_, buffer));
  for_each_linear(model_.weights(), placement_, [&](const LinearWeights& lw, LinearPlacement& lp) {
    if (lw.is_sliced() && p < lw.sliced.n_planes)
      writer.write(uint64_t{lp.plane[p]} * 4, lw.sliced.planes[p],
                   static_cast<uint64_t>(lw.sliced.out) * packed_row_bytes(lw.sliced.in));
  });
  MOBIQ_RETURN_IF_ERROR(writer.finish());
  planes_[p] = std::move(buffer);
  ++generation_;
  return Status::Ok();
}

Result<std::unique_ptr<Executor>> VulkanLoadedModel::create_executor(const ExecutorOptions& options) {
  MOBIQ_ASSIGN_OR_RETURN(std::unique_ptr<VulkanExecutor> executor, VulkanExecutor::create(shared_from_this(), options));
  return std::unique_ptr<Executor>(std::move(executor));
}

Status VulkanLoadedModel::set_resident_planes(int planes) {
  if (model_.max_slices() == 0) return unsupported("the model has no slice planes to keep or give back");
  if (planes < 1 || planes > model_.max_slices())
    return out_of_range("resident planes " + std::to_string(planes) + " is outside 1.." +
                            std::to_string(model_.max_slices()));
  if (planes == resident_) return Status::Ok();
  for (int p = planes; p < kMaxPlanes; ++p) {
    if (planes_[p]) ++generation_;
    planes_[p].reset();
  }
  for (int p = resident_; p < planes; ++p) MOBIQ_RETURN_IF_ERROR(upload_plane(p));
  resident_ = planes;
  return Status::Ok();
}

uint64_t VulkanLoadedModel::resident_plane_bytes() const {
  uint64_t bytes = 0;
  for (const Buffer& b : planes_) bytes += b.size();
  return bytes;
}

}  // namespace mobiq::vulkan
