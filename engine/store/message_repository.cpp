#include "store/message_repository.h"

#include <QRegularExpression>
#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/logging.h"
#include "store/sql_error.h"

namespace parley::store {

namespace {

const QString kColumns = QStringLiteral(
    "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.status, m.model, "
    "m.prompt_tokens, m.completion_tokens, m.ttft_ms, m.total_ms, m.finish_reason, "
    "m.created_at, m.updated_at, m.citations, m.tool_calls, m.moderation, m.attachments");

std::optional<qint64> optionalInt(const QVariant& value) {
    if (value.isNull()) {
        return std::nullopt;
    }
    return value.toLongLong();
}

QVariant nullable(const std::optional<qint64>& value) {
    return value ? QVariant(*value) : QVariant();
}

Message readMessage(const QSqlQuery& query) {
    Message m;
    m.id = query.value(0).toString();
    m.conversationId = query.value(1).toString();
    m.parentId = query.value(2).toString();
    m.role = query.value(3).toString();
    m.content = query.value(4).toString();
    // The CHECK constraint admits only known names.
    m.status = statusFromName(query.value(5).toString()).value_or(MessageStatus::Failed);
    m.model = query.value(6).toString();
    m.promptTokens = optionalInt(query.value(7));
    m.completionTokens = optionalInt(query.value(8));
    m.ttftMs = optionalInt(query.value(9));
    m.totalMs = optionalInt(query.value(10));
    m.finishReason = query.value(11).toString();
    m.createdAt = query.value(12).toLongLong();
    m.updatedAt = query.value(13).toLongLong();
    m.citationsJson = query.value(14).toString();
    m.toolCallsJson = query.value(15).toString();
    m.moderationJson = query.value(16).toString();
    m.attachmentsJson = query.value(17).toString();
    return m;
}

Result<std::vector<Message>> readMessages(QSqlQuery& query, const QString& context) {
    if (Status done = execPrepared(query, context); !done) {
        return done.error();
    }
    std::vector<Message> messages;
    while (query.next()) {
        messages.push_back(readMessage(query));
    }
    return messages;
}

// Each word becomes a quoted FTS5 string, so operators and punctuation in user text are literal.
QString ftsQuery(const QString& text) {
    static const QRegularExpression whitespace(QStringLiteral("\\s+"));
    QStringList terms;
    for (QString word : text.split(whitespace, Qt::SkipEmptyParts)) {
        word.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        terms.append(QLatin1Char('"') + word + QLatin1Char('"'));
    }
    return terms.join(QLatin1Char(' '));
}

}  // namespace

Result<Message> MessageRepository::append(const NewMessage& draft) {
    Message m;
    m.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    m.conversationId = draft.conversationId;
    m.parentId = draft.parentId;
    m.role = draft.role;
    m.content = draft.content;
    m.status = draft.status;
    m.model = draft.model;
    m.attachmentsJson =
        draft.attachmentsJson.isEmpty() ? QStringLiteral("[]") : draft.attachmentsJson;
    m.createdAt = db_.nextTimestamp();
    m.updatedAt = m.createdAt;
    const QString context =
        QStringLiteral("cannot append message to conversation %1").arg(draft.conversationId);
    Status written = db_.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db_.connection());
        if (!draft.parentId.isEmpty()) {
            query.prepare(QStringLiteral("SELECT conversation_id FROM messages WHERE id = ?"));
            query.addBindValue(draft.parentId);
            if (Status done = execPrepared(query, context); !done) {
                return done;
            }
            if (!query.next() || query.value(0).toString() != draft.conversationId) {
                return storeError(QStringLiteral("%1: parent %2 is not a message of it")
                                      .arg(context, draft.parentId));
            }
        }
        query.prepare(QStringLiteral(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, "
            "created_at, updated_at, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        query.addBindValue(m.id);
        query.addBindValue(m.conversationId);
        query.addBindValue(m.parentId.isEmpty() ? QVariant() : QVariant(m.parentId));
        query.addBindValue(textValue(m.role));
        query.addBindValue(textValue(m.content));
        query.addBindValue(statusName(m.status));
        query.addBindValue(textValue(m.model));
        query.addBindValue(m.createdAt);
        query.addBindValue(m.updatedAt);
        query.addBindValue(textValue(m.attachmentsJson));
        if (Status done = execPrepared(query, context); !done) {
            return done;
        }
        query.prepare(
            QStringLiteral("UPDATE conversations SET active_leaf_message_id = ?, "
                           "updated_at = ? WHERE id = ?"));
        query.addBindValue(m.id);
        query.addBindValue(m.updatedAt);
        query.addBindValue(m.conversationId);
        return execPrepared(query, context);
    });
    if (!written) {
        return written.error();
    }
    return m;
}

