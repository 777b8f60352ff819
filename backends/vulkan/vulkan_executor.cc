#include "backends/vulkan/vulkan_executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "backends/forward_checks.h"
#include "runtime/math/rope.h"

namespace mobiq::vulkan {
namespace {

// The CPU executor's random plan draw (backends/cpu/cpu_executor.cc): splitmix64 of a key made of
// (seed, position, layer, group), so both backends give the same counts to the same positions.
double uniform_from_hash(uint64_t key) {
  key += 0x9E3779B97F4A7C15ull;
  key = (key ^ (key >> 30)) * 0xBF58476D1CE4E5B9ull;
  key = (key ^ (key >> 27)) * 0x94D049BB133111EBull;
  key ^= key >> 31;
  return static_cast<double>(key >> 11) * 0x1.0p-53;
}

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

}  // namespace

VulkanExecutor::VulkanExecutor(std::shared_ptr<const VulkanLoadedModel> loaded, const ExecutorOptions& options)
    : loaded_(std::move(loaded)),
      config_(loaded_->model().config()),
      options_(options),
      layout_(config_, options.max_batch, options.context_size) {
  plan_.slices = plan_.max_slices = std::max(1, loaded_->model().max_slices());
}

VulkanExecutor::~VulkanExecutor() {
  VulkanDevice& device = loaded_->device();
  if (commands_ != VK_NULL_HANDLE) device.free_command_buffer(commands_);
  if (descriptor_pool_ != VK_NULL_HANDLE) vkDestroyDescriptorPool(device.device(), descriptor_pool_, nullptr);
}

Result<std::unique_ptr<VulkanExecutor>> VulkanExecutor::create(std::shared_ptr<const VulkanLoadedModel> loaded,
                                                               const ExecutorOptions& options) {
  if (options.context_size <= 0 || options.max_batch <= 0)
    return invalid_argument("context size and batch must be positive");
  std::unique_ptr<VulkanExecutor> e(new VulkanExecutor(std::move(loaded), options));
  MOBIQ_RETURN_IF_ERROR(e->init());
  return e;
}

Status VulkanExecutor::init() {
  VulkanDevice& device = loaded_->device();
  const ModelPlacement& placement = loaded_->placement();
  const uint64_t limit = device.limits().maxStorageBufferRange;
  const uint64_t kv_bytes = layout_.kv_values * loaded_->pipelines().options().kv_bytes();
  if (layout_.activation_words * 4 > limit || kv_bytes > limit || layout_.logits_words * 4 > limit)
    return unsupported("vulkan: the activations, KV cache or logits for a context of " +
                       std::to_string(options_.context_size) + " and a batch of " + std::to_string(options_.max_batch) +
                       " exceed the device's largest buffer binding (" + std::to_string(limit) + " bytes)");
  MOBIQ_ASSIGN_OR_RETURN(activations_, Buffer::create(device, layout_.activation_words * 4, MemoryKind::kDevice));
  MOBIQ_ASSIGN_OR_RETURN(kv_cache_, Buffer::create(device, kv_bytes, MemoryKind::kDevice));
  MOBIQ_ASSIGN_OR_RETURN(io_, Buffer::create(device, layout_.io_words * 4, MemoryKind::kHost));
  MOBIQ_ASSIGN_OR_RETURN(logits_, Buffer::create(device, layout_.logits_words * 4, MemoryKind::kHost));
  MOBIQ_ASSIGN_OR_RETURN(absent_plane_, Buffer::create(device, 16, MemoryKind::kDevice));
  step_ = build_step(config_, placement, layout_, loaded_->pipelines().options());
  MOBIQ_ASSIGN_OR_RETURN(grid_, Buffer::create(device, step_.size() * 3 * sizeof(uint32_t), MemoryKind::kHost));

  // The rope table: cos and sin of position * inv_freq, in f32 exactly as the CPU computes them.
  const math::Rope rope(config_);
  const int half = config_.head_dim / 2;
  std::vector<float> table(static_cast<size_t>(options_.context_size) * half * 2);
  for (int32_t position = 0; position < options_.context_size; ++position)
    for (int i = 0; i < half; ++i) {
      const float angle = static_cast<float>(position) * rope.inv_freq()[i];
      table[(static_cast<size_t>(position) * half + i) * 2] = std::cos(angle);
      table[(static_cast<size_t>(position) * half + i) * 2 + 1] = std::sin(angle);
    }
  MOBIQ_ASSIGN_OR_RETURN(BufferWriter writer, BufferWriter::begin(device, activations_));
  writer.write(uint64_t{layout_.rope} * 4, table.data(), table.size() * sizeof(float));
  MOBIQ_RETURN_IF_ERROR(writer.finish());

  const uint32_t per_token = static_cast<uint32_t>(config_.n_layers * kLinearGroups);
  uint32_t* io = reinterpret_cast<uint32_t*>(io_.mapped());
  std::fill(io, io + layout_.io_words, 0u);
  io[kIoTokenIds] = layout_.tokens;
  io[kIoCounts] = layout_.counts;
  io[kIoThresholds] = layout_.thresholds;
  io[kIoCountsStride] = per_token;

  group_weights_.assign(per_token, 0.0);
  group_planes_.assign(per_token, 0);
  for (int l = 0; l < config_.n_layers; ++l) {
    const LayerPlacement& w = placement.layers[l];
    const LinearPlacement* groups[kLinearGroups][3] = {
        {&w.q, &w.k, &w.v}, {&w.o, nullptr, nullptr}, {&w.gate, &w.up, nullptr}, {&w.down, nullptr, nullptr}};
    for (int g = 0; g < kLinearGroups; ++g)
      for (const LinearPlacement* linear : groups[g])
        if (linear != nullptr && linear->sliced) {
          group_weights_[l * kLinearGroups + g] += static_cast<double>(linear->out) * linear->in;
          group_planes_[l * kLinearGroups + g] = static_cast<uint8_t>(linear->n_planes);
        }
  }
  if (options_.record_slices) recorded_.resize(static_cast<size_t>(options_.max_batch) * per_token);

  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBindingCount};
  VkDescriptorPoolCreateInfo pool{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool.maxSets = 1;
  pool.poolSizeCount = 1;
  pool.pPoolSizes = &size;
  MOBIQ_VK(vkCreateDescriptorPool(device.device(), &pool, nullptr, &descriptor_pool_));
  VkDescriptorSetAllocateInfo allocate{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  allocate.descriptorPool = descriptor_pool_;
  allocate.descriptorSetCount = 1;
  const VkDescriptorSetLayout set_layout = loaded_->pipelines().set_layout();
  allocate.pSetLayouts = &set_layout;
  MOBIQ_VK(vkAllocateDescriptorSets(device.device(), &allocate, &set_));
  MOBIQ_ASSIGN_OR_RETURN(commands_, device.allocate_command_buffer());
  return bind_and_record();
}

// Points the descriptor set at the model's current plane buffers (a tiny placeholder for a released
// plane: no token's count reaches it) and records the step.
Status VulkanExecutor::bind_and_record() {
  VulkanDevice& device = loaded_->device();
  const Buffer* buffers[kBindingCount] = {&loaded_->weights(), nullptr, nullptr, nullptr, nullptr,
                                          &activations_,       &kv_cache_, &io_, &logits_};
  for (int p = 0; p < kMaxPlanes; ++p) buffers[kBindPlane0 + p] = loaded_->plane(p) ? &loaded_->plane(p) : &absent_plane_;
  VkDescriptorBufferInfo infos[kBindingCount];
  VkWriteDescriptorSet writes[kBindingCount];
  for (uint32_t b = 0; b < kBindingCount; ++b) {
    infos[b] = {buffers[b]->handle(), 0, VK_WHOLE_SIZE};
    writes[b] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[b].dstSet = set_;
    writes[b].dstBinding = b;
    writes[b].descriptorCount = 1;
    writes[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[b].pBufferInfo = &infos[b];
  }
  vkUpdateDescriptorSets(device.device(), kBindingCount, writes, 0, nullptr);

  MOBIQ_VK(vkResetCommandBuffer(commands_, 0));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  MOBIQ_VK(vkBeginCommandBuffer(commands_, &begin));
  record_step(commands_, loaded_->pipelines(), set_, grid_.handle(), step_);
  MOBIQ_VK(vkEndCommandBuffer(commands_));
  ++recordings_;
  recorded_generation_ = loaded_->residency_generation();
  return Status::Ok();
}

Status VulkanExecutor::set_plan(const SlicePlan& plan) {
  MOBIQ_RETURN_IF_ERROR(validate_plan(plan, config_, loaded_->has_routers()));
  try {
    plan_ = plan;
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kOutOfMemory, "cannot copy the slice plan");
  }
  return Status::Ok();
}

void VulkanExecutor::write_inputs(std::span<const int32_t> tokens, int32_t start_position, uint32_t head_first) {
  uint32_t* io = reinterpret_cast<uint32_t*>(io_.mapped());
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int per_token = config_.n_layers * kLinearGroups;
  const int cap = std::min(plan_.max_slices, std::max(1, loaded_->resident_planes()));
  io[kIoTokens] = static_cast<uint32_t>(n);
  io[kIoStart] = static_cast<uint32_t>(start_position);
  io[kIoHeadFirst] = head_first;
  io[kIoSliceCap] = static_cast<uint32_t>(cap);
  io[kIoThresholdOffset] = float_bits(plan_.threshold_offset);
  for (int64_t t = 0; t < n; ++t) io[layout_.tokens + t] = static_cast<uint32_t>(tokens[t]);
  if (plan_.mode == SlicePlan::Mode::kRouted) {
    for (int i = 0; i < per_token; ++i) io[layout_.thresholds + i] = float_bits(plan_.thresholds[i]);
    return;  // router.comp writes the counts on the device
  }
  const int base = static_cast<int>(plan_.random_mean);
  const double extra = plan_.random_mean - base;
  for (int64_t t = 0; t < n; ++t)
    for (int i = 0; i < per_token; ++i) {
      const int layer = i / kLinearGroups, g = i % kLinearGroups;
      int k = 1;
      switch (plan_.mode) {
        case SlicePlan::Mode::kUniform: k = plan_.slices; break;
        case SlicePlan::Mode::kPerGroup: k = plan_.group_slices[i]; break;
        case SlicePlan::Mode::kExplicit: k = plan_.explicit_slices[t * per_token + i]; break;
        case SlicePlan::Mode::kRandom: {
          const uint64_t key = (plan_.random_seed * 0x9E3779B97F4A7C15ull) ^
                               ((static_cast<uint64_t>(start_position + t) << 16) | (layer << 2) | g);
          k = base + (uniform_from_hash(key) < extra ? 1 : 0);
          break;
        }
        case SlicePlan::Mode::kRouted: break;
      }
      io[layout_.counts + t * per_token + i] = static_cast<uint32_t>(std::max(1, std::min({k, cap, int{group_planes_[i]}})));
    }
}

// Bits read, from the counts the pass used (for a routed plan, what the routers wrote on the device).
void VulkanExecutor::count_reads(int64_t n) {
  const uint32_t* io = reinterpret_cast<const uint32_t*>(io_.mapped());
  const int per_token = config_.n_layers * kLinearGroups;
  const bool routed = plan_.mode == SlicePlan::Mode::kRouted;
  for (int64_t t = 0; t < n; ++t)
    for (int i = 0; i < per_token; ++i) {
      if (group_planes_[i] == 0) continue;
      const uint32_t k = io[layout_.counts + t * per_token + i];
      stats_.slice_weights += group_weights_[i] * k;
      if (routed) stats_.router_parameters += static_cast<double>(loaded_->placement().layers[i / kLinearGroups].routers[i % kLinearGroups].parameters);
      if (options_.record_slices) recorded_[t * per_token + i] = static_cast<uint8_t>(k);
    }
  stats_.tokens += n;
  recorded_tokens_ = n;
}

// The whole forward pass: write the inputs and the grid, submit the recorded step, read the outputs.
Status VulkanExecutor::forward(std::span<const int32_t> tokens, int32_t start_position, const ForwardOutput& output) {
  MOBIQ_RETURN_IF_ERROR(validate_forward(tokens, start_position, cached_, options_, config_, plan_, output));
  if (recorded_generation_ != loaded_->residency_generation()) MOBIQ_RETURN_IF_ERROR(bind_and_record());
  const uint32_t n = static_cast<uint32_t>(tokens.size());
  StepShape shape;
  shape.tokens = n;
  shape.routed = plan_.mode == SlicePlan::Mode::kRouted;
  shape.argmax = output.kind == ForwardOutput::Kind::kArgmax;
  shape.head_rows = output.kind == ForwardOutput::Kind::kNone ? 0 : output.kind == ForwardOutput::Kind::kAllLogits ? n : 1;
  write_inputs(tokens, start_position, n - std::max(shape.head_rows, 1u));
  write_grid(step_, shape, reinterpret_cast<uint32_t*>(grid_.mapped()));
  MOBIQ_RETURN_IF_ERROR(loaded_->device().submit_and_wait(commands_));
  cached_ = start_position + static_cast<int32_t>(n);
  count_reads(n);
  const uint32_t* io = reinterpret_cast<const uint32_t*>(io_.mapped());
  const float* logits = reinterpret_cast<const float*>(logits_.mapped());
  switch (output.kind) {
    case ForwardOutput::Kind::kNone: break;
    case ForwardOutput::Kind::kLastLogits:
    case ForwardOutput::Kind::kAllLogits:
      std::memcpy(output.logits, logits, static_cast<size_t>(shape.head_rows) * config_.vocab_size * sizeof(float));
      break;
    case ForwardOutput::Kind::kArgmax: *output.argmax = static_cast<int32_t>(io[kIoArgmax]); break;
  }
  return Status::Ok();
}

Status VulkanExecutor::truncate(int32_t position) {
  if (position < 0) return invalid_argument("truncate: negative position");
  cached_ = std::min(cached_, position);
  return Status::Ok();
}

Status VulkanExecutor::read_slice_counts(std::span<uint8_t> out) const {
  if (!options_.record_slices)
    return invalid_argument("read_slice_counts: the executor was created without record_slices");
  const size_t count = static_cast<size_t>(recorded_tokens_) * config_.n_layers * kLinearGroups;
  if (out.size() != count)
    return invalid_argument("read_slice_counts: the last forward pass has " + std::to_string(count) +
                            " counts, the buffer holds " + std::to_string(out.size()));
  std::copy(recorded_.begin(), recorded_.begin() + count, out.begin());
  return Status::Ok();
}

}  // namespace mobiq::vulkan
