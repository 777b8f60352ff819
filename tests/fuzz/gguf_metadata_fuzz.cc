// GGUF metadata (header and key/value section), then a tokenizer from it when it has a vocabulary.
#include <cstdint>
#include <string_view>

#include "runtime/tokenizer/gguf_metadata.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto meta = mobiq::gguf::parse_metadata(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!meta.ok()) return 0;
  mobiq::fuzz::check(meta->kv_end_offset <= size);
  auto tokenizer = mobiq::Tokenizer::from_gguf_metadata(*meta);
  if (!tokenizer.ok()) return 0;
  auto ids = tokenizer->encode("Hello world <s> \xC3\xA9");
  if (ids.ok()) {
    for (int32_t id : *ids) mobiq::fuzz::check(id >= 0 && id < tokenizer->vocab_size());
    (void)tokenizer->decode(*ids);
  }
  return 0;
}
