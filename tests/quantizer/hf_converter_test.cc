// End to end on the shared fixture-a checkpoint: Hugging Face directory -> .mbq -> reader and Model.
#include "tools/quantizer/hf_converter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "format/mbq_reader.h"
#include "runtime/core/half.h"
#include "runtime/model/hf_checkpoint.h"
#include "runtime/model/model.h"
#include "tests/model/test_checkpoint_writer.h"
#include "tests/support/expect_config.h"
#include "tests/support/shared_data.h"
#include "tools/quantizer/nested_rtn.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("mobiq-convert-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<char> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ConvertOptions options_for(const fs::path& in, const fs::path& out) {
  ConvertOptions o;
  o.input_dir = in.string();
  o.output_path = out.string();
  return o;
}

TEST(HfConverter, ConvertsFixtureA) {
  MOBIQ_REQUIRE_SHARED();
  TempDir dir;
  const fs::path out = dir / "fixture-a.mbq";
  ConvertOptions options = options_for(test::fixture_a_dir(), out);
  int64_t calls = 0, last_done = 0, total = 0;
  options.progress = [&](const ConvertProgress& p) {
    ++calls;
    EXPECT_EQ(p.done, last_done + 1);
    last_done = p.done;
    total = p.total;
  };
  const Status s = convert_hf_to_mbq(options);
  ASSERT_TRUE(s.ok()) << s.to_string();

  auto hf = HfCheckpoint::open(test::fixture_a_dir().string());
  ASSERT_TRUE(hf.ok()) << hf.status().to_string();
  const ModelConfig& want = hf->config();
  EXPECT_EQ(total, 7 * want.n_layers);
  EXPECT_EQ(calls, total);

  auto file = MbqFile::open(out.string());
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  test::expect_same_config(file->config(), want);

  const fb::Model& model = file->model();
  // Tied embeddings: embedding, final norm and two norms per layer; no output head.
  EXPECT_EQ(model.dense_tensors()->size(), static_cast<uint32_t>(2 + 2 * want.n_layers));
  EXPECT_EQ(model.linears()->size(), static_cast<uint32_t>(7 * want.n_layers));
  EXPECT_EQ(model.provenance()->quantization_method()->str(), "nested-rtn");
  EXPECT_EQ(model.provenance()->source()->str(),
            "huggingface:" + fs::weakly_canonical(test::fixture_a_dir()).filename().string());
  EXPECT_EQ(model.tokenizer()->tokenizer_json()->str(), hf->tokenizer_json());
  EXPECT_EQ(model.tokenizer()->tokenizer_config_json()->str(), hf->tokenizer_config_json());

  auto hf_weights = hf->weights();
  ASSERT_TRUE(hf_weights.ok()) << hf_weights.status().to_string();
  const DenseTensor embedding = file->dense_view(*model.dense_tensors()->Get(0));
  ASSERT_EQ(embedding.dtype, hf_weights->token_embedding.dtype);
  EXPECT_EQ(std::memcmp(embedding.data, hf_weights->token_embedding.data,
                        static_cast<size_t>(embedding.rows * embedding.cols * dtype_size(embedding.dtype))),
            0);

  // Layer 2's down projection at 8 bits: within half an 8-bit step of the bf16 source, group by group.
  const fb::SlicedLinear* down = nullptr;
  for (const fb::SlicedLinear* l : *model.linears())
    if (l->layer() == 2 && l->projection() == fb::Projection::Down) down = l;
  ASSERT_NE(down, nullptr);
  const SlicedTensor sliced = file->sliced_view(*down);
  const DenseTensor& source = hf_weights->layers[2].down.dense;
  ASSERT_EQ(sliced.out, source.rows);
  ASSERT_EQ(sliced.in, source.cols);
  std::vector<float> restored(static_cast<size_t>(sliced.out * sliced.in));
  dequantize_sliced(sliced, kMaxPlanes, restored.data());
  const auto* bf16 = static_cast<const uint16_t*>(source.data);
  for (int64_t r = 0; r < sliced.out; ++r)
    for (int64_t c = 0; c < sliced.in; ++c) {
      const float step = f16_to_f32(sliced.scales[r * n_groups(sliced.in) + c / kGroupSize]) / 64;
      const float w = bf16_to_f32(bf16[r * sliced.in + c]);
      ASSERT_LE(std::abs(restored[r * sliced.in + c] - w), step * 0.5f * (1 + 1e-3f)) << r << ", " << c;
    }
}

TEST(HfConverter, OutputIsDeterministic) {
  MOBIQ_REQUIRE_SHARED();
  TempDir dir;
  ASSERT_TRUE(convert_hf_to_mbq(options_for(test::fixture_a_dir(), dir / "a.mbq")).ok());
  ASSERT_TRUE(convert_hf_to_mbq(options_for(test::fixture_a_dir(), dir / "b.mbq")).ok());
  EXPECT_TRUE(file_bytes(dir / "a.mbq") == file_bytes(dir / "b.mbq"));
}

// A copy of fixture-a to damage: the test's own files, never the shared ones.
fs::path copy_fixture(const TempDir& dir) {
  const fs::path copy = dir / "fixture-a";
  fs::create_directories(copy);
  for (const auto& entry : fs::directory_iterator(test::fixture_a_dir()))
    fs::copy_file(entry.path(), copy / entry.path().filename());
  for (const auto& entry : fs::directory_iterator(copy))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  return copy;
}

