// mobiq inspect: what a .mbq file holds (format, hyper-parameters, provenance, bytes per plane,
// bits per weight at each slice count), after full verification.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "format/mbq_reader.h"
#include "format/slice_layout.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"

namespace mobiq::cli {
namespace {

struct InspectArgs {
  std::string path;
  bool json = false;
  bool no_verify = false;
};

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

int run_inspect(const InspectArgs& args) {
  MbqReadOptions options;
  options.verify_checksums = !args.no_verify;
  Result<MbqFile> opened = MbqFile::open(args.path, options);
  if (!opened.ok()) return report_error(opened.status());
  const MbqFile& file = *opened;
  const ModelConfig& c = file.config();
  const fb::Model& m = file.model();

  // Bytes per plane and weights in sliced linears; group parameters count against every k.
  uint64_t plane_bytes[kMaxPlanes] = {}, group_param_bytes = 0, weights = 0, dense_bytes = 0;
  if (m.linears())
    for (const fb::SlicedLinear* linear : *m.linears()) {
      weights += static_cast<uint64_t>(linear->out()) * linear->in();
      for (uint32_t p = 0; p < linear->plane_segments()->size(); ++p)
        plane_bytes[p] += file.segment_size(linear->plane_segments()->Get(p));
      group_param_bytes += file.segment_size(linear->scales_segment()) + file.segment_size(linear->zeros_segment());
    }
  if (m.dense_tensors())
    for (const fb::DenseTensor* t : *m.dense_tensors()) dense_bytes += file.segment_size(t->segment());

  nlohmann::json planes = nlohmann::json::array();
  uint64_t cumulative = group_param_bytes;
  for (int k = 1; k <= kMaxPlanes; ++k) {
    cumulative += plane_bytes[k - 1];
    planes.push_back({{"slices", k}, {"plane_bytes", plane_bytes[k - 1]},
                      {"bits_per_weight", weights ? 8.0 * cumulative / weights : 0.0}});
  }
  const fb::Provenance* prov = m.provenance();
  nlohmann::json doc = {
      {"file", args.path},
      {"format_version", std::to_string(file.preamble().format_major) + "." + std::to_string(file.preamble().format_minor)},
      {"file_bytes", file.mapping().size()},
      {"checksums", args.no_verify ? "not verified" : "verified"},
      {"segments", file.segment_count()},
      {"config",
       {{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size}, {"intermediate_size", c.intermediate_size},
        {"n_layers", c.n_layers}, {"n_heads", c.n_heads}, {"n_kv_heads", c.n_kv_heads}, {"head_dim", c.head_dim},
        {"rope_theta", c.rope_theta}, {"rms_norm_eps", c.rms_norm_eps}, {"max_position", c.max_position},
        {"tie_embeddings", c.tie_embeddings}, {"bos_id", c.bos_id}, {"eos_ids", c.eos_ids}}},
      {"provenance",
       {{"source", prov ? str(prov->source()) : ""}, {"method", prov ? str(prov->quantization_method()) : ""},
        {"converter", prov ? str(prov->converter_version()) : ""}}},
      {"sliced_linears", m.linears() ? m.linears()->size() : 0},
      {"sliced_weights", weights},
      {"group_parameter_bytes", group_param_bytes},
      {"dense_bytes", dense_bytes},
      {"planes", planes},
      {"routers", m.routers() ? m.routers()->size() : 0},
  };
  if (m.routers()) {
    uint64_t parameters = 0;
    for (const fb::Router* r : *m.routers())
      parameters += static_cast<uint64_t>(r->hidden()) * (r->input_dim() + 1) + 3 * (r->hidden() + 2);
    doc["router_parameters"] = parameters;
    doc["router_bits_per_weight"] = weights ? 16.0 * parameters / weights : 0.0;
  }
  if (m.budget_table()) {
    nlohmann::json budgets = nlohmann::json::array();
    for (const fb::BudgetEntry* e : *m.budget_table())
      budgets.push_back({{"bits", e->budget_bits()}, {"routed", e->thresholds() != nullptr},
                         {"calibration_bits", e->calibration_bits()}});
    doc["budget_table"] = budgets;
  }
  if (const fb::Calibration* c = m.calibration())
    doc["calibration"] = {{"method", str(c->method())}, {"dataset", str(c->dataset())}, {"windows", c->windows()},
                          {"window_tokens", c->window_tokens()}, {"seed", c->seed()}, {"seconds", c->seconds()}};
  if (args.json) {
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }
  std::printf("%s: mbq %s, %llu bytes, %u segments, checksums %s\n", args.path.c_str(),
              doc["format_version"].get<std::string>().c_str(), static_cast<unsigned long long>(file.mapping().size()),
              file.segment_count(), args.no_verify ? "not verified" : "verified");
  std::printf("model: %d layers, hidden %d, %d heads (%d kv, dim %d), ffn %d, vocab %d, rope theta %g%s\n",
              c.n_layers, c.hidden_size, c.n_heads, c.n_kv_heads, c.head_dim, c.intermediate_size, c.vocab_size,
              c.rope_theta, c.tie_embeddings ? ", tied embeddings" : "");
  std::printf("source: %s, method %s, by %s\n", doc["provenance"]["source"].get<std::string>().c_str(),
              doc["provenance"]["method"].get<std::string>().c_str(),
              doc["provenance"]["converter"].get<std::string>().c_str());
  std::printf("sliced linears: %zu, %llu weights; dense tensors: %llu bytes\n",
              static_cast<size_t>(doc["sliced_linears"].get<uint64_t>()), static_cast<unsigned long long>(weights),
              static_cast<unsigned long long>(dense_bytes));
  std::printf("%-7s %14s %16s\n", "slices", "plane bytes", "bits/weight*");
  for (const auto& p : planes)
    std::printf("%-7d %14llu %16.3f\n", p["slices"].get<int>(), static_cast<unsigned long long>(p["plane_bytes"].get<uint64_t>()),
                p["bits_per_weight"].get<double>());
  std::printf("* sliced linears only, scales and zero points included\n");
  if (doc.contains("calibration")) {
    const auto& c = doc["calibration"];
    std::printf("calibration: %s on %s, %d windows of %d tokens, seed %llu, %.0f s\n",
                c["method"].get<std::string>().c_str(), c["dataset"].get<std::string>().c_str(), c["windows"].get<int>(),
                c["window_tokens"].get<int>(), static_cast<unsigned long long>(c["seed"].get<uint64_t>()),
                c["seconds"].get<double>());
  }
  if (doc.contains("router_parameters"))
    std::printf("routers: %zu, %llu parameters (%.3f bits per weight when they run)\n",
                static_cast<size_t>(doc["routers"].get<uint64_t>()),
                static_cast<unsigned long long>(doc["router_parameters"].get<uint64_t>()),
                doc["router_bits_per_weight"].get<double>());
  if (doc.contains("budget_table")) {
    const auto& t = doc["budget_table"];
    int routed = 0;
    for (const auto& e : t) routed += e["routed"].get<bool>() ? 1 : 0;
    std::printf("budgets: %zu from %.2f to %.2f bits (%d routed, the rest fixed per-layer allocations)\n", t.size(),
                t.front()["bits"].get<double>(), t.back()["bits"].get<double>(), routed);
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& root) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* app = root.add_subcommand("inspect", "describe a .mbq file (verifies it first)");
  app->add_option("model", args->path, "the .mbq file")->required()->check(CLI::ExistingFile);
  app->add_flag("--json", args->json, "one JSON document on stdout");
  app->add_flag("--no-verify", args->no_verify, "skip the segment checksums");
  return {app, [args] { return run_inspect(*args); }};
}

}  // namespace mobiq::cli
