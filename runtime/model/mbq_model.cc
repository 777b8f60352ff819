// Model::open_mbq: a verified .mbq file (format/mbq_reader.h) turned into a Model whose weight views
// point into the file's read-only mapping; the mapping is the Model's storage.
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "format/mbq_reader.h"
#include "format/mbq_tensors.h"
#include "runtime/core/half.h"
#include "runtime/model/model.h"

namespace mobiq {
namespace {

LinearWeights* linear_slot(LayerWeights& layer, fb::Projection projection) {
  switch (projection) {
    case fb::Projection::Q: return &layer.q;
    case fb::Projection::K: return &layer.k;
    case fb::Projection::V: return &layer.v;
    case fb::Projection::O: return &layer.o;
    case fb::Projection::Gate: return &layer.gate;
    case fb::Projection::Up: return &layer.up;
    case fb::Projection::Down: return &layer.down;
  }
  return nullptr;
}

DenseTensor* dense_slot(ModelWeights& w, fb::DenseRole role, int32_t layer) {
  switch (role) {
    case fb::DenseRole::TokenEmbedding: return &w.token_embedding;
    case fb::DenseRole::FinalNorm: return &w.final_norm;
    case fb::DenseRole::Output: return &w.output;
    case fb::DenseRole::AttnNorm: return &w.layers[layer].attn_norm;
    case fb::DenseRole::FfnNorm: return &w.layers[layer].ffn_norm;
  }
  return nullptr;
}

// Every weight the forward pass reads, each exactly once (the reader has already checked shapes,
// layer indices and segment sizes); the output head is the embedding when tied.
Result<ModelWeights> collect_weights(const MbqFile& file, int* max_slices) {
  const ModelConfig& config = file.config();
  ModelWeights w;
  w.layers.resize(static_cast<size_t>(config.n_layers));
  for (const fb::DenseTensor* d : *file.model().dense_tensors()) {
    DenseTensor* slot = dense_slot(w, d->role(), d->layer());
    const std::string name = d->name() ? d->name()->str() : dense_role_name(d->role());
    if (slot->data != nullptr) return corrupt_file("dense tensor " + name + " appears twice");
    if (d->role() == fb::DenseRole::Output && config.tie_embeddings)
      return corrupt_file("the file has an output head but its embeddings are tied");
    *slot = file.dense_view(*d);
  }
  *max_slices = kMaxPlanes;
  for (const fb::SlicedLinear* l : *file.model().linears()) {
    LinearWeights* slot = linear_slot(w.layers[l->layer()], l->projection());
    if (slot->is_sliced())
      return corrupt_file("layer " + std::to_string(l->layer()) + " " + projection_name(l->projection()) +
                          " appears twice");
    slot->sliced = file.sliced_view(*l);
    *max_slices = std::min(*max_slices, l->n_planes());
  }

  if (w.token_embedding.data == nullptr) return corrupt_file("the file has no token embedding");
  if (w.final_norm.data == nullptr) return corrupt_file("the file has no final norm");
  if (config.tie_embeddings) w.output = w.token_embedding;
  if (w.output.data == nullptr) return corrupt_file("the embeddings are untied but the file has no output head");
  for (int32_t i = 0; i < config.n_layers; ++i) {
    const LayerWeights& layer = w.layers[i];
    const std::string where = "layer " + std::to_string(i);
    if (layer.attn_norm.data == nullptr || layer.ffn_norm.data == nullptr)
      return corrupt_file(where + " is missing a norm");
    for (const LinearWeights* linear : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (!linear->is_sliced()) return corrupt_file(where + " is missing a linear projection");
  }
  return w;
}

// Plane p's region: from its first segment's offset to its last segment's end. The reader has checked
// that segments are in plane-major order, so the range holds plane-p segments only (and padding).
Model::PlaneRegions plane_regions_of(const MbqFile& file) {
  Model::PlaneRegions regions{};
  std::array<uint64_t, kMaxPlanes> begin{}, end{};
  for (const fb::Segment* s : *file.model().segments()) {
    const int plane = static_cast<int>(s->kind()) - static_cast<int>(fb::SegmentKind::Plane0);
    if (plane < 0 || plane >= kMaxPlanes) continue;
    if (end[plane] == 0) begin[plane] = s->offset();
    end[plane] = s->offset() + s->size();
  }
  const uint8_t* base = file.mapping().data();
  for (int p = 0; p < kMaxPlanes; ++p)
    if (end[p] > begin[p]) regions[p] = {base + begin[p], static_cast<size_t>(end[p] - begin[p])};
  return regions;
}

// What a Model opened from a file owns: the mapping, and the routers widened from f16 to f32.
struct MbqStorage {
  std::shared_ptr<const MbqFile> file;
  std::vector<float> router_values;
};

// Routers (already checked by the reader) as f32 views into storage.router_values.
void load_routers(const MbqFile& file, ModelWeights& w, std::vector<float>& values) {
  const auto* routers = file.model().routers();
  if (routers == nullptr) return;
  size_t total = 0;
  for (const fb::Router* r : *routers) total += r->w1()->size() + r->b1()->size() + r->w2()->size() + r->b2()->size();
  values.reserve(total);  // no reallocation below: the views point into it
  auto widen = [&values](const flatbuffers::Vector<uint16_t>* v) {
    const float* start = values.data() + values.size();
    for (uint16_t h : *v) values.push_back(f16_to_f32(h));
    return start;
  };
  for (const fb::Router* r : *routers) {
    RouterWeights& router = w.layers[r->layer()].routers[static_cast<int>(r->group())];
    router.in = r->input_dim();
    router.hidden = r->hidden();
    router.w1 = widen(r->w1());
    router.b1 = widen(r->b1());
    router.w2 = widen(r->w2());
    router.b2 = widen(r->b2());
  }
}

void load_budget_plans(const MbqFile& file, ModelWeights& w) {
  const auto* table = file.model().budget_table();
  if (table == nullptr) return;
  for (const fb::BudgetEntry* e : *table) {
    BudgetEntry plan;
    plan.bits = e->budget_bits();
    if (e->thresholds()) plan.thresholds.assign(e->thresholds()->begin(), e->thresholds()->end());
    plan.fixed_slices.assign(e->fixed_slices()->begin(), e->fixed_slices()->end());
    plan.calibration_bits = e->calibration_bits();
    w.budget_table.push_back(std::move(plan));
  }
}

}  // namespace

Result<Model> Model::open_mbq(const std::string& path, const MbqOpenOptions& options) {
  MbqReadOptions read_options;
  read_options.verify_checksums = options.verify_checksums;
  MOBIQ_ASSIGN_OR_RETURN(MbqFile opened, MbqFile::open(path, read_options));
  auto storage = std::make_shared<MbqStorage>();
  storage->file = std::make_shared<const MbqFile>(std::move(opened));
  const std::shared_ptr<const MbqFile>& file = storage->file;

  int max_slices = 0;
  auto weights = collect_weights(*file, &max_slices);
  if (!weights.ok()) return weights.status().with_context(path);
  load_routers(*file, *weights, storage->router_values);
  load_budget_plans(*file, *weights);
  const fb::TokenizerData& texts = *file->model().tokenizer();
  auto tokenizer = Tokenizer::from_hf_json(texts.tokenizer_json()->str(),
                                           texts.tokenizer_config_json() ? texts.tokenizer_config_json()->str() : "");
  if (!tokenizer.ok()) return tokenizer.status().with_context(path + ": stored tokenizer");
  std::string chat_template = texts.chat_template() ? texts.chat_template()->str() : "";
  const std::span<const uint8_t> mapped(file->mapping().data(), static_cast<size_t>(file->mapping().size()));
  return Model(file->config(), std::move(weights).value(), std::move(tokenizer).value(), storage, max_slices,
               std::move(chat_template), mapped, plane_regions_of(*file));
}

}  // namespace mobiq
