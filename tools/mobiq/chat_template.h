// The three built-in chat formats `mobiq chat` speaks, and recognizing which one a model's stored
// Jinja chat_template is by its markers. Conversations are fed turn by turn into one KV cache, so a
// format is rendered as pieces: the text that opens a user turn and hands over to the assistant, and
// the text that closes an answer the model did not close itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mobiq::cli {

enum class ChatFormat {
  kLlama2,  // <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST] ...
  kLlama3,  // <|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|><|start_header_id|>assistant...
  kChatMl,  // <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n
};

const char* chat_format_name(ChatFormat format);

// "[INST]" -> llama2, "<|start_header_id|>" -> llama3, "<|im_start|>" -> chatml; nullopt when none.
std::optional<ChatFormat> infer_chat_format(std::string_view jinja_template);

// "llama2", "llama3", "chatml", or "auto": inferred from `model_template`, llama2 when nothing matches.
// nullopt for any other name.
std::optional<ChatFormat> resolve_chat_format(std::string_view name, std::string_view model_template);

class ChatTemplate {
 public:
  // bos/eos: the model's BOS and EOS as text ("<s>", "</s>"), for formats that repeat them between turns.
  ChatTemplate(ChatFormat format, std::string system, std::string bos, std::string eos);

  ChatFormat format() const { return format_; }
  // The text that opens a user turn and ends where the assistant's answer begins. The first turn also
  // carries the system prompt; it does not start with BOS (the tokenizer adds it).
  std::string user_turn(std::string_view user, bool first_turn) const;
  // What closes an answer when the model stopped without writing its end-of-turn marker (an EOS that is
  // not fed back, a length limit, an interruption). Fed before the next user turn.
  std::string close_answer() const;
  // What follows the end-of-turn marker when the model wrote (and so fed) that marker itself.
  std::string after_end_of_turn() const;
  // The marker text that ends an answer ("</s>", "<|eot_id|>", "<|im_end|>"): generation stops there.
  std::string end_of_turn() const;

 private:
  ChatFormat format_;
  std::string system_;
  std::string bos_;
  std::string eos_;
};

}  // namespace mobiq::cli
