#include "store/conversation_import.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

namespace {

QString newId() {
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QVariant nullable(const std::optional<qint64>& value) {
    return value ? QVariant(*value) : QVariant();
}

}  // namespace

Result<QString> importConversation(Database& db, const QString& userId,
                                   const ImportedConversation& imported) {
    const Conversation& c = imported.conversation;
    const QString conversationId = newId();
    const QString context = QStringLiteral("cannot import conversation \"%1\"").arg(c.title);
    const qint64 now = db.nextTimestamp();
    QHash<QString, QString> newIds;
    Status written = db.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db.connection());
        query.prepare(QStringLiteral(
            "INSERT INTO conversations (id, user_id, title, pinned, archived, tags, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        query.addBindValue(conversationId);
        query.addBindValue(userId);
        query.addBindValue(textValue(c.title));
        query.addBindValue(c.pinned ? 1 : 0);
        query.addBindValue(c.archived ? 1 : 0);
        query.addBindValue(QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(c.tags)).toJson(QJsonDocument::Compact)));
        query.addBindValue(c.createdAt > 0 ? c.createdAt : now);
        query.addBindValue(c.updatedAt > 0 ? c.updatedAt : now);
        if (Status done = execPrepared(query, context); !done) {
            return done;
        }
        for (const Message& m : imported.messages) {
            QString parent;
            if (!m.parentId.isEmpty()) {
                parent = newIds.value(m.parentId);
                if (parent.isEmpty()) {
                    return storeError(QStringLiteral("%1: message %2 comes before its parent %3")
                                          .arg(context, m.id, m.parentId));
                }
            }
            if (newIds.contains(m.id)) {
                return storeError(
                    QStringLiteral("%1: message id %2 appears twice").arg(context, m.id));
            }
            const QString id = newId();
            newIds.insert(m.id, id);
            const qint64 created = m.createdAt > 0 ? m.createdAt : db.nextTimestamp();
            query.prepare(QStringLiteral(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, "
                "model, prompt_tokens, completion_tokens, ttft_ms, total_ms, finish_reason, "
                "created_at, updated_at, citations, tool_calls, moderation, attachments) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            query.addBindValue(id);
            query.addBindValue(conversationId);
            query.addBindValue(parent.isEmpty() ? QVariant() : QVariant(parent));
            query.addBindValue(textValue(m.role));
            query.addBindValue(textValue(m.content));
            query.addBindValue(statusName(m.status));
            query.addBindValue(textValue(m.model));
            query.addBindValue(nullable(m.promptTokens));
            query.addBindValue(nullable(m.completionTokens));
            query.addBindValue(nullable(m.ttftMs));
            query.addBindValue(nullable(m.totalMs));
            query.addBindValue(textValue(m.finishReason));
            query.addBindValue(created);
            query.addBindValue(m.updatedAt > 0 ? m.updatedAt : created);
            query.addBindValue(textValue(m.citationsJson));
            query.addBindValue(textValue(m.toolCallsJson));
            query.addBindValue(textValue(m.moderationJson));
            query.addBindValue(textValue(m.attachmentsJson));
            if (Status done = execPrepared(query, context); !done) {
                return done;
            }
        }
        QString leaf = imported.activeLeafMessageId.isEmpty()
                           ? (imported.messages.empty() ? QString() : imported.messages.back().id)
                           : imported.activeLeafMessageId;
        if (leaf.isEmpty()) {
            return Ok{};
        }
        if (!newIds.contains(leaf)) {
            return storeError(
                QStringLiteral("%1: the active message %2 is not in it").arg(context, leaf));
        }
        query.prepare(
            QStringLiteral("UPDATE conversations SET active_leaf_message_id = ? WHERE id = ?"));
        query.addBindValue(newIds.value(leaf));
        query.addBindValue(conversationId);
        return execPrepared(query, context);
    });
    if (!written) {
        return written.error();
    }
    return conversationId;
}

}  // namespace parley::store
