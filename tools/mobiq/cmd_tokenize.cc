// mobiq tokenize: text -> token ids with a model's tokenizer (from .mbq, a checkpoint or a GGUF vocab).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "format/mbq_reader.h"
#include "runtime/model/hf_checkpoint.h"
#include "tools/mobiq/command.h"
#include "tools/mobiq/common.h"

namespace mobiq::cli {
namespace {

struct TokenizeArgs {
  std::string mbq_path;
  std::string hf_dir;
  std::string gguf_path;
  std::string text;
  std::string text_file;
  bool no_bos = false;
  bool parse_special = false;
  bool json = false;
};

Result<Tokenizer> load_tokenizer(const TokenizeArgs& args) {
  if (!args.gguf_path.empty()) return Tokenizer::from_gguf(args.gguf_path);
  if (!args.hf_dir.empty()) {
    MOBIQ_ASSIGN_OR_RETURN(HfCheckpoint checkpoint, HfCheckpoint::open(args.hf_dir));
    return Tokenizer::from_hf_json(checkpoint.tokenizer_json(), checkpoint.tokenizer_config_json());
  }
  MOBIQ_ASSIGN_OR_RETURN(MbqFile file, MbqFile::open(args.mbq_path));
  const fb::TokenizerData* data = file.model().tokenizer();
  if (data == nullptr || data->tokenizer_json() == nullptr) return not_found(args.mbq_path + " holds no tokenizer");
  return Tokenizer::from_hf_json(data->tokenizer_json()->str(),
                                 data->tokenizer_config_json() ? data->tokenizer_config_json()->str() : "");
}

int run_tokenize(const TokenizeArgs& args) {
  Result<Tokenizer> tokenizer = load_tokenizer(args);
  if (!tokenizer.ok()) return report_error(tokenizer.status());
  std::string text = args.text;
  if (!args.text_file.empty()) {
    Result<std::string> file = read_text_file(args.text_file);
    if (!file.ok()) return report_error(file.status());
    text = *file;
  }
  EncodeOptions options;
  options.add_bos = !args.no_bos;
  options.parse_special = args.parse_special;
  Result<std::vector<int32_t>> ids = tokenizer->encode(text, options);
  if (!ids.ok()) return report_error(ids.status());
  if (args.json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : *ids) pieces.push_back(tokenizer->token_to_piece(id));
    nlohmann::json doc = {{"count", ids->size()}, {"ids", *ids}, {"pieces", pieces}};
    // Pieces may split UTF-8 characters: replace invalid bytes rather than fail.
    std::printf("%s\n", doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  for (int32_t id : *ids) std::printf("%6d -> '%s'\n", id, tokenizer->token_to_piece(id).c_str());
  std::fprintf(stderr, "%zu tokens\n", ids->size());
  return 0;
}

}  // namespace

Command add_tokenize_command(CLI::App& root) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* app = root.add_subcommand("tokenize", "print the token ids of a text");
  auto* m = app->add_option("-m,--model", args->mbq_path, "a .mbq model")->check(CLI::ExistingFile);
  auto* hf = app->add_option("--hf", args->hf_dir, "a Hugging Face checkpoint directory")->check(CLI::ExistingDirectory);
  auto* v = app->add_option("--vocab", args->gguf_path, "a GGUF file with tokenizer.ggml.* metadata")->check(CLI::ExistingFile);
  m->excludes(hf, v);
  hf->excludes(v);
  auto* p = app->add_option("-p,--prompt", args->text, "text to tokenize");
  auto* f = app->add_option("-f,--file", args->text_file, "file to tokenize")->check(CLI::ExistingFile);
  p->excludes(f);
  app->add_flag("--no-bos", args->no_bos, "do not put BOS in front");
  app->add_flag("--parse-special", args->parse_special, "turn special token text (\"<s>\") into its id");
  app->add_flag("--json", args->json, "one JSON document on stdout");
  return {app, [args] {
            if (args->mbq_path.empty() && args->hf_dir.empty() && args->gguf_path.empty())
              return report_error(invalid_argument("tokenize needs -m, --hf or --vocab"));
            return run_tokenize(*args);
          }};
}

}  // namespace mobiq::cli
