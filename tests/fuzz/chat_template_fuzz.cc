// Chat-template detection on a model's stored Jinja template, and rendering turns in the detected
// format with the input as the user's text and system prompt.
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/mobiq/chat_template.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)mobiq::cli::infer_chat_format(input);
  for (const char* name : {"auto", "llama2", "llama3", "chatml", "nonsense"}) {
    const auto format = mobiq::cli::resolve_chat_format(name, input);
    mobiq::fuzz::check(format.has_value() == (std::string_view(name) != "nonsense"));
    if (!format) continue;
    const mobiq::cli::ChatTemplate chat(*format, std::string(input.substr(0, size / 2)), "<s>", "</s>");
    const std::string turn = chat.user_turn(input, true);
    mobiq::fuzz::check(turn.size() >= size);
    (void)chat.user_turn(input, false);
    (void)chat.close_answer();
    (void)chat.after_end_of_turn();
    mobiq::fuzz::check(!chat.end_of_turn().empty());
  }
  return 0;
}
