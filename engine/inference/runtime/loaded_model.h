// Everything a GGUF file gives the engine, loaded together: the model, its tokenizer and its chat
// template (the built-in ChatML when the file has none, with a warning the caller can show).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "inference/chat_template/chat_template.h"
#include "inference/model/model.h"
#include "inference/tokenizer/tokenizer.h"

namespace parley::runtime {

class LoadedModel {
  public:
    static Result<std::unique_ptr<LoadedModel>> load(const std::filesystem::path& path);

    const model::Model& model() const { return *model_; }
    const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
    const chat_template::ChatTemplate& chatTemplate() const;
    bool usesFallbackTemplate() const { return !template_.has_value(); }
    // Why the fallback is used (no template in the file, or the file's template did not parse).
    const std::string& templateWarning() const { return templateWarning_; }

    // Renders the conversation through the chat template and tokenizes it (control tokens in the
    // rendered text are parsed; BOS is added only when the template did not write it already).
    Result<std::vector<model::TokenId>> promptTokens(
        const std::vector<chat_template::ChatMessage>& messages,
        bool addGenerationPrompt = true) const;

  private:
    LoadedModel() = default;

    std::unique_ptr<model::Model> model_;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
    std::optional<chat_template::ChatTemplate> template_;
    std::string templateWarning_;
};

}  // namespace parley::runtime
