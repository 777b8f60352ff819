// Text <-> token ids for LLaMA-family models: SentencePiece-style BPE over "▁"-spaced text with byte
// fallback (Llama 1/2, Mistral), and byte-level BPE with regex pre-tokenization (GPT-2, Llama 3,
// Qwen2). Loaded from Hugging Face tokenizer.json (+ tokenizer_config.json) or from a GGUF file's
// tokenizer.ggml.* metadata.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace mobiq {

namespace gguf {
struct Metadata;  // runtime/tokenizer/gguf_metadata.h
}

struct EncodeOptions {
  // Put the model's BOS in front (when it has one and its tokenizer adds one: add_bos_token in
  // tokenizer_config.json / tokenizer.ggml.add_bos_token, see adds_bos()); likewise its EOS at the end
  // for the rare model whose add_eos_token is true. false: no special tokens at all.
  bool add_bos = true;
  // "<s>", "<|eot_id|>" in the text become their special ids; otherwise they are plain text. Added tokens
  // that are not special (GGUF user-defined tokens) are always matched, as llama.cpp and tokenizers do.
  bool parse_special = false;
};

class Tokenizer {
 public:
  // The contents (not the paths) of tokenizer.json and tokenizer_config.json; the config may be empty.
  static Result<Tokenizer> from_hf_json(const std::string& tokenizer_json,
                                        const std::string& tokenizer_config_json);
  static Result<Tokenizer> from_gguf(const std::string& path);
  // From GGUF metadata already read (gguf::read_metadata), e.g. by a model loader.
  static Result<Tokenizer> from_gguf_metadata(const gguf::Metadata& metadata);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  Result<std::vector<int32_t>> encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Text of a sequence of ids (SentencePiece's leading space of the first piece is dropped). Control
  // tokens (BOS, EOS, <|eot_id|>) decode to nothing; ids out of range are skipped.
  std::string decode(const std::vector<int32_t>& ids) const;
  // Bytes one token adds when streamed after others (may be part of a UTF-8 character).
  std::string token_to_piece(int32_t id) const;
  // The vocabulary entry as stored ("▁Hello", "ĠHello", "<0x0A>", "<s>"); empty when out of range.
  std::string token_text(int32_t id) const;
  // The id of a vocabulary entry given as stored, -1 when there is none.
  int32_t token_id(std::string_view text) const;

  int32_t vocab_size() const;
  int32_t bos_id() const;  // -1 when none
  int32_t eos_id() const;  // -1 when none
  bool is_special(int32_t id) const;  // control tokens and <unk>
  bool adds_bos() const;  // encode() with add_bos = true puts bos_id() in front

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mobiq
