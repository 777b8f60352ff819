// Model::open_hf: an unquantized Hugging Face checkpoint as a Model with dense linears.
#include <filesystem>
#include <memory>

#include "runtime/model/hf_checkpoint.h"
#include "runtime/model/model.h"

namespace mobiq {
namespace {
namespace fs = std::filesystem;
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

  auto chat_template = checkpoint->chat_template();
  if (!chat_template.ok()) return chat_template.status().with_context(dir);
  MOBIQ_ASSIGN_OR_RETURN(ModelWeights weights, checkpoint->weights());

  return Model(std::move(config), std::move(weights), std::move(tokenizer).value(),
               std::shared_ptr<const void>(checkpoint), /*max_slices=*/0, std::move(chat_template).value());
}

}  // namespace mobiq
