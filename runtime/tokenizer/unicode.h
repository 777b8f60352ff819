// UTF-8 helpers and GPT-2's byte <-> unicode table, for the tokenizer's algorithms.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mobiq::tokenizer_internal {

// "▁" (U+2581), SentencePiece's visible space.
inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";

// Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for bytes that cannot start one).
inline size_t utf8_sequence_length(unsigned char lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

// Length of the character starting at text[pos]: its UTF-8 sequence when the continuation bytes are
// there, otherwise 1 (an invalid byte is a "character" of its own, so "▁" is always found on a
// character boundary).
inline size_t utf8_char_length(std::string_view text, size_t pos) {
  const size_t n = utf8_sequence_length(static_cast<unsigned char>(text[pos]));
  if (n == 1 || n > text.size() - pos) return 1;
  for (size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return 1;
  return n;
}

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, uint32_t cp);

// Decodes one code point at text[pos], advancing pos. A malformed sequence yields its first byte
// as a "code point" >= 0x110000 (0x110000 + byte) and advances by one byte.
uint32_t next_code_point(std::string_view text, size_t& pos);

// GPT-2's reversible byte -> printable-unicode table (bytes_to_unicode()), UTF-8 encoded.
const std::array<std::string, 256>& byte_to_unicode();
// Inverse of byte_to_unicode for one code point; -1 when the code point is not in the table.
int unicode_to_byte(uint32_t cp);

// Replaces every occurrence of `from` (non-empty) in `text` with `to`.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

}  // namespace mobiq::tokenizer_internal
