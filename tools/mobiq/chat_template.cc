#include "tools/mobiq/chat_template.h"

namespace mobiq::cli {

const char* chat_format_name(ChatFormat format) {
  switch (format) {
    case ChatFormat::kLlama2: return "llama2";
    case ChatFormat::kLlama3: return "llama3";
    case ChatFormat::kChatMl: return "chatml";
  }
  return "llama2";
}

std::optional<ChatFormat> infer_chat_format(std::string_view jinja_template) {
  // Checked from the most specific marker: a Llama-3 template never uses [INST], but a ChatML
  // template might mention it in a comment less often than its own <|im_start|>.
  if (jinja_template.find("<|start_header_id|>") != std::string_view::npos) return ChatFormat::kLlama3;
  if (jinja_template.find("<|im_start|>") != std::string_view::npos) return ChatFormat::kChatMl;
  if (jinja_template.find("[INST]") != std::string_view::npos) return ChatFormat::kLlama2;
  return std::nullopt;
}

std::optional<ChatFormat> resolve_chat_format(std::string_view name, std::string_view model_template) {
  if (name == "auto") return infer_chat_format(model_template).value_or(ChatFormat::kLlama2);
  if (name == "llama2") return ChatFormat::kLlama2;
  if (name == "llama3") return ChatFormat::kLlama3;
  if (name == "chatml") return ChatFormat::kChatMl;
  return std::nullopt;
}

ChatTemplate::ChatTemplate(ChatFormat format, std::string system, std::string bos, std::string eos)
    : format_(format), system_(std::move(system)), bos_(std::move(bos)), eos_(std::move(eos)) {}

std::string ChatTemplate::user_turn(std::string_view user, bool first_turn) const {
  std::string text;
  switch (format_) {
    case ChatFormat::kLlama2:
      if (!first_turn) text += bos_;
      text += "[INST] ";
      if (first_turn && !system_.empty()) text += "<<SYS>>\n" + system_ + "\n<</SYS>>\n\n";
      text.append(user);
      text += " [/INST]";
      break;
    case ChatFormat::kLlama3:
      if (first_turn && !system_.empty())
        text += "<|start_header_id|>system<|end_header_id|>\n\n" + system_ + "<|eot_id|>";
      text += "<|start_header_id|>user<|end_header_id|>\n\n";
      text.append(user);
      text += "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatFormat::kChatMl:
      if (first_turn && !system_.empty()) text += "<|im_start|>system\n" + system_ + "<|im_end|>\n";
      text += "<|im_start|>user\n";
      text.append(user);
      text += "<|im_end|>\n<|im_start|>assistant\n";
      break;
  }
  return text;
}

std::string ChatTemplate::close_answer() const {
  switch (format_) {
    case ChatFormat::kLlama2: return " " + eos_;
    case ChatFormat::kLlama3: return "<|eot_id|>";
    case ChatFormat::kChatMl: return "<|im_end|>\n";
  }
  return {};
}

std::string ChatTemplate::after_end_of_turn() const {
  return format_ == ChatFormat::kChatMl ? "\n" : "";
}

std::string ChatTemplate::end_of_turn() const {
  switch (format_) {
    case ChatFormat::kLlama2: return eos_;
    case ChatFormat::kLlama3: return "<|eot_id|>";
    case ChatFormat::kChatMl: return "<|im_end|>";
  }
  return {};
}

}  // namespace mobiq::cli