Result<Message> MessageRepository::get(const QString& id) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM messages m WHERE m.id = ?").arg(kColumns));
    query.addBindValue(id);
    if (Status done = execPrepared(query, QStringLiteral("cannot read message %1").arg(id));
        !done) {
        return done.error();
    }
    if (!query.next()) {
        return storeError(QStringLiteral("no message %1").arg(id));
    }
    return readMessage(query);
}

Status MessageRepository::updateMessage(const QString& id, const QString& assignments,
                                        const QVariantList& values, const QString& context,
                                        bool onlyWhileStreaming) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("UPDATE messages SET %1, updated_at = ? WHERE id = ?%2")
                      .arg(assignments, onlyWhileStreaming
                                            ? QStringLiteral(" AND status = 'streaming'")
                                            : QString()));
    for (const QVariant& value : values) {
        query.addBindValue(value);
    }
    query.addBindValue(db_.nextTimestamp());
    query.addBindValue(id);
    if (Status done = execPrepared(query, context); !done) {
        return done;
    }
    if (query.numRowsAffected() == 0) {
        return storeError(
            QStringLiteral("%1: no %2message %3")
                .arg(context, onlyWhileStreaming ? QStringLiteral("streaming ") : QString(), id));
    }
    return Ok{};
}

Status MessageRepository::checkpoint(const QString& id, const QString& content) {
    return updateMessage(id, QStringLiteral("content = ?"), {textValue(content)},
                         QStringLiteral("cannot checkpoint message"), true);
}

Status MessageRepository::finish(const QString& id, const MessageCompletion& completion) {
    return updateMessage(
        id,
        QStringLiteral("status = ?, content = ?, finish_reason = ?, prompt_tokens = ?, "
                       "completion_tokens = ?, ttft_ms = ?, total_ms = ?"),
        {statusName(completion.status), textValue(completion.content),
         textValue(completion.finishReason), nullable(completion.promptTokens),
         nullable(completion.completionTokens), nullable(completion.ttftMs),
         nullable(completion.totalMs)},
        QStringLiteral("cannot finish message"), true);
}

Status MessageRepository::setStatus(const QString& id, MessageStatus status) {
    return updateMessage(id, QStringLiteral("status = ?"), {statusName(status)},
                         QStringLiteral("cannot set message status"), false);
}

Result<QHash<QString, QStringList>> MessageRepository::childIds(const QString& conversationId) {
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT id, parent_id FROM messages WHERE conversation_id = ? "
                       "ORDER BY created_at, seq"));
    query.addBindValue(conversationId);
    if (Status done = execPrepared(
            query, QStringLiteral("cannot read the message tree of %1").arg(conversationId));
        !done) {
        return done.error();
    }
    QHash<QString, QStringList> tree;
    while (query.next()) {
        tree[query.value(1).toString()].append(query.value(0).toString());
    }
    return tree;
}

