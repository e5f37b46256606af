// The JSON shapes of conversations, messages, streams and their events, in both directions: the
// server writes them (REST, SSE, WebSocket) and RemoteChatService reads them back, so the two
// sides cannot drift apart. Field names are snake_case; times are ms since the epoch.
#pragma once

#include <QJsonArray>
#include <QJsonObject>

#include <vector>

#include "chat/chat_service.h"
#include "common/result.h"

namespace parley::gateway::json {

QJsonObject fromConversation(const store::Conversation& conversation);
store::Conversation toConversation(const QJsonObject& object);

QJsonObject fromMessageNode(const chat::MessageNode& node);
chat::MessageNode toMessageNode(const QJsonObject& object);

// {conversation fields..., "model": model of the last answer, "messages": [active branch]}
QJsonObject fromConversationView(const chat::ConversationView& view);
chat::ConversationView toConversationView(const QJsonObject& object);

QJsonObject fromStreamStarted(const chat::StreamStarted& started);
chat::StreamStarted toStreamStarted(const QJsonObject& object);

// The payload of one stream event (without its id/name, which SSE and WS carry their own way).
QJsonObject fromStreamEvent(const chat::StreamEvent& event);
// `name` is "token", "done" or "error".
Result<chat::StreamEvent> toStreamEvent(const QString& name, qint64 id, const QJsonObject& data);
QString streamEventName(chat::StreamEvent::Kind kind);

QJsonObject fromSearchHit(const store::SearchHit& hit);
store::SearchHit toSearchHit(const QJsonObject& object);

QJsonObject fromModelInfo(const chat::ModelInfo& model);
chat::ModelInfo toModelInfo(const QJsonObject& object);

QJsonObject fromContextReport(const chat::ContextReport& report);
chat::ContextReport toContextReport(const QJsonObject& object);

// Generation options from a request body: the sampling fields at the top level of `object`
// (temperature, top_p, top_k, min_p, presence_penalty, frequency_penalty, seed, max_tokens,
// stop, system_prompt). A field of the wrong type is an error naming it.
Result<chat::GenerationOptions> toGenerationOptions(const QJsonObject& object);
// Writes the set options into `object` (the inverse of toGenerationOptions).
void addGenerationOptions(const chat::GenerationOptions& options, QJsonObject& object);

Result<std::vector<chat::Attachment>> toAttachments(const QJsonValue& value);
QJsonArray fromAttachments(const std::vector<chat::Attachment>& attachments);

}  // namespace parley::gateway::json
