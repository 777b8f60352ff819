#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "format/mbq_reader.h"
#include "format/mbq_tensors.h"
#include "tests/format/synthetic_mbq.h"
#include "tests/support/expect_config.h"

namespace mobiq {
namespace {

using test::make_synthetic_model;
using test::TempDir;
using test::write_synthetic_model;

bool same_bytes(const void* a, const void* b, size_t n) { return std::memcmp(a, b, n) == 0; }

TEST(MbqRoundTrip, EveryFieldAndByteReadsBackEqual) {
  TempDir dir;
  const auto m = make_synthetic_model();
  const std::string path = dir / "model.mbq";
  ASSERT_TRUE(write_synthetic_model(m, path).ok());

  auto file = MbqFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  const ModelConfig& want = m.metadata.config;
  test::expect_same_config(file->config(), want);

  const fb::Model& model = file->model();
  EXPECT_EQ(model.config()->architecture()->str(), m.metadata.architecture);
  EXPECT_EQ(model.tokenizer()->tokenizer_json()->str(), m.metadata.tokenizer_json);
  EXPECT_EQ(model.tokenizer()->tokenizer_config_json()->str(), m.metadata.tokenizer_config_json);
  EXPECT_EQ(model.tokenizer()->chat_template()->str(), m.metadata.chat_template);
  EXPECT_EQ(model.provenance()->source()->str(), m.metadata.source);
  EXPECT_EQ(model.provenance()->source_dtype(), fb::DType::BF16);
  EXPECT_EQ(model.provenance()->quantization_method()->str(), m.metadata.quantization_method);
  EXPECT_EQ(model.provenance()->converter_version()->str(), m.metadata.converter_version);
  EXPECT_EQ(model.format_major(), kFormatMajor);
  EXPECT_EQ(model.format_minor(), kFormatMinor);
  EXPECT_EQ(model.routers(), nullptr);

  ASSERT_EQ(model.dense_tensors()->size(), m.dense.size());
  for (size_t i = 0; i < m.dense.size(); ++i) {
    const fb::DenseTensor& d = *model.dense_tensors()->Get(i);
    EXPECT_EQ(d.name()->str(), m.dense[i].name);
    EXPECT_EQ(d.role(), m.dense[i].role);
    EXPECT_EQ(d.layer(), m.dense[i].layer);
    EXPECT_EQ(from_fb_dtype(d.dtype()), m.dense[i].dtype);
    EXPECT_EQ(std::vector<int64_t>(d.shape()->begin(), d.shape()->end()), m.dense[i].shape);
    const DenseTensor view = file->dense_view(d);
    EXPECT_EQ(view.dtype, m.dense[i].dtype);
    EXPECT_EQ(static_cast<size_t>(view.rows * view.cols * dtype_size(view.dtype)), m.dense_bytes[i].size());
    EXPECT_TRUE(same_bytes(view.data, m.dense_bytes[i].data(), m.dense_bytes[i].size())) << d.name()->str();
  }
  ASSERT_EQ(model.linears()->size(), m.linears.size());
  for (size_t i = 0; i < m.linears.size(); ++i) {
    const auto& want_linear = m.linears[i];
    const fb::SlicedLinear& l = *model.linears()->Get(i);
    EXPECT_EQ(l.layer(), want_linear.spec.layer);
    EXPECT_EQ(l.projection(), want_linear.spec.projection);
    EXPECT_EQ(l.group_size(), kGroupSize);
    const SlicedTensor view = file->sliced_view(l);
    EXPECT_EQ(view.out, want_linear.spec.out);
    EXPECT_EQ(view.in, want_linear.spec.in);
    ASSERT_EQ(view.n_planes, kMaxPlanes);
    for (int p = 0; p < kMaxPlanes; ++p)
      EXPECT_TRUE(same_bytes(view.planes[p], want_linear.planes[p].data(), want_linear.planes[p].size()));
    EXPECT_TRUE(same_bytes(view.scales, want_linear.scales.data(), want_linear.scales.size() * 2));
    EXPECT_TRUE(same_bytes(view.zeros, want_linear.zeros.data(), want_linear.zeros.size() * 2));
  }
}

TEST(MbqRoundTrip, SegmentsAreAlignedAndPlaneMajor) {
  TempDir dir;
  const auto m = make_synthetic_model();
  const std::string path = dir / "model.mbq";
  ASSERT_TRUE(write_synthetic_model(m, path).ok());
  auto file = MbqFile::open(path);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  const Preamble& p = file->preamble();
  EXPECT_EQ(p.segment_alignment, 64u);
  EXPECT_EQ(p.plane_alignment, 16384u);
  EXPECT_EQ(p.data_offset % p.plane_alignment, 0u);
  EXPECT_EQ(p.file_size, std::filesystem::file_size(path));

  // Region of a segment: 0 = dense and group parameters, 1 + p = plane p.
  const auto& segments = *file->model().segments();
  const size_t expected_count = m.dense.size() + m.linears.size() * (2 + kMaxPlanes);
  ASSERT_EQ(segments.size(), expected_count);
  std::array<uint64_t, kMaxPlanes + 1> region_start{}, region_end{};
  region_start.fill(UINT64_MAX);
  for (const fb::Segment* s : segments) {
    EXPECT_EQ(s->offset() % 64, 0u);
    const int region = s->kind() >= fb::SegmentKind::Plane0
                           ? static_cast<int>(s->kind()) - static_cast<int>(fb::SegmentKind::Plane0) + 1
                           : 0;
    region_start[region] = std::min(region_start[region], s->offset());
    region_end[region] = std::max(region_end[region], s->offset() + s->size());
  }
  for (int r = 1; r <= kMaxPlanes; ++r) {
    EXPECT_EQ(region_start[r] % p.plane_alignment, 0u) << "plane " << r - 1;
    EXPECT_GE(region_start[r], region_end[r - 1]) << "plane " << r - 1 << " starts before the region ahead ends";
  }
  // Each linear's planes in plane order, its group parameters ahead of every plane.
  for (const fb::SlicedLinear* l : *file->model().linears()) {
    EXPECT_LT(segments.Get(l->scales_segment())->offset(), region_start[1]);
    EXPECT_LT(segments.Get(l->zeros_segment())->offset(), region_start[1]);
    for (int plane = 0; plane < kMaxPlanes; ++plane) {
      const uint64_t offset = segments.Get(l->plane_segments()->Get(plane))->offset();
      EXPECT_GE(offset, region_start[plane + 1]);
      EXPECT_LT(offset, region_end[plane + 1]);
    }
  }
}

TEST(MbqWriter, OutputIsDeterministic) {
  TempDir dir;
  const auto m = make_synthetic_model(7);
  ASSERT_TRUE(write_synthetic_model(m, dir / "a.mbq").ok());
  ASSERT_TRUE(write_synthetic_model(m, dir / "b.mbq").ok());
  EXPECT_EQ(test::read_bytes(dir / "a.mbq"), test::read_bytes(dir / "b.mbq"));
}

TEST(MbqWriter, RefusesToOverwriteAProtectedInput) {
  TempDir dir;
  const auto input = dir / "input.bin";
  test::write_bytes(input, {1, 2, 3});
  const auto link = dir / "link.mbq";
  std::filesystem::create_symlink(input, link);
  MbqWriterOptions options;
  options.protected_paths = {input.string()};
  for (const auto& target : {input, link}) {
    const Status s = write_synthetic_model(make_synthetic_model(), target.string(), options);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << target;
    EXPECT_NE(s.message().find("refusing"), std::string::npos) << s.message();
  }
  EXPECT_EQ(test::read_bytes(input), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 2);
}

TEST(MbqWriter, AnUnfinishedWriterLeavesNothingBehind) {
  TempDir dir;
  const auto m = make_synthetic_model();
  const auto out = dir / "out.mbq";
  {
    std::vector<MbqLinearSpec> specs;
    for (const auto& l : m.linears) specs.push_back(l.spec);
    auto writer = MbqWriter::create(out.string(), m.metadata, m.dense, specs);
    ASSERT_TRUE(writer.ok()) << writer.status().to_string();
    EXPECT_TRUE(std::filesystem::exists(writer->temporary_path()));
    ASSERT_TRUE(writer->write_dense(0, m.dense_bytes[0]).ok());
    const Status missing = writer->finish();
    EXPECT_EQ(missing.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(missing.message().find("never written"), std::string::npos) << missing.message();
    const Status wrong_size = writer->write_dense(1, std::span<const uint8_t>(m.dense_bytes[1]).first(3));
    EXPECT_EQ(wrong_size.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(writer->write_dense(0, m.dense_bytes[0]).code(), ErrorCode::kInvalidArgument);  // twice
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MbqWriter, RejectsMalformedSpecs) {
  TempDir dir;
  auto m = make_synthetic_model();
  std::vector<MbqLinearSpec> specs;
  for (const auto& l : m.linears) specs.push_back(l.spec);
  specs[3].n_planes = 5;
  auto bad_planes = MbqWriter::create((dir / "x.mbq").string(), m.metadata, m.dense, specs);
  EXPECT_EQ(bad_planes.status().code(), ErrorCode::kInvalidArgument);
  specs[3].n_planes = 4;
  m.dense[0].shape = {0, 5};
  auto bad_shape = MbqWriter::create((dir / "x.mbq").string(), m.metadata, m.dense, specs);
  EXPECT_EQ(bad_shape.status().code(), ErrorCode::kInvalidArgument);
  auto to_directory = MbqWriter::create(dir.path().string(), m.metadata, {}, {});
  EXPECT_EQ(to_directory.status().code(), ErrorCode::kInvalidArgument);
  auto no_dir = MbqWriter::create((dir / "missing" / "x.mbq").string(), m.metadata, {}, {});
  EXPECT_EQ(no_dir.status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Preamble, EncodesAndDecodesEveryField) {
  Preamble p;
  p.flatbuffer_offset = 1 << 20;
  p.flatbuffer_size = 1000;
  p.data_offset = 16384;
  p.data_size = 5000;
  p.file_size = p.flatbuffer_offset + p.flatbuffer_size;
  p.flatbuffer_xxh3 = 0x0123456789abcdefULL;
  std::vector<uint8_t> file(p.file_size, 0);
  const auto bytes = encode_preamble(p);
  std::copy(bytes.begin(), bytes.end(), file.begin());
  EXPECT_EQ(file[0], 0x89);
  EXPECT_EQ(file[8], kFormatMajor);  // little-endian
  auto decoded = decode_preamble(file.data(), file.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, p);
}

}  // namespace
}  // namespace mobiq