Result<std::vector<Message>> MessageRepository::children(const QString& conversationId,
                                                         const QString& parentId) {
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    if (parentId.isEmpty()) {
        query.prepare(QStringLiteral("SELECT %1 FROM messages m WHERE m.conversation_id = ? AND "
                                     "m.parent_id IS NULL ORDER BY m.created_at, m.seq")
                          .arg(kColumns));
        query.addBindValue(conversationId);
    } else {
        query.prepare(QStringLiteral("SELECT %1 FROM messages m WHERE m.conversation_id = ? AND "
                                     "m.parent_id = ? ORDER BY m.created_at, m.seq")
                          .arg(kColumns));
        query.addBindValue(conversationId);
        query.addBindValue(parentId);
    }
    return readMessages(query, QStringLiteral("cannot read children of %1")
                                   .arg(parentId.isEmpty() ? conversationId : parentId));
}

Result<std::vector<Message>> MessageRepository::pathTo(const QString& leafId) {
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    // WITH RECURSIVE is standard SQL (SQLite and PostgreSQL alike).
    query.prepare(QStringLiteral("WITH RECURSIVE path(id, parent_id, depth) AS ("
                                 " SELECT id, parent_id, 0 FROM messages WHERE id = ?"
                                 " UNION ALL"
                                 " SELECT p.id, p.parent_id, path.depth + 1"
                                 " FROM messages p JOIN path ON p.id = path.parent_id)"
                                 " SELECT %1 FROM messages m JOIN path ON m.id = path.id"
                                 " ORDER BY path.depth DESC")
                      .arg(kColumns));
    query.addBindValue(leafId);
    Result<std::vector<Message>> path =
        readMessages(query, QStringLiteral("cannot read the path to message %1").arg(leafId));
    if (path && path->empty()) {
        return storeError(QStringLiteral("no message %1").arg(leafId));
    }
    return path;
}

Result<std::vector<Message>> MessageRepository::activeBranch(const QString& conversationId) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT active_leaf_message_id FROM conversations WHERE id = ?"));
    query.addBindValue(conversationId);
    const QString context =
        QStringLiteral("cannot read the active branch of conversation %1").arg(conversationId);
    if (Status done = execPrepared(query, context); !done) {
        return done.error();
    }
    if (!query.next()) {
        return storeError(QStringLiteral("no conversation %1").arg(conversationId));
    }
    const QString leaf = query.value(0).toString();
    if (leaf.isEmpty()) {
        return std::vector<Message>{};
    }
    return pathTo(leaf);
}

Result<std::vector<SearchHit>> MessageRepository::search(const QString& userId, const QString& text,
                                                         int limit) {
    const QString match = ftsQuery(text);
    if (match.isEmpty()) {
        return std::vector<SearchHit>{};
    }
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT m.conversation_id, m.id, snippet(messages_fts, 0, '[', ']', '...', 12) "
        "FROM messages_fts "
        "JOIN messages m ON m.seq = messages_fts.rowid "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE messages_fts MATCH ? AND c.user_id = ? "
        "ORDER BY messages_fts.rank LIMIT ?"));
    query.addBindValue(match);
    query.addBindValue(userId);
    query.addBindValue(limit);
    if (Status done = execPrepared(query, QStringLiteral("cannot search messages")); !done) {
        return done.error();
    }
    std::vector<SearchHit> hits;
    while (query.next()) {
        hits.push_back(
            {query.value(0).toString(), query.value(1).toString(), query.value(2).toString()});
    }
    return hits;
}

Result<int> MessageRepository::recoverInterrupted() {
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("UPDATE messages SET status = 'interrupted', updated_at = ? "
                       "WHERE status = 'streaming'"));
    query.addBindValue(db_.nextTimestamp());
    if (Status done = execPrepared(query, QStringLiteral("cannot recover interrupted messages"));
        !done) {
        return done.error();
    }
    const int recovered = query.numRowsAffected();
    if (recovered > 0) {
        qCInfo(lcStore) << "marked" << recovered << "interrupted streaming message(s)";
    }
    return recovered;
}

}  // namespace parley::store
