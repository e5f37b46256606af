#include "gateway/conversations/conversation_json.h"

#include <array>
#include <utility>

namespace parley::gateway::json {
namespace {

QJsonValue optionalNumber(const std::optional<qint64>& value) {
    return value ? QJsonValue(double(*value)) : QJsonValue(QJsonValue::Null);
}

std::optional<qint64> toOptionalNumber(const QJsonValue& value) {
    if (!value.isDouble())
        return std::nullopt;
    return qint64(value.toDouble());
}

QJsonArray fromStrings(const QStringList& list) {
    return QJsonArray::fromStringList(list);
}

QStringList toStrings(const QJsonValue& value) {
    QStringList list;
    for (const auto& item : value.toArray())
        list.append(item.toString());
    return list;
}

constexpr std::array<std::pair<chat::ContextPart::Kind, const char*>, 6> kPartKinds{{
    {chat::ContextPart::Kind::SystemPrompt, "system_prompt"},
    {chat::ContextPart::Kind::Summary, "summary"},
    {chat::ContextPart::Kind::Turn, "turn"},
    {chat::ContextPart::Kind::Attachment, "attachment"},
    {chat::ContextPart::Kind::Memory, "memory"},
    {chat::ContextPart::Kind::Document, "document"},
}};

QString partKindName(chat::ContextPart::Kind kind) {
    for (const auto& [value, name] : kPartKinds)
        if (value == kind)
            return QString::fromLatin1(name);
    return {};
}

chat::ContextPart::Kind partKindFromName(const QString& name) {
    for (const auto& [value, text] : kPartKinds)
        if (name == QLatin1String(text))
            return value;
    return chat::ContextPart::Kind::Turn;
}

}  // namespace

QJsonObject fromConversation(const store::Conversation& c) {
    return QJsonObject{{"conversation_id", c.id},
                       {"title", c.title},
                       {"workspace_id", c.workspaceId},
                       {"pinned", c.pinned},
                       {"archived", c.archived},
                       {"tags", fromStrings(c.tags)},
                       {"created_at", double(c.createdAt)},
                       {"updated_at", double(c.updatedAt)},
                       {"active_leaf_id", c.activeLeafMessageId}};
}

store::Conversation toConversation(const QJsonObject& o) {
    store::Conversation c;
    c.id = o.value("conversation_id").toString();
    c.title = o.value("title").toString();
    c.workspaceId = o.value("workspace_id").toString();
    c.pinned = o.value("pinned").toBool();
    c.archived = o.value("archived").toBool();
    c.tags = toStrings(o.value("tags"));
    c.createdAt = qint64(o.value("created_at").toDouble());
    c.updatedAt = qint64(o.value("updated_at").toDouble());
    c.activeLeafMessageId = o.value("active_leaf_id").toString();
    return c;
}

QJsonObject fromMessageNode(const chat::MessageNode& node) {
    const store::Message& m = node.message;
    return QJsonObject{
        {"message_id", m.id},
        {"parent_id", m.parentId},
        {"role", m.role},
        {"content", m.content},
        {"status", store::statusName(m.status)},
        {"model", m.model},
        {"finish_reason", m.finishReason},
        {"usage", QJsonObject{{"prompt_tokens", optionalNumber(m.promptTokens)},
                              {"completion_tokens", optionalNumber(m.completionTokens)}}},
        {"timings", QJsonObject{{"ttft_ms", optionalNumber(m.ttftMs)},
                                {"total_ms", optionalNumber(m.totalMs)}}},
        {"created_at", double(m.createdAt)},
        {"updated_at", double(m.updatedAt)},
        {"branch", QJsonObject{{"index", node.siblingIndex},
                               {"count", node.siblingCount},
                               {"sibling_ids", fromStrings(node.siblingIds)}}},
    };
}

chat::MessageNode toMessageNode(const QJsonObject& o) {
    chat::MessageNode node;
    store::Message& m = node.message;
    m.id = o.value("message_id").toString();
    m.parentId = o.value("parent_id").toString();
    m.role = o.value("role").toString();
    m.content = o.value("content").toString();
    m.status =
        store::statusFromName(o.value("status").toString()).value_or(store::MessageStatus::Failed);
    m.model = o.value("model").toString();
    m.finishReason = o.value("finish_reason").toString();
    const QJsonObject usage = o.value("usage").toObject();
    m.promptTokens = toOptionalNumber(usage.value("prompt_tokens"));
    m.completionTokens = toOptionalNumber(usage.value("completion_tokens"));
    const QJsonObject timings = o.value("timings").toObject();
    m.ttftMs = toOptionalNumber(timings.value("ttft_ms"));
    m.totalMs = toOptionalNumber(timings.value("total_ms"));
    m.createdAt = qint64(o.value("created_at").toDouble());
    m.updatedAt = qint64(o.value("updated_at").toDouble());
    const QJsonObject branch = o.value("branch").toObject();
    node.siblingIndex = branch.value("index").toInt();
    node.siblingCount = branch.value("count").toInt(1);
    node.siblingIds = toStrings(branch.value("sibling_ids"));
    return node;
}

QJsonObject fromConversationView(const chat::ConversationView& view) {
    QJsonObject object = fromConversation(view.conversation);
    QJsonArray messages;
    QString model;
    for (const auto& node : view.messages) {
        messages.append(fromMessageNode(node));
        if (node.message.role == QLatin1String("assistant") && !node.message.model.isEmpty())
            model = node.message.model;
    }
    object.insert("model", model);
    object.insert("messages", messages);
    return object;
}

chat::ConversationView toConversationView(const QJsonObject& object) {
    chat::ConversationView view;
    view.conversation = toConversation(object);
    for (const auto& item : object.value("messages").toArray())
        view.messages.push_back(toMessageNode(item.toObject()));
    return view;
}

QJsonObject fromStreamStarted(const chat::StreamStarted& s) {
    return QJsonObject{{"accepted", true},
                       {"stream_id", s.streamId},
                       {"user_message_id", s.userMessageId},
                       {"assistant_message_id", s.assistantMessageId},
                       {"model", s.model}};
}

chat::StreamStarted toStreamStarted(const QJsonObject& o) {
    return chat::StreamStarted{
        o.value("stream_id").toString(), o.value("user_message_id").toString(),
        o.value("assistant_message_id").toString(), o.value("model").toString()};
}

QString streamEventName(chat::StreamEvent::Kind kind) {
    switch (kind) {
        case chat::StreamEvent::Kind::Token:
            return QStringLiteral("token");
        case chat::StreamEvent::Kind::Done:
            return QStringLiteral("done");
        case chat::StreamEvent::Kind::Error:
            return QStringLiteral("error");
    }
    return {};
}

QJsonObject fromStreamEvent(const chat::StreamEvent& e) {
    QJsonObject data{{"stream_id", e.streamId},
                     {"conversation_id", e.conversationId},
                     {"message_id", e.messageId}};
    if (e.kind == chat::StreamEvent::Kind::Token) {
        data.insert("text", e.text);
        return data;
    }
    data.insert("status", store::statusName(e.status));
    data.insert("finish_reason", e.finishReason);
    if (e.kind == chat::StreamEvent::Kind::Error)
        data.insert("error", e.error);
    data.insert("usage", QJsonObject{{"prompt_tokens", double(e.promptTokens)},
                                     {"completion_tokens", double(e.completionTokens)}});
    data.insert("timings",
                QJsonObject{{"ttft_ms", double(e.ttftMs)}, {"total_ms", double(e.totalMs)}});
    return data;
}

Result<chat::StreamEvent> toStreamEvent(const QString& name, qint64 id, const QJsonObject& data) {
    chat::StreamEvent e;
    if (name == QLatin1String("token"))
        e.kind = chat::StreamEvent::Kind::Token;
    else if (name == QLatin1String("done"))
        e.kind = chat::StreamEvent::Kind::Done;
    else if (name == QLatin1String("error"))
        e.kind = chat::StreamEvent::Kind::Error;
    else
        return makeError("unknown stream event '" + name.toStdString() + "'");
    e.sequence = id;
    e.streamId = data.value("stream_id").toString();
    e.conversationId = data.value("conversation_id").toString();
    e.messageId = data.value("message_id").toString();
    e.text = data.value("text").toString();
    if (e.kind != chat::StreamEvent::Kind::Token) {
        e.status = store::statusFromName(data.value("status").toString())
                       .value_or(store::MessageStatus::Failed);
        e.finishReason = data.value("finish_reason").toString();
        e.error = data.value("error").toString();
        const QJsonObject usage = data.value("usage").toObject();
        e.promptTokens = qint64(usage.value("prompt_tokens").toDouble());
        e.completionTokens = qint64(usage.value("completion_tokens").toDouble());
        const QJsonObject timings = data.value("timings").toObject();
        e.ttftMs = qint64(timings.value("ttft_ms").toDouble());
        e.totalMs = qint64(timings.value("total_ms").toDouble());
    }
    return e;
}

QJsonObject fromSearchHit(const store::SearchHit& hit) {
    return QJsonObject{{"conversation_id", hit.conversationId},
                       {"message_id", hit.messageId},
                       {"snippet", hit.snippet}};
}

store::SearchHit toSearchHit(const QJsonObject& o) {
    return store::SearchHit{o.value("conversation_id").toString(), o.value("message_id").toString(),
                            o.value("snippet").toString()};
}

QJsonObject fromModelInfo(const chat::ModelInfo& m) {
    return QJsonObject{{"id", m.id},
                       {"display_name", m.displayName},
                       {"architecture", m.architecture},
                       {"context_tokens", m.contextTokens},
                       {"default", m.isDefault}};
}

chat::ModelInfo toModelInfo(const QJsonObject& o) {
    return chat::ModelInfo{o.value("id").toString(), o.value("display_name").toString(),
                           o.value("architecture").toString(), o.value("context_tokens").toInt(),
                           o.value("default").toBool()};
}

QJsonObject fromContextReport(const chat::ContextReport& r) {
    QJsonArray parts;
    for (const auto& p : r.parts)
        parts.append(QJsonObject{{"kind", partKindName(p.kind)},
                                 {"message_id", p.messageId},
                                 {"label", p.label},
                                 {"tokens", p.tokens},
                                 {"included", p.included}});
    return QJsonObject{{"message_id", r.messageId},           {"model", r.model},
                       {"context_tokens", r.contextTokens},   {"prompt_tokens", r.promptTokens},
                       {"reserved_tokens", r.reservedTokens}, {"parts", parts}};
}

chat::ContextReport toContextReport(const QJsonObject& o) {
    chat::ContextReport r;
    r.messageId = o.value("message_id").toString();
    r.model = o.value("model").toString();
    r.contextTokens = o.value("context_tokens").toInt();
    r.promptTokens = o.value("prompt_tokens").toInt();
    r.reservedTokens = o.value("reserved_tokens").toInt();
    for (const auto& item : o.value("parts").toArray()) {
        const QJsonObject p = item.toObject();
        r.parts.push_back(chat::ContextPart{partKindFromName(p.value("kind").toString()),
                                            p.value("message_id").toString(),
                                            p.value("label").toString(), p.value("tokens").toInt(),
                                            p.value("included").toBool(true)});
    }
    return r;
}

Result<chat::GenerationOptions> toGenerationOptions(const QJsonObject& o) {
    chat::GenerationOptions options;
    const auto number = [&](const char* key, auto& field) -> bool {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return true;
        if (!v.isDouble())
            return false;
        field = static_cast<typename std::decay_t<decltype(field)>::value_type>(v.toDouble());
        return true;
    };
    const std::array<std::pair<const char*, bool>, 8> checks{{
        {"temperature", number("temperature", options.temperature)},
        {"top_p", number("top_p", options.topP)},
        {"top_k", number("top_k", options.topK)},
        {"min_p", number("min_p", options.minP)},
        {"presence_penalty", number("presence_penalty", options.presencePenalty)},
        {"frequency_penalty", number("frequency_penalty", options.frequencyPenalty)},
        {"seed", number("seed", options.seed)},
        {"max_tokens", number("max_tokens", options.maxTokens)},
    }};
    for (const auto& [key, ok] : checks)
        if (!ok)
            return makeError(std::string("'") + key + "' must be a number");
    if (options.maxTokens && *options.maxTokens < 1)
        return makeError("'max_tokens' must be at least 1");
    const QJsonValue stop = o.value("stop");
    if (stop.isString()) {
        options.stop = QStringList{stop.toString()};
    } else if (stop.isArray()) {
        for (const auto& item : stop.toArray()) {
            if (!item.isString())
                return makeError("'stop' must be a string or an array of strings");
            options.stop.append(item.toString());
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return makeError("'stop' must be a string or an array of strings");
    }
    const QJsonValue system = o.value("system_prompt");
    if (!system.isUndefined() && !system.isNull() && !system.isString())
        return makeError("'system_prompt' must be a string");
    options.systemPrompt = system.toString();
    return options;
}

void addGenerationOptions(const chat::GenerationOptions& options, QJsonObject& o) {
    const auto put = [&](const char* key, const auto& field) {
        if (field)
            o.insert(QLatin1String(key), double(*field));
    };
    put("temperature", options.temperature);
    put("top_p", options.topP);
    put("top_k", options.topK);
    put("min_p", options.minP);
    put("presence_penalty", options.presencePenalty);
    put("frequency_penalty", options.frequencyPenalty);
    put("seed", options.seed);
    put("max_tokens", options.maxTokens);
    if (!options.stop.isEmpty())
        o.insert("stop", QJsonArray::fromStringList(options.stop));
    if (!options.systemPrompt.isEmpty())
        o.insert("system_prompt", options.systemPrompt);
}

Result<std::vector<chat::Attachment>> toAttachments(const QJsonValue& value) {
    std::vector<chat::Attachment> attachments;
    if (value.isUndefined() || value.isNull())
        return attachments;
    if (!value.isArray())
        return makeError("'attachments' must be an array");
    for (const auto& item : value.toArray()) {
        const QJsonObject a = item.toObject();
        if (!item.isObject() || !a.value("text").isString())
            return makeError("each attachment must be an object with a string 'text'");
        attachments.push_back(chat::Attachment{a.value("name").toString(),
                                               a.value("mime_type").toString(),
                                               a.value("text").toString()});
    }
    return attachments;
}

QJsonArray fromAttachments(const std::vector<chat::Attachment>& attachments) {
    QJsonArray array;
    for (const auto& a : attachments)
        array.append(QJsonObject{{"name", a.name}, {"mime_type", a.mimeType}, {"text", a.text}});
    return array;
}

}  // namespace parley::gateway::json
