#include "format/preamble.h"

#include <xxhash.h>

#include <cstring>
#include <string>

namespace mobiq {
namespace {

void put_u16(uint8_t* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// [offset, offset + size) lies inside a file of file_size bytes (no overflow).
bool fits(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

std::string num(uint64_t v) { return std::to_string(v); }

}  // namespace

uint64_t mbq_checksum(const void* data, uint64_t size) { return XXH3_64bits(data, size); }

std::array<uint8_t, kPreambleSize> encode_preamble(const Preamble& p) {
  std::array<uint8_t, kPreambleSize> b{};
  std::memcpy(b.data(), kMbqMagic.data(), kMbqMagic.size());
  put_u16(&b[8], p.format_major);
  put_u16(&b[10], p.format_minor);
  put_u32(&b[12], kPreambleSize);
  put_u64(&b[16], p.flatbuffer_offset);
  put_u64(&b[24], p.flatbuffer_size);
  put_u64(&b[32], p.data_offset);
  put_u64(&b[40], p.data_size);
  put_u32(&b[48], p.segment_alignment);
  put_u32(&b[52], p.plane_alignment);
  put_u64(&b[56], p.file_size);
  put_u64(&b[64], p.flatbuffer_xxh3);
  put_u64(&b[72], mbq_checksum(b.data(), kPreambleSize - 8));
  return b;
}

Result<Preamble> decode_preamble(const uint8_t* bytes, uint64_t file_size) {
  if (file_size == 0) return corrupt_file("file is empty (0 bytes); a .mbq file starts with an 80-byte preamble");
  if (file_size < kMbqMagic.size())
    return corrupt_file("file is " + num(file_size) + " bytes, too short for the " + num(kPreambleSize) +
                        "-byte preamble");
  if (std::memcmp(bytes, kMbqMagic.data(), kMbqMagic.size()) != 0)
    return corrupt_file("bad magic: the file does not start with the .mbq signature");
  if (file_size < 16)
    return corrupt_file("file is " + num(file_size) + " bytes, truncated inside the preamble");

  Preamble p;
  p.format_major = static_cast<uint16_t>(get_le(&bytes[8], 2));
  p.format_minor = static_cast<uint16_t>(get_le(&bytes[10], 2));
  p.header_size = static_cast<uint32_t>(get_le(&bytes[12], 4));
  if (p.format_major != kFormatMajor)
    return unsupported("format version " + num(p.format_major) + "." + num(p.format_minor) +
                       " is not readable by this build (it reads major version " + num(kFormatMajor) + ")");
  if (p.header_size < kPreambleSize)
    return corrupt_file("preamble header_size " + num(p.header_size) + " is smaller than the " +
                        num(kPreambleSize) + " bytes of format " + num(kFormatMajor));
  if (p.header_size > file_size)
    return corrupt_file("file is " + num(file_size) + " bytes, truncated inside the " + num(p.header_size) +
                        "-byte preamble");
  const uint64_t stored_sum = get_le(&bytes[p.header_size - 8], 8);
  if (mbq_checksum(bytes, p.header_size - 8) != stored_sum) return corrupt_file("preamble checksum mismatch");

  p.flatbuffer_offset = get_le(&bytes[16], 8);
  p.flatbuffer_size = get_le(&bytes[24], 8);
  p.data_offset = get_le(&bytes[32], 8);
  p.data_size = get_le(&bytes[40], 8);
  p.segment_alignment = static_cast<uint32_t>(get_le(&bytes[48], 4));
  p.plane_alignment = static_cast<uint32_t>(get_le(&bytes[52], 4));
  p.file_size = get_le(&bytes[56], 8);
  p.flatbuffer_xxh3 = get_le(&bytes[64], 8);

  if (p.file_size > file_size)
    return corrupt_file("file is truncated: the preamble records " + num(p.file_size) + " bytes, the file has " +
                        num(file_size));
  if (p.file_size < file_size)
    return corrupt_file("file has " + num(file_size - p.file_size) + " bytes more than the " +
                        num(p.file_size) + " the preamble records");
  if (p.flatbuffer_offset >= file_size) return corrupt_file("flatbuffer offset past end of file");
  if (!fits(p.flatbuffer_offset, p.flatbuffer_size, file_size))
    return corrupt_file("flatbuffer (offset " + num(p.flatbuffer_offset) + ", size " + num(p.flatbuffer_size) +
                        ") extends past end of file (" + num(file_size) + " bytes)");
  if (p.flatbuffer_size == 0) return corrupt_file("flatbuffer size is 0");
  if (p.flatbuffer_offset < p.header_size) return corrupt_file("flatbuffer overlaps the preamble");
  if (p.flatbuffer_offset % 8 != 0)
    return corrupt_file("flatbuffer offset " + num(p.flatbuffer_offset) + " is not 8-byte aligned");
  if (p.data_offset > file_size) return corrupt_file("data area offset past end of file");
  if (!fits(p.data_offset, p.data_size, file_size))
    return corrupt_file("data area (offset " + num(p.data_offset) + ", size " + num(p.data_size) +
                        ") extends past end of file (" + num(file_size) + " bytes)");
  if (p.data_offset < p.header_size) return corrupt_file("data area overlaps the preamble");
  const bool disjoint = p.data_offset + p.data_size <= p.flatbuffer_offset ||
                        p.flatbuffer_offset + p.flatbuffer_size <= p.data_offset;
  if (!disjoint) return corrupt_file("data area and flatbuffer overlap");
  if (!is_power_of_two(p.segment_alignment) || p.segment_alignment < kMinSegmentAlignment)
    return corrupt_file("segment alignment " + num(p.segment_alignment) + " is not a power of two >= " +
                        num(kMinSegmentAlignment));
  if (!is_power_of_two(p.plane_alignment) || p.plane_alignment < p.segment_alignment)
    return corrupt_file("plane alignment " + num(p.plane_alignment) +
                        " is not a power of two >= the segment alignment");
  if (p.data_offset % p.segment_alignment != 0)
    return corrupt_file("data area offset " + num(p.data_offset) + " is not aligned to " +
                        num(p.segment_alignment));
  return p;
}

}  // namespace mobiq
