// config.json of a Hugging Face checkpoint: every field the runtime reads, checked for type and range.
#include <cstdint>
#include <string>

#include "runtime/model/hf_checkpoint.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto config = mobiq::parse_hf_config(std::string(reinterpret_cast<const char*>(data), size));
  if (!config.ok()) {
    mobiq::fuzz::check(!config.status().message().empty());
    return 0;
  }
  // A config that parses describes a model the runtime can size without overflow.
  mobiq::fuzz::check(config->vocab_size > 0 && config->hidden_size > 0 && config->n_layers > 0);
  mobiq::fuzz::check(config->n_heads > 0 && config->n_kv_heads > 0 && config->head_dim > 0);
  return 0;
}
