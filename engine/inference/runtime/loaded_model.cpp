#include "inference/runtime/loaded_model.h"

namespace parley::runtime {

Result<std::unique_ptr<LoadedModel>> LoadedModel::load(const std::filesystem::path& path) {
    std::unique_ptr<LoadedModel> loaded(new LoadedModel);
    auto model = model::Model::load(path);
    if (!model)
        return model.error();
    loaded->model_ = std::move(model.value());
    auto tok = tokenizer::Tokenizer::fromGguf(loaded->model_->file());
    if (!tok)
        return tok.error();
    loaded->tokenizer_ = std::move(tok.value());
    const auto source = loaded->model_->file().getString("tokenizer.chat_template");
    if (!source) {
        loaded->templateWarning_ = path.string() + ": no chat template in the file; using ChatML";
    } else if (auto parsed = chat_template::ChatTemplate::parse(*source); !parsed) {
        loaded->templateWarning_ = path.string() + ": chat template does not parse (" +
                                   parsed.error().message + "); using ChatML";
    } else {
        loaded->template_.emplace(std::move(parsed.value()));
    }
    return loaded;
}

const chat_template::ChatTemplate& LoadedModel::chatTemplate() const {
    return template_ ? *template_ : chat_template::ChatTemplate::chatMl();
}

Result<std::vector<model::TokenId>> LoadedModel::promptTokens(
    const std::vector<chat_template::ChatMessage>& messages, bool addGenerationPrompt) const {
    const auto& tok = *tokenizer_;
    chat_template::RenderOptions options;
    options.addGenerationPrompt = addGenerationPrompt;
    if (tok.bos() >= 0)
        options.bosToken = std::string(tok.tokenText(tok.bos()));
    if (tok.eos() >= 0)
        options.eosToken = std::string(tok.tokenText(tok.eos()));
    auto text = chatTemplate().apply(messages, options);
    if (!text)
        return text.error();
    auto ids = tok.encode(*text, /*addSpecial=*/true, /*parseSpecial=*/true);
    // Templates that write the BOS text themselves would otherwise get it twice.
    if (tok.addsBos() && ids.size() >= 2 && ids[0] == tok.bos() && ids[1] == tok.bos()) {
        ids.erase(ids.begin());
    }
    return ids;
}

}  // namespace parley::runtime
