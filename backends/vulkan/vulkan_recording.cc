#include "backends/vulkan/vulkan_recording.h"

#include <cstring>
#include <initializer_list>

namespace mobiq::vulkan {
namespace {

constexpr uint32_t kWorkgroup = 64;     // shaders/common.glsl's WG

uint32_t ceil_div(int64_t a, uint32_t b) { return static_cast<uint32_t>((a + b - 1) / b); }

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

class StepBuilder {
 public:
  StepBuilder(const ModelConfig& c, const ModelPlacement& p, const ExecutorLayout& a, const PipelineOptions& m)
      : c_(c), p_(p), a_(a), matmuls_(m) {}

  Dispatch& add(Shader shader, std::initializer_list<uint32_t> push, uint32_t groups_x,
                Dispatch::Rows rows = Dispatch::Rows::kTokens, Dispatch::When when = Dispatch::When::kAlways) {
    Dispatch d;
    d.shader = shader;
    std::copy(push.begin(), push.end(), d.push.begin());
    d.groups_x = groups_x;
    d.rows = rows;
    d.when = when;
    step_.push_back(d);
    return step_.back();
  }

  // y = W x as a GEMV (one row) and a GEMM (several rows), of which each pass runs one.
  void matmul(Shader gemv, Shader gemm, std::initializer_list<uint32_t> push, int64_t out, bool barrier_before,
              Dispatch::Rows rows = Dispatch::Rows::kTokens, Dispatch::When when = Dispatch::When::kAlways) {
    Dispatch& single = add(gemv, push, ceil_div(out, matmuls_.gemv.rows_per_workgroup()), rows, when);
    single.count = Dispatch::Count::kSingle;
    single.barrier_before = barrier_before;
    Dispatch& several = add(gemm, push, ceil_div(out, matmuls_.gemm.rows_per_workgroup()), rows, when);
    several.count = Dispatch::Count::kSeveral;
    several.rows_per_group = matmuls_.gemm.tile;
    several.barrier_before = false;
  }

  void rms_norm(uint32_t x, uint32_t out, uint32_t weight, bool head_rows) {
    add(Shader::kRmsNorm, {x, out, weight, uint32_t(c_.hidden_size), float_bits(c_.rms_norm_eps), head_rows ? 1u : 0u},
        1, head_rows ? Dispatch::Rows::kHeadRows : Dispatch::Rows::kTokens,
        head_rows ? Dispatch::When::kHead : Dispatch::When::kAlways);
  }

  // A group's router (routed plans only), then y = W x for each linear of the group.
  void group(int layer, LinearGroup g, uint32_t x, std::initializer_list<std::pair<const LinearPlacement*, uint32_t>> linears) {
    const uint32_t count_index = uint32_t(layer * kLinearGroups + static_cast<int>(g));
    const RouterPlacement& r = p_.layers[layer].routers[static_cast<int>(g)];
    const LinearPlacement& first = *linears.begin()->first;
    if (r.hidden > 0 && first.sliced)
      add(Shader::kRouter, {x, uint32_t(r.in), uint32_t(r.hidden), r.w1, r.b1, r.w2, r.b2, count_index,
                            uint32_t(first.n_planes)},
          1, Dispatch::Rows::kTokens, Dispatch::When::kRouted);
    bool first_linear = true;
    for (const auto& [w, y] : linears) {
      if (w->sliced)
        matmul(Shader::kMatmulSliced, Shader::kMatmulSlicedTiled,
               {w->plane[0], w->plane[1], w->plane[2], w->plane[3], w->scales, w->zeros, uint32_t(w->in),
                uint32_t(w->out), x, y, count_index},
               w->out, first_linear);
      else
        matmul(Shader::kMatmulDense, Shader::kMatmulDenseTiled,
               {w->dense.word, w->dense.dtype, uint32_t(w->in), uint32_t(w->out), x, y, 0}, w->out, first_linear);
      first_linear = false;
    }
  }

  void layer(int l) {
    const LayerPlacement& w = p_.layers[l];
    const uint32_t hidden = uint32_t(c_.hidden_size), inter = uint32_t(c_.intermediate_size);
    const uint32_t k_cache = uint32_t(a_.kv_layer * l), v_cache = k_cache + uint32_t(a_.kv_layer / 2);
    // x += o_proj(attention(rope(q_proj(norm(x))), cache + rope(k_proj(...)), cache + v_proj(...)))
    rms_norm(a_.x, a_.normed, w.attn_norm, false);
    group(l, LinearGroup::kQkv, a_.normed, {{&w.q, a_.q}, {&w.k, a_.k}, {&w.v, a_.v}});
    add(Shader::kRopeStoreKv, {a_.q, a_.k, a_.v, uint32_t(c_.n_heads), uint32_t(c_.n_kv_heads), uint32_t(c_.head_dim),
                               k_cache, v_cache, a_.rope},
        1);
    add(Shader::kAttention, {a_.q, a_.mixed, k_cache, v_cache, uint32_t(c_.n_heads), uint32_t(c_.n_kv_heads),
                             uint32_t(c_.head_dim)},
        uint32_t(c_.n_heads));
    group(l, LinearGroup::kO, a_.mixed, {{&w.o, a_.delta}});
    add(Shader::kAdd, {a_.x, a_.delta, hidden}, ceil_div(hidden, kWorkgroup));
    // x += down_proj(silu(gate_proj(norm(x))) * up_proj(norm(x)))
    rms_norm(a_.x, a_.normed, w.ffn_norm, false);
    group(l, LinearGroup::kGateUp, a_.normed, {{&w.gate, a_.gate}, {&w.up, a_.up}});
    add(Shader::kSwiglu, {a_.gate, a_.up, inter}, ceil_div(inter, kWorkgroup));
    group(l, LinearGroup::kDown, a_.gate, {{&w.down, a_.delta}});
    add(Shader::kAdd, {a_.x, a_.delta, hidden}, ceil_div(hidden, kWorkgroup));
  }

