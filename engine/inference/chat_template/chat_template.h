// Renders a model's tokenizer.chat_template (a Jinja template) the way Hugging Face transformers
// does (trim_blocks, lstrip_blocks, raise_exception, tojson, strftime_now), so a new model needs no
// code. Only the Jinja subset real chat templates use is supported; anything else is a clear error.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::chat_template {

struct ChatMessage {
    std::string role;
    std::string content;
};

struct RenderOptions {
    bool addGenerationPrompt = true;
    std::string bosToken;
    std::string eosToken;
};

class ChatTemplate {
  public:
    // Errors give the line and column of the problem in the template.
    static Result<ChatTemplate> parse(std::string_view source);
    // The built-in fallback for files without a template.
    static const ChatTemplate& chatMl();

    Result<std::string> apply(const std::vector<ChatMessage>& messages,
                              const RenderOptions& options) const;
    // Renders with an arbitrary context given as a JSON object (tests, tools later).
    Result<std::string> renderJson(std::string_view contextJson) const;
    // Same, with strftime_now() reading `now` instead of the local clock (reproducible tests).
    Result<std::string> renderJson(std::string_view contextJson, const std::tm& now) const;

    ChatTemplate(ChatTemplate&&) noexcept;
    ChatTemplate& operator=(ChatTemplate&&) noexcept;
    ~ChatTemplate();

  private:
    struct Program;
    explicit ChatTemplate(std::unique_ptr<Program> program);
    std::unique_ptr<Program> program_;
};

}  // namespace parley::chat_template
