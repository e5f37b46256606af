#include "inference/chat_template/chat_template.h"

#include <exception>

#include "inference/chat_template/interpreter.h"
#include "inference/chat_template/json.h"
#include "inference/chat_template/lexer.h"
#include "inference/chat_template/parser.h"

namespace parley::chat_template {
namespace {

constexpr std::string_view kChatMlSource =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

Error located(const TemplateError& e) {
    if (e.line == 0) {
        return makeError(std::string("chat template: ") + e.what());
    }
    return makeError("chat template:" + std::to_string(e.line) + ":" + std::to_string(e.column) +
                     ": " + e.what());
}

std::tm localNow() {
    const std::time_t t = std::time(nullptr);
    std::tm now{};
    localtime_r(&t, &now);
    return now;
}

}  // namespace

struct ChatTemplate::Program {
    Body body;
};

ChatTemplate::ChatTemplate(std::unique_ptr<Program> program) : program_(std::move(program)) {}
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
    try {
        auto program = std::make_unique<Program>();
        program->body = parseTemplate(tokenize(source));
        return ChatTemplate(std::move(program));
    } catch (const TemplateError& e) {
        return located(e);
    } catch (const std::exception& e) {
        return makeError(std::string("chat template: ") + e.what());
    }
}

const ChatTemplate& ChatTemplate::chatMl() {
    static const ChatTemplate chatMl = std::move(parse(kChatMlSource).value());
    return chatMl;
}

namespace {

Result<std::string> renderValue(const Body& body, const Value& context, const std::tm& now) {
    try {
        Interpreter interpreter(now);
        return interpreter.render(body, context);
    } catch (const TemplateError& e) {
        return located(e);
    } catch (const std::exception& e) {
        return makeError(std::string("chat template: ") + e.what());
    }
}

}  // namespace

Result<std::string> ChatTemplate::apply(const std::vector<ChatMessage>& messages,
                                        const RenderOptions& options) const {
    std::vector<Value> list;
    list.reserve(messages.size());
    for (const ChatMessage& m : messages) {
        Dict message;
        message.set(Value("role"), Value(m.role));
        message.set(Value("content"), Value(m.content));
        list.push_back(Value::dict(std::move(message)));
    }
    Dict context;
    context.set(Value("messages"), Value::list(std::move(list)));
    context.set(Value("add_generation_prompt"), Value(options.addGenerationPrompt));
    context.set(Value("bos_token"), Value(options.bosToken));
    context.set(Value("eos_token"), Value(options.eosToken));
    return renderValue(program_->body, Value::dict(std::move(context)), localNow());
}

Result<std::string> ChatTemplate::renderJson(std::string_view contextJson) const {
    return renderJson(contextJson, localNow());
}

Result<std::string> ChatTemplate::renderJson(std::string_view contextJson,
                                             const std::tm& now) const {
    Result<Value> context = parseJson(contextJson);
    if (!context) {
        return makeError("chat template context: " + context.error().message);
    }
    if (!context->isDict()) {
        return makeError("chat template context: expected a JSON object");
    }
    return renderValue(program_->body, *context, now);
}

}  // namespace parley::chat_template