TEST(HfConverter, RefusesToOverwriteItsInput) {
  MOBIQ_REQUIRE_SHARED();
  TempDir dir;
  const fs::path input = copy_fixture(dir);
  for (const fs::path& target : {input / "config.json", input / "model-00002-of-00002.safetensors", input}) {
    const auto before = fs::is_regular_file(target) ? file_bytes(target) : std::vector<char>();
    const Status s = convert_hf_to_mbq(options_for(input, target));
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << target;
    EXPECT_NE(s.message().find("refusing"), std::string::npos) << s.message();
    if (fs::is_regular_file(target)) {
      EXPECT_TRUE(file_bytes(target) == before) << target;
    }
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(input), {}), std::distance(fs::directory_iterator(test::fixture_a_dir()), {}));
}

TEST(HfConverter, LeavesNoPartialOutputOnFailure) {
  MOBIQ_REQUIRE_SHARED();
  TempDir dir;
  const fs::path input = copy_fixture(dir);
  // Put a NaN into the last layer's down projection, so the conversion fails near its end.
  const std::string name = "model.layers.5.mlp.down_proj.weight";
  const auto index = nlohmann::json::parse(std::ifstream(input / "model.safetensors.index.json"));
  const fs::path shard = input / index["weight_map"][name].get<std::string>();
  uint64_t header_size = 0;
  {
    std::ifstream in(shard, std::ios::binary);
    in.read(reinterpret_cast<char*>(&header_size), 8);  // little-endian host
    std::string header(header_size, '\0');
    in.read(header.data(), static_cast<std::streamsize>(header_size));
    const auto begin = nlohmann::json::parse(header)[name]["data_offsets"][0].get<uint64_t>();
    std::fstream out(shard, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(8 + header_size + begin + 2 * 1000));
    const uint8_t nan_bf16[2] = {0xc0, 0x7f};
    out.write(reinterpret_cast<const char*>(nan_bf16), 2);
  }
  const fs::path out = dir / "out" / "model.mbq";
  fs::create_directories(out.parent_path());
  int64_t progress_calls = 0;
  ConvertOptions options = options_for(input, out);
  options.progress = [&](const ConvertProgress&) { ++progress_calls; };
  const Status s = convert_hf_to_mbq(options);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("layer 5 down"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not finite"), std::string::npos) << s.message();
  EXPECT_EQ(progress_calls, 7 * 5 + 6);  // it got as far as the last linear
  EXPECT_TRUE(fs::is_empty(out.parent_path()));
}

// A checkpoint whose tensor data starts at an odd file offset (legal: safetensors only recommends
// padding the header) converts to the same bytes as its aligned twin. Under UBSan the converter's
// misaligned 16-bit loads failed this test.
TEST(HfConverter, ConvertsTensorsAtAnOddOffset) {
  TempDir dir;
  test::TinyLlama tiny;
  tiny.hidden = 128;
  tiny.inter = 256;
  tiny.dtype = "BF16";
  const fs::path outs[2] = {dir / "aligned.mbq", dir / "odd.mbq"};
  for (int odd = 0; odd < 2; ++odd) {
    const fs::path input = dir / (odd ? "odd" : "aligned") / "tiny";  // same leaf: same provenance
    fs::create_directories(input);
    test::write_config(input, tiny.config());
    test::write_single_file(input, tiny.tensors(), odd == 1);
    test::write_file(input / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {}, "merges": []}})");
    const Status s = convert_hf_to_mbq(options_for(input, outs[odd]));
    ASSERT_TRUE(s.ok()) << (odd ? "odd: " : "aligned: ") << s.to_string();
  }
  const std::vector<char> aligned = file_bytes(outs[0]);
  EXPECT_FALSE(aligned.empty());
  EXPECT_TRUE(aligned == file_bytes(outs[1]));
}

TEST(MbqModel, OpensAConvertedFile) {
  MOBIQ_REQUIRE_SHARED();
  TempDir dir;
  const fs::path out = dir / "fixture-a.mbq";
  ASSERT_TRUE(convert_hf_to_mbq(options_for(test::fixture_a_dir(), out)).ok());
  auto model = Model::open_mbq(out.string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto hf = Model::open_hf(test::fixture_a_dir().string());
  ASSERT_TRUE(hf.ok()) << hf.status().to_string();

  EXPECT_EQ(model->max_slices(), kMaxPlanes);
  EXPECT_EQ(model->config().n_layers, hf->config().n_layers);
  EXPECT_EQ(model->chat_template(), hf->chat_template());
  const ModelWeights& w = model->weights();
  ASSERT_EQ(w.layers.size(), static_cast<size_t>(hf->config().n_layers));
  EXPECT_EQ(w.output.data, w.token_embedding.data);  // tied
  for (const LayerWeights& layer : w.layers) {
    for (const LinearWeights* l : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down}) {
      EXPECT_TRUE(l->is_sliced());
      EXPECT_EQ(l->sliced.n_planes, kMaxPlanes);
    }
    EXPECT_EQ(layer.down.out(), hf->config().hidden_size);
    EXPECT_EQ(layer.down.in(), hf->config().intermediate_size);
  }
  const std::string text = "The state of the union is strong.";
  auto ids = model->tokenizer().encode(text);
  auto hf_ids = hf->tokenizer().encode(text);
  ASSERT_TRUE(ids.ok() && hf_ids.ok());
  EXPECT_EQ(*ids, *hf_ids);
  EXPECT_GT(ids->size(), 3u);
}

TEST(MbqModel, ReportsAMissingOrDamagedFile) {
  TempDir dir;
  auto missing = Model::open_mbq((dir / "none.mbq").string());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  std::ofstream(dir / "junk.mbq") << "this is not a model";
  auto junk = Model::open_mbq((dir / "junk.mbq").string());
  EXPECT_EQ(junk.status().code(), ErrorCode::kCorruptFile);
  EXPECT_NE(junk.status().message().find("bad magic"), std::string::npos) << junk.status().message();
}

}  // namespace
}  // namespace mobiq
