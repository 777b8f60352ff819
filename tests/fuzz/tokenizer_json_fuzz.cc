// tokenizer.json (and tokenizer_config.json): the input is split at its first NUL byte into the two
// documents. A tokenizer that loads must encode and decode text without crashing, ids in range.
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string tokenizer_json(input.substr(0, nul));
  const std::string config_json(nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1));
  auto tokenizer = mobiq::Tokenizer::from_hf_json(tokenizer_json, config_json);
  if (!tokenizer.ok()) return 0;
  for (const char* text : {"Hello world", " <s>x\n\n  \xC3\xA9\xF0\x9F\x98\x80 123", ""}) {
    for (bool special : {false, true}) {
      mobiq::EncodeOptions options;
      options.parse_special = special;
      auto ids = tokenizer->encode(text, options);
      if (!ids.ok()) continue;
      for (int32_t id : *ids) mobiq::fuzz::check(id >= 0 && id < tokenizer->vocab_size());
      (void)tokenizer->decode(*ids);
    }
  }
  (void)tokenizer->token_to_piece(0);
  (void)tokenizer->token_to_piece(tokenizer->vocab_size());
  return 0;
}