  std::vector<Dispatch> build() {
    const uint32_t hidden = uint32_t(c_.hidden_size), vocab = uint32_t(c_.vocab_size);
    add(Shader::kEmbed, {p_.embedding.word, p_.embedding.dtype, hidden, a_.x}, ceil_div(hidden, kWorkgroup));
    for (int l = 0; l < c_.n_layers; ++l) layer(l);
    // Only the rows whose logits are wanted go through the final norm and the output head.
    rms_norm(a_.x, a_.normed, p_.final_norm, true);
    matmul(Shader::kMatmulDense, Shader::kMatmulDenseTiled, {p_.output.word, p_.output.dtype, hidden, vocab, a_.normed, 0, 1},
           vocab, true, Dispatch::Rows::kHeadRows, Dispatch::When::kHead);
    add(Shader::kArgmax, {vocab}, 1, Dispatch::Rows::kOne, Dispatch::When::kArgmax);
    return std::move(step_);
  }

 private:
  const ModelConfig& c_;
  const ModelPlacement& p_;
  const ExecutorLayout& a_;
  const PipelineOptions& matmuls_;  // the matmul pipelines' work splits
  std::vector<Dispatch> step_;
};

}  // namespace

std::vector<Dispatch> build_step(const ModelConfig& config, const ModelPlacement& placement,
                                 const ExecutorLayout& layout, const PipelineOptions& matmuls) {
  return StepBuilder(config, placement, layout, matmuls).build();
}

void record_step(VkCommandBuffer commands, const Pipelines& pipelines, VkDescriptorSet set, VkBuffer indirect,
                 const std::vector<Dispatch>& step) {
  // What the host wrote (inputs, grid) and earlier submissions wrote (weights, cache) is visible.
  VkMemoryBarrier start{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  start.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  start.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_INDIRECT_COMMAND_READ_BIT;
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                       VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &start, 0,
                       nullptr, 0, nullptr);
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipelines.layout(), 0, 1, &set, 0, nullptr);
  VkMemoryBarrier between{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  between.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  between.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  VkPipeline bound = VK_NULL_HANDLE;
  for (size_t i = 0; i < step.size(); ++i) {
    const Dispatch& d = step[i];
    if (i > 0 && d.barrier_before)
      vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                           &between, 0, nullptr, 0, nullptr);
    const VkPipeline pipeline = pipelines.pipeline(d.shader);
    if (pipeline != bound) vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    bound = pipeline;
    vkCmdPushConstants(commands, pipelines.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushWords * 4, d.push.data());
    vkCmdDispatchIndirect(commands, indirect, i * 3 * sizeof(uint32_t));
  }
  // Logits, argmax and routed slice counts are read by the host after the fence.
  VkMemoryBarrier end{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  end.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  end.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &end, 0,
                       nullptr, 0, nullptr);
}

void write_grid(const std::vector<Dispatch>& step, const StepShape& shape, uint32_t* grid) {
  for (size_t i = 0; i < step.size(); ++i) {
    const Dispatch& d = step[i];
    bool on = true;
    switch (d.when) {
      case Dispatch::When::kAlways: break;
      case Dispatch::When::kRouted: on = shape.routed; break;
      case Dispatch::When::kHead: on = shape.head_rows > 0; break;
      case Dispatch::When::kArgmax: on = shape.argmax; break;
    }
    uint32_t rows = 1;
    if (d.rows == Dispatch::Rows::kTokens) rows = shape.tokens;
    if (d.rows == Dispatch::Rows::kHeadRows) rows = shape.head_rows;
    if (d.count == Dispatch::Count::kSingle) on = on && rows == 1;
    if (d.count == Dispatch::Count::kSeveral) on = on && rows > 1;
    grid[3 * i] = on ? d.groups_x : 0;
    grid[3 * i + 1] = on ? (rows + d.rows_per_group - 1) / d.rows_per_group : 0;
    grid[3 * i + 2] = 1;
  }
}

}  // namespace mobiq::vulkan
