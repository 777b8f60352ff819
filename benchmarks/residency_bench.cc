// Resident memory of a .mbq model's slice planes at 1, 2, 3 and 4 planes kept (the CPU backend's LoadedModel::set_resident_planes), and
// what one switch costs. Two models: fixture-a converted from ../shared, and a larger synthetic model
// (hidden 2048, 8 layers, random codes) written with MbqWriter; both go to a temporary directory.
//
//   residency_bench [fixture-a dir]      (default: the MOBIQ_SHARED_DIR the build was configured with)
//
// Each step keeps k planes and then reads every page of planes 0..k-1, as decoding at k slices does.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "format/mbq_tensors.h"
#include "format/mbq_writer.h"
#include "backends/registry.h"
#include "runtime/core/resident_memory.h"
#include "runtime/model/model.h"
#include "tools/quantizer/hf_converter.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kMiB = 1024.0 * 1024.0;

double mib(uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// This process's resident set (/proc/self/statm, second field, in pages).
uint64_t process_rss() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

uint64_t touch(std::span<const uint8_t> region) {
  uint64_t sum = 0;
  for (size_t i = 0; i < region.size(); i += 4096) sum += static_cast<const volatile uint8_t&>(region[i]);
  return sum;
}

void touch_planes(const mobiq::Model& model, int planes) {
  for (int p = 0; p < planes; ++p) touch(model.plane_regions()[p]);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A LLaMA-shaped model with random plane bytes (the codes do not matter for residency), fixture-a's
// tokenizer (Model::open_mbq builds one) and a bf16 embedding tied to the output head.
mobiq::Status write_synthetic(const std::string& path, const fs::path& fixture_dir) {
  using namespace mobiq;
  MbqMetadata meta;
  ModelConfig& c = meta.config;
  c.vocab_size = 32000;
  c.hidden_size = 2048;
  c.intermediate_size = 5632;
  c.n_layers = 8;
  c.n_heads = 16;
  c.n_kv_heads = 4;
  c.head_dim = 128;
  c.max_position = 2048;
  c.tie_embeddings = true;
  c.bos_id = 1;
  c.eos_ids = {2};
  meta.architecture = "llama";
  meta.tokenizer_json = read_text(fixture_dir / "tokenizer.json");
  meta.tokenizer_config_json = read_text(fixture_dir / "tokenizer_config.json");
  meta.source = "synthetic:residency_bench";
  meta.quantization_method = "nested-rtn";
  meta.converter_version = converter_version();

  std::vector<MbqDenseSpec> dense = {{"embed", fb::DenseRole::TokenEmbedding, -1, DType::kBF16, {c.vocab_size, c.hidden_size}},
                                     {"final_norm", fb::DenseRole::FinalNorm, -1, DType::kF16, {c.hidden_size}}};
  for (int32_t l = 0; l < c.n_layers; ++l) {
    dense.push_back({"attn_norm", fb::DenseRole::AttnNorm, l, DType::kF16, {c.hidden_size}});
    dense.push_back({"ffn_norm", fb::DenseRole::FfnNorm, l, DType::kF16, {c.hidden_size}});
  }
  std::vector<MbqLinearSpec> linears;
  for (int32_t l = 0; l < c.n_layers; ++l)
    for (fb::Projection projection : fb::EnumValuesProjection()) {
      const auto [out, in] = *linear_shape(c, projection);
      linears.push_back({l, projection, out, in, kMaxPlanes});
    }

  MOBIQ_ASSIGN_OR_RETURN(MbqWriter writer, MbqWriter::create(path, meta, dense, linears));
  // One buffer of random bytes, large enough for the largest tensor, serves every tensor.
  std::vector<uint8_t> bytes(static_cast<size_t>(c.vocab_size * c.hidden_size * 2));
  std::mt19937_64 rng(1);
  for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    const uint64_t r = rng();
    std::copy_n(reinterpret_cast<const uint8_t*>(&r), 8, bytes.data() + i);
  }
  const std::vector<uint16_t> ones(static_cast<size_t>(c.intermediate_size * n_groups(c.intermediate_size)), 0x3C00);
  for (size_t i = 0; i < dense.size(); ++i) {
    size_t n = static_cast<size_t>(dtype_size(dense[i].dtype));
    for (int64_t d : dense[i].shape) n *= static_cast<size_t>(d);
    MOBIQ_RETURN_IF_ERROR(writer.write_dense(i, std::span<const uint8_t>(bytes.data(), n)));
  }
  for (size_t i = 0; i < linears.size(); ++i) {
    SlicedTensor t;
    t.out = linears[i].out;
    t.in = linears[i].in;
    t.n_planes = kMaxPlanes;
    for (int p = 0; p < kMaxPlanes; ++p) t.planes[p] = bytes.data() + p * 4096;
    t.scales = ones.data();
    t.zeros = ones.data();
    MOBIQ_RETURN_IF_ERROR(writer.write_linear(i, t));
  }
  return writer.finish();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void report(const std::string& name, const std::string& path) {
  auto opened = mobiq::Model::open_mbq(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), opened.status().to_string().c_str());
    return;
  }
  const mobiq::Model& model = *opened;
  auto loaded = mobiq::load_model("cpu", model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), loaded.status().to_string().c_str());
    return;
  }
  mobiq::LoadedModel& residency = **loaded;
  uint64_t region_bytes = 0;
  for (const auto& region : model.plane_regions()) region_bytes += region.size();
  std::printf("\n%s: file %.1f MiB, plane regions %.1f MiB (%.1f MiB each)\n", name.c_str(),
              mib(model.mapped_file().size()), mib(region_bytes), mib(model.plane_regions()[0].size()));
  std::printf("%-8s %16s %16s %14s %12s %14s\n", "planes", "planes resident", "file resident", "process RSS",
              "switch ms", "read-back ms");

  touch_planes(model, 4);
  for (int k : {4, 3, 2, 1, 2, 3, 4}) {
    const auto switch_start = Clock::now();
    const mobiq::Status status = residency.set_resident_planes(k);
    const double switch_ms = ms_since(switch_start);
    if (!status.ok()) {
      std::fprintf(stderr, "set_resident(%d): %s\n", k, status.to_string().c_str());
      return;
    }
    const auto read_start = Clock::now();
    touch_planes(model, k);
    const double read_ms = ms_since(read_start);
    std::printf("%-8d %12.1f MiB %12.1f MiB %10.1f MiB %12.3f %14.3f\n", k, mib(residency.resident_plane_bytes()),
                mib(mobiq::resident_bytes_of(model.mapped_file())), mib(process_rss()), switch_ms, read_ms);
  }

  // One switch, repeated: 4 -> 1 gives three planes back; 1 -> 4 only starts read-ahead (asynchronous),
  // so the first reads of the raised planes pay for the faults.
  std::vector<double> down, up, refault;
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    (void)residency.set_resident_planes(1);
    down.push_back(ms_since(start));
    start = Clock::now();
    (void)residency.set_resident_planes(4);
    up.push_back(ms_since(start));
    start = Clock::now();
    touch_planes(model, 4);
    refault.push_back(ms_since(start));
  }
  std::printf("switch 4 -> 1: %.3f ms; 1 -> 4: %.3f ms; reading planes 0..3 after it: %.3f ms (medians of 5)\n",
              median(down), median(up), median(refault));
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path fixture = argc > 1 ? fs::path(argv[1]) : fs::path(MOBIQ_SHARED_DIR) / "models" / "fixture-a";
  if (!fs::exists(fixture / "config.json")) {
    std::fprintf(stderr, "residency_bench: no fixture-a at %s (pass its directory)\n", fixture.c_str());
    return 1;
  }
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("mobiq-residency-bench-" + std::to_string(rd()));
  fs::create_directories(dir);
  std::printf("page size %ld bytes\n", ::sysconf(_SC_PAGESIZE));

  mobiq::ConvertOptions convert;
  convert.input_dir = fixture.string();
  convert.output_path = (dir / "fixture-a.mbq").string();
  if (const mobiq::Status s = mobiq::convert_hf_to_mbq(convert); !s.ok()) {
    std::fprintf(stderr, "converting fixture-a: %s\n", s.to_string().c_str());
  } else {
    report("fixture-a", convert.output_path);
  }
  const std::string synthetic = (dir / "synthetic-2048x8.mbq").string();
  if (const mobiq::Status s = write_synthetic(synthetic, fixture); !s.ok()) {
    std::fprintf(stderr, "writing the synthetic model: %s\n", s.to_string().c_str());
  } else {
    report("synthetic (hidden 2048, 8 layers)", synthetic);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
