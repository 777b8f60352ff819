// The built-in chat formats: which one a stored Jinja template is, and the exact text of turns.
#include <gtest/gtest.h>

#include "tools/mobiq/chat_template.h"

namespace mobiq::cli {
namespace {

TEST(ChatFormat, InferredFromTemplateMarkers) {
  EXPECT_EQ(infer_chat_format("{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}"), ChatFormat::kLlama2);
  EXPECT_EQ(infer_chat_format("{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}"),
            ChatFormat::kLlama3);
  EXPECT_EQ(infer_chat_format("{{'<|im_start|>' + message['role'] + '\n'}}"), ChatFormat::kChatMl);
  EXPECT_EQ(infer_chat_format("{{ message['content'] }}"), std::nullopt);
  EXPECT_EQ(infer_chat_format(""), std::nullopt);
}

TEST(ChatFormat, ResolvedByName) {
  EXPECT_EQ(resolve_chat_format("auto", ""), ChatFormat::kLlama2);  // nothing recognizable: llama2
  EXPECT_EQ(resolve_chat_format("auto", "<|im_start|>"), ChatFormat::kChatMl);
  EXPECT_EQ(resolve_chat_format("llama3", "<|im_start|>"), ChatFormat::kLlama3);  // a flag wins
  EXPECT_EQ(resolve_chat_format("chatml", ""), ChatFormat::kChatMl);
  EXPECT_EQ(resolve_chat_format("llama2", ""), ChatFormat::kLlama2);
  EXPECT_EQ(resolve_chat_format("vicuna", ""), std::nullopt);
  EXPECT_STREQ(chat_format_name(ChatFormat::kChatMl), "chatml");
}

TEST(ChatTemplate, Llama2Turns) {
  const ChatTemplate t(ChatFormat::kLlama2, "Be brief.", "<s>", "</s>");
  EXPECT_EQ(t.user_turn("Hi", true), "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
  EXPECT_EQ(t.user_turn("More", false), "<s>[INST] More [/INST]");
  EXPECT_EQ(t.close_answer(), " </s>");
  EXPECT_EQ(t.end_of_turn(), "</s>");
  EXPECT_EQ(t.after_end_of_turn(), "");
  // No system prompt: no <<SYS>> block.
  EXPECT_EQ(ChatTemplate(ChatFormat::kLlama2, "", "<s>", "</s>").user_turn("Hi", true), "[INST] Hi [/INST]");
}

TEST(ChatTemplate, Llama3Turns) {
  const ChatTemplate t(ChatFormat::kLlama3, "Be brief.", "<|begin_of_text|>", "<|end_of_text|>");
  EXPECT_EQ(t.user_turn("Hi", true),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.user_turn("More", false),
            "<|start_header_id|>user<|end_header_id|>\n\nMore<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.close_answer(), "<|eot_id|>");
  EXPECT_EQ(t.end_of_turn(), "<|eot_id|>");
}

TEST(ChatTemplate, ChatMlTurns) {
  const ChatTemplate t(ChatFormat::kChatMl, "Be brief.", "", "<|endoftext|>");
  EXPECT_EQ(t.user_turn("Hi", true),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t.user_turn("More", false), "<|im_start|>user\nMore<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t.close_answer(), "<|im_end|>\n");
  EXPECT_EQ(t.end_of_turn(), "<|im_end|>");
  EXPECT_EQ(t.after_end_of_turn(), "\n");
}

}  // namespace
}  // namespace mobiq::cli
