// Model::open_hf: an unquantized Hugging Face checkpoint as a Model with dense linears.
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/model/hf_checkpoint.h"
#include "runtime/model/model.h"

namespace mobiq {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// tokenizer_config.json's "chat_template": a string, a list of {"name", "template"} (the one named
// "default" is taken), or absent; recent transformers releases write chat_template.jinja instead.
Result<std::string> read_chat_template(const std::string& dir, const std::string& tokenizer_config_json) {
  if (!tokenizer_config_json.empty()) {
    json config;
    try {
      config = json::parse(tokenizer_config_json);
    } catch (const json::exception& e) {
      return corrupt_file(std::string("tokenizer_config.json is not valid JSON: ") + e.what());
    }
    const auto it = config.is_object() ? config.find("chat_template") : config.end();
    if (config.is_object() && it != config.end() && !it->is_null()) {
      if (it->is_string()) return it->get<std::string>();
      if (it->is_array()) {
        for (const auto& entry : *it) {
          if (entry.is_object() && entry.value("name", json()) == "default" && entry.contains("template") &&
              entry["template"].is_string())
            return entry["template"].get<std::string>();
        }
        return std::string();  // only named templates; none is the default
      }
      return corrupt_file("tokenizer_config.json: \"chat_template\" must be a string or a list of templates");
    }
  }
  const fs::path jinja = fs::path(dir) / "chat_template.jinja";
  std::error_code ec;
  if (!fs::is_regular_file(jinja, ec)) return std::string();
  std::ifstream in(jinja, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return io_error("cannot read " + jinja.string());
  return text.str();
}

}  // namespace

Result<Model> Model::open_hf(const std::string& dir) {
  MOBIQ_ASSIGN_OR_RETURN(HfCheckpoint opened, HfCheckpoint::open(dir));
  // Shared so the Model's storage keeps the mappings the weight views point into alive.
  auto checkpoint = std::make_shared<HfCheckpoint>(std::move(opened));

  const std::string tokenizer_json = checkpoint->tokenizer_json();
  if (tokenizer_json.empty()) return not_found("tokenizer.json is missing or empty in " + dir);
  const std::string tokenizer_config_json = checkpoint->tokenizer_config_json();
  auto tokenizer = Tokenizer::from_hf_json(tokenizer_json, tokenizer_config_json);
  if (!tokenizer.ok()) return tokenizer.status().with_context((fs::path(dir) / "tokenizer.json").string());

  ModelConfig config = checkpoint->config();
  // The embedding may be padded past the vocabulary, never the other way round.
  if (tokenizer->vocab_size() > config.vocab_size)
    return corrupt_file(dir + ": tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                        " tokens but config.json's vocab_size is " + std::to_string(config.vocab_size));
  // config.json may leave BOS/EOS out; the tokenizer then knows them.
  if (config.bos_id < 0) config.bos_id = tokenizer->bos_id();
  if (config.eos_ids.empty() && tokenizer->eos_id() >= 0) config.eos_ids.push_back(tokenizer->eos_id());

  auto chat_template = read_chat_template(dir, tokenizer_config_json);
  if (!chat_template.ok()) return chat_template.status().with_context(dir);
  MOBIQ_ASSIGN_OR_RETURN(ModelWeights weights, checkpoint->weights());

  return Model(std::move(config), std::move(weights), std::move(tokenizer).value(),
               std::shared_ptr<const void>(checkpoint), /*max_slices=*/0, std::move(chat_template).value());
}

}  // namespace mobiq
