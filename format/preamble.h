// The fixed little-endian preamble at offset 0 of every .mbq file. A reader decodes and checks it before
// it parses anything else, so a truncated, foreign or damaged file is rejected cheaply and clearly.
//
//  offset size  field
//     0    8    magic                 89 4D 42 51 0D 0A 1A 0A  ("\x89MBQ\r\n\x1a\n")
//     8    2    format_major          readers refuse a major they do not know
//    10    2    format_minor          appended fields only; readers accept any minor
//    12    4    header_size           bytes of preamble, checksum included (80 in format 1.0)
//    16    8    flatbuffer_offset     absolute offset of the metadata flatbuffer (mbq.fbs)
//    24    8    flatbuffer_size
//    32    8    data_offset           absolute offset of the data area (weight segments)
//    40    8    data_size
//    48    4    segment_alignment     every segment offset is a multiple of it (power of two, >= 64)
//    52    4    plane_alignment       every plane region starts at a multiple of it (power of two)
//    56    8    file_size             the whole file, so truncation is detected at once
//    64    8    flatbuffer_xxh3       XXH3-64 (seed 0) of the flatbuffer bytes
//    72    8    preamble_xxh3         XXH3-64 (seed 0) of preamble bytes [0, header_size - 8)
// A later minor version may grow header_size; new fields go between offset 72 and the checksum, which
// always occupies the preamble's last 8 bytes.
#pragma once

#include <array>
#include <cstdint>

#include "runtime/core/result.h"

namespace mobiq {

inline constexpr std::array<uint8_t, 8> kMbqMagic = {0x89, 'M', 'B', 'Q', '\r', '\n', 0x1a, '\n'};
inline constexpr uint16_t kFormatMajor = 1;
inline constexpr uint16_t kFormatMinor = 1;  // 1: DType Q8, SlicedLinear.layout
inline constexpr uint32_t kPreambleSize = 80;
inline constexpr uint32_t kMinSegmentAlignment = 64;
inline constexpr uint32_t kDefaultPlaneAlignment = 16 * 1024;  // a 16 KiB page (arm64, Apple) or 4 of 4 KiB

struct Preamble {
  uint16_t format_major = kFormatMajor;
  uint16_t format_minor = kFormatMinor;
  uint32_t header_size = kPreambleSize;
  uint64_t flatbuffer_offset = 0;
  uint64_t flatbuffer_size = 0;
  uint64_t data_offset = 0;
  uint64_t data_size = 0;
  uint32_t segment_alignment = kMinSegmentAlignment;
  uint32_t plane_alignment = kDefaultPlaneAlignment;
  uint64_t file_size = 0;
  uint64_t flatbuffer_xxh3 = 0;

  bool operator==(const Preamble&) const = default;
};

// The kPreambleSize bytes of `p`, its checksum computed and appended.
std::array<uint8_t, kPreambleSize> encode_preamble(const Preamble& p);

// Decodes the preamble at the start of a file of `file_size` bytes (`bytes` holds all of them) and checks
// it: magic, major version, header size, its own checksum, the recorded file size, that the flatbuffer and
// the data area lie inside the file after the preamble without overlapping, and the alignments.
// kCorruptFile names the first inconsistency; kUnsupported for a major version this build cannot read.
Result<Preamble> decode_preamble(const uint8_t* bytes, uint64_t file_size);

// 64-bit XXH3 with seed 0, the checksum used throughout the format.
uint64_t mbq_checksum(const void* data, uint64_t size);

}  // namespace mobiq
