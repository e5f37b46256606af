// A message as stored: one node of a conversation's message tree. Siblings (children of the same
// parent) are branches: an edit is a new sibling user message, a regenerate a new sibling answer.
#pragma once

#include <QString>

#include <optional>

namespace parley::store {

enum class MessageStatus { Streaming, Complete, Cancelled, Interrupted, Failed };

QString statusName(MessageStatus status);
std::optional<MessageStatus> statusFromName(const QString& text);

struct Message {
    QString id;  // uuid
    QString conversationId;
    QString parentId;  // empty for a root message
    QString role;      // system, user, assistant or tool
    QString content;
    MessageStatus status = MessageStatus::Complete;
    QString model;
    std::optional<qint64> promptTokens;
    std::optional<qint64> completionTokens;
    std::optional<qint64> ttftMs;
    std::optional<qint64> totalMs;
    QString finishReason;
    qint64 createdAt = 0;  // ms since the epoch
    qint64 updatedAt = 0;
    // JSON text filled by later features (retrieval, tools, moderation, files).
    QString citationsJson = QStringLiteral("[]");
    QString toolCallsJson = QStringLiteral("[]");
    QString moderationJson = QStringLiteral("{}");
    QString attachmentsJson = QStringLiteral("[]");
};

// What a caller supplies to append a message; the repository assigns id and timestamps.
struct NewMessage {
    QString conversationId;
    QString parentId;  // empty for a root message
    QString role;
    QString content;
    MessageStatus status = MessageStatus::Complete;
    QString model;
    QString attachmentsJson = QStringLiteral("[]");  // files whose text goes with the message
};

// The outcome of a generation, written when a streaming answer ends.
struct MessageCompletion {
    MessageStatus status = MessageStatus::Complete;
    QString content;
    QString finishReason;
    std::optional<qint64> promptTokens;
    std::optional<qint64> completionTokens;
    std::optional<qint64> ttftMs;
    std::optional<qint64> totalMs;
};

// One full-text search match.
struct SearchHit {
    QString conversationId;
    QString messageId;
    QString snippet;  // matched terms wrapped in [ and ]
};

}  // namespace parley::store
