// A damaged file is a clear error (the right code, a message naming the problem), never a crash.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "format/mbq_reader.h"
#include "tests/format/synthetic_mbq.h"

namespace mobiq {
namespace {

class MbqCorruption : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::write_synthetic_model(test::make_synthetic_model(), good_path()).ok());
    good_ = test::read_bytes(good_path());
    auto preamble = decode_preamble(good_.data(), good_.size());
    ASSERT_TRUE(preamble.ok());
    preamble_ = *preamble;
  }

  std::string good_path() const { return (dir_ / "good.mbq").string(); }

  Result<MbqFile> open_bytes(const std::vector<uint8_t>& bytes, const MbqReadOptions& options = {}) {
    const auto path = dir_ / "bad.mbq";
    test::write_bytes(path, bytes);
    return MbqFile::open(path.string(), options);
  }

  // The good file with its preamble fields changed by `edit` (and a valid preamble checksum).
  std::vector<uint8_t> with_preamble(const std::function<void(Preamble&)>& edit) const {
    Preamble p = preamble_;
    edit(p);
    std::vector<uint8_t> bytes = good_;
    const auto encoded = encode_preamble(p);
    std::copy(encoded.begin(), encoded.end(), bytes.begin());
    return bytes;
  }

  // The good file with its flatbuffer changed in place by `edit`, both checksums recomputed so that only
  // the reader's own checks can catch the change.
  std::vector<uint8_t> with_metadata(const std::function<void(fb::Model&)>& edit) const {
    std::vector<uint8_t> bytes = good_;
    uint8_t* fb_bytes = bytes.data() + preamble_.flatbuffer_offset;
    edit(*fb::GetMutableModel(fb_bytes));
    return resealed(bytes);
  }

  std::vector<uint8_t> resealed(std::vector<uint8_t> bytes) const {
    Preamble p = preamble_;
    p.flatbuffer_xxh3 = mbq_checksum(bytes.data() + p.flatbuffer_offset, p.flatbuffer_size);
    const auto encoded = encode_preamble(p);
    std::copy(encoded.begin(), encoded.end(), bytes.begin());
    return bytes;
  }

  static void expect_error(const Result<MbqFile>& r, ErrorCode code, const std::string& fragment) {
    ASSERT_FALSE(r.ok()) << "expected: " << fragment;
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().to_string();
  }

  test::TempDir dir_;
  std::vector<uint8_t> good_;
  Preamble preamble_;
};

TEST_F(MbqCorruption, TheGoodFileOpens) {
  auto r = open_bytes(good_);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
}

TEST_F(MbqCorruption, EmptyFile) { expect_error(open_bytes({}), ErrorCode::kCorruptFile, "empty"); }

TEST_F(MbqCorruption, TruncatedAnywhere) {
  std::vector<size_t> sizes = {1, 7, 8, 12, 15, 16, 40, 72, 79, 80};
  for (int i = 1; i < 16; ++i) sizes.push_back(good_.size() * i / 16);
  sizes.push_back(good_.size() - 1);
  for (size_t size : sizes) {
    auto r = open_bytes(std::vector<uint8_t>(good_.begin(), good_.begin() + static_cast<ptrdiff_t>(size)));
    ASSERT_FALSE(r.ok()) << "truncated to " << size;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorruptFile) << size << ": " << r.status().to_string();
    const std::string& m = r.status().message();
    EXPECT_TRUE(m.find("truncated") != std::string::npos || m.find("too short") != std::string::npos)
        << size << ": " << m;
  }
}

TEST_F(MbqCorruption, BadMagic) {
  auto bytes = good_;
  bytes[1] = 'X';
  expect_error(open_bytes(bytes), ErrorCode::kCorruptFile, "bad magic");
}

TEST_F(MbqCorruption, WrongMajorVersion) {
  auto bytes = with_preamble([](Preamble& p) { p.format_major = kFormatMajor + 1; });
  expect_error(open_bytes(bytes), ErrorCode::kUnsupported, "format version 2." + std::to_string(kFormatMinor));
}

TEST_F(MbqCorruption, PreambleChecksum) {
  auto bytes = good_;
  bytes[20] ^= 0x01;  // inside flatbuffer_offset, checksum not updated
  expect_error(open_bytes(bytes), ErrorCode::kCorruptFile, "preamble checksum mismatch");
}

TEST_F(MbqCorruption, FlatbufferPastTheEnd) {
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.flatbuffer_offset = p.file_size + 64; })),
               ErrorCode::kCorruptFile, "flatbuffer offset past end of file");
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.flatbuffer_size += 1; })), ErrorCode::kCorruptFile,
               "flatbuffer (offset");
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.flatbuffer_size = UINT64_MAX; })),
               ErrorCode::kCorruptFile, "extends past end of file");
}

TEST_F(MbqCorruption, DataAreaPastTheEnd) {
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.data_size = p.file_size; })), ErrorCode::kCorruptFile,
               "data area (offset");
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.data_offset = UINT64_MAX - 10; })),
               ErrorCode::kCorruptFile, "data area offset past end of file");
}

TEST_F(MbqCorruption, InconsistentLayout) {
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.data_size = p.flatbuffer_offset - p.data_offset + 64; })),
               ErrorCode::kCorruptFile, "overlap");
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.segment_alignment = 48; })), ErrorCode::kCorruptFile,
               "segment alignment 48");
  expect_error(open_bytes(with_preamble([&](Preamble& p) { p.file_size -= 1; })), ErrorCode::kCorruptFile,
               "more than");
}

