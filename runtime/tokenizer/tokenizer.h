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

struct EncodeOptions {
  bool add_bos = true;          // put the model's BOS in front (when it has one)
  bool parse_special = false;   // "<s>", "<|eot_id|>" in the text become their special ids
};

class Tokenizer {
 public:
  static Result<Tokenizer> from_hf_json(const std::string& tokenizer_json,
                                        const std::string& tokenizer_config_json);
  static Result<Tokenizer> from_gguf(const std::string& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  Result<std::vector<int32_t>> encode(std::string_view text, const EncodeOptions& options = {}) const;
  // Text of a sequence of ids (SentencePiece's leading space of the first piece is dropped).
  std::string decode(const std::vector<int32_t>& ids) const;
  // Bytes one token adds when streamed after others (may be part of a UTF-8 character).
  std::string token_to_piece(int32_t id) const;

  int32_t vocab_size() const;
  int32_t bos_id() const;  // -1 when none
  int32_t eos_id() const;  // -1 when none
  bool is_special(int32_t id) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mobiq