TEST_F(MbqCorruption, BadFileIdentifier) {
  auto bytes = good_;
  bytes[preamble_.flatbuffer_offset + 4] = 'X';  // "MBQ1" -> "XBQ1"
  expect_error(open_bytes(resealed(bytes)), ErrorCode::kCorruptFile, "bad file_identifier");
}

TEST_F(MbqCorruption, FlippedByteInTheFlatbuffer) {
  auto bytes = good_;
  bytes[preamble_.flatbuffer_offset + preamble_.flatbuffer_size / 2] ^= 0x10;
  expect_error(open_bytes(bytes), ErrorCode::kCorruptFile, "flatbuffer checksum mismatch");
}

TEST_F(MbqCorruption, FlippedByteInAWeightSegment) {
  auto good = MbqFile::open(good_path());
  ASSERT_TRUE(good.ok());
  // Plane 2 of layer 1's down projection, the last linear.
  const fb::SlicedLinear* down = good->model().linears()->Get(good->model().linears()->size() - 1);
  ASSERT_EQ(down->projection(), fb::Projection::Down);
  const uint32_t segment = down->plane_segments()->Get(2);
  auto bytes = good_;
  bytes[good->model().segments()->Get(segment)->offset() + 5] ^= 0x40;
  expect_error(open_bytes(bytes), ErrorCode::kCorruptFile,
               "segment " + std::to_string(segment) + " (layer 1 down plane 2): checksum mismatch");

  MbqReadOptions trusting;
  trusting.verify_checksums = false;
  auto unchecked = open_bytes(bytes, trusting);
  EXPECT_TRUE(unchecked.ok()) << unchecked.status().to_string();
}

TEST_F(MbqCorruption, SegmentOutOfBounds) {
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 m.mutable_segments()->GetMutableObject(3)->mutate_offset(preamble_.file_size + 128);
               })),
               ErrorCode::kCorruptFile, "outside the data area");
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 m.mutable_segments()->GetMutableObject(3)->mutate_size(UINT64_MAX - 3);
               })),
               ErrorCode::kCorruptFile, "runs past the end of the data area");
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 auto* s = m.mutable_segments()->GetMutableObject(3);
                 s->mutate_offset(s->offset() + 8);
               })),
               ErrorCode::kCorruptFile, "not aligned");
}

TEST_F(MbqCorruption, TensorSizeDoesNotMatchItsShape) {
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 auto* s = m.mutable_segments()->GetMutableObject(0);  // the embedding
                 s->mutate_size(s->size() - 2);
               })),
               ErrorCode::kCorruptFile, "dense tensor 0 (embed): segment 0 is");
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 m.mutable_dense_tensors()->GetMutableObject(1)->mutable_shape()->Mutate(0, 129);
               })),
               ErrorCode::kCorruptFile, "does not match the hyper-parameters");
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 const uint32_t plane_segment = m.linears()->Get(0)->plane_segments()->Get(1);
                 auto* s = m.mutable_segments()->GetMutableObject(plane_segment);
                 s->mutate_size(s->size() - 1);
               })),
               ErrorCode::kCorruptFile, "linear 0 (layer 0 q) plane 1");
}

TEST_F(MbqCorruption, EightBitNormIsRefused) {
  // Q8 (format minor 1) is for the embedding and the output head only; tensor 1 is an f16 norm.
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 ASSERT_TRUE(m.mutable_dense_tensors()->GetMutableObject(1)->mutate_dtype(fb::DType::Q8));
               })),
               ErrorCode::kUnsupported, "8-bit storage is only read for the embedding and the output head");
}

TEST_F(MbqCorruption, TensorReferencesAMissingSegment) {
  expect_error(open_bytes(with_metadata([&](fb::Model& m) {
                 m.mutable_linears()->GetMutableObject(2)->mutate_scales_segment(100000);
               })),
               ErrorCode::kCorruptFile, "segment 100000 out of range");
}

TEST_F(MbqCorruption, MissingFileAndDirectory) {
  auto missing = MbqFile::open((dir_ / "nothing-here.mbq").string());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound) << missing.status().to_string();
  EXPECT_NE(missing.status().message().find("nothing-here.mbq"), std::string::npos);
  auto directory = MbqFile::open(dir_.path().string());
  EXPECT_EQ(directory.status().code(), ErrorCode::kInvalidArgument) << directory.status().to_string();
  EXPECT_NE(directory.status().message().find("directory"), std::string::npos);
}

// Every single-byte change of the preamble is rejected, and random damage to the metadata (checksums
// recomputed so the structural checks must catch it) never crashes the reader.
TEST_F(MbqCorruption, NoByteFlipCrashes) {
  for (uint32_t i = 0; i < kPreambleSize; ++i) {
    auto bytes = good_;
    bytes[i] ^= 0xff;
    EXPECT_FALSE(open_bytes(bytes).ok()) << "preamble byte " << i;
  }
  std::mt19937 rng(42);
  for (int trial = 0; trial < 300; ++trial) {
    auto bytes = good_;
    for (int k = 0; k < 3; ++k)
      bytes[preamble_.flatbuffer_offset + rng() % preamble_.flatbuffer_size] = static_cast<uint8_t>(rng());
    auto r = open_bytes(resealed(bytes));
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
      continue;
    }
    // Whatever the damage, an accepted file only hands out views inside itself.
    for (uint32_t i = 0; i < r->segment_count(); ++i) {
      EXPECT_GE(r->segment_data(i), r->mapping().data());
      EXPECT_LE(r->segment_data(i) + r->segment_size(i), r->mapping().data() + r->mapping().size());
    }
  }
}

}  // namespace
}  // namespace mobiq
