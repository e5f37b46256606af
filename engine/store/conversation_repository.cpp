#include "store/conversation_repository.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

namespace {

const QString kColumns = QStringLiteral(
    "id, user_id, workspace_id, title, pinned, archived, tags, created_at, updated_at, "
    "active_leaf_message_id");

QString tagsToJson(const QStringList& tags) {
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(tags)).toJson(QJsonDocument::Compact));
}

QStringList tagsFromJson(const QString& json) {
    QStringList tags;
    for (const QJsonValue& tag : QJsonDocument::fromJson(json.toUtf8()).array()) {
        tags.append(tag.toString());
    }
    return tags;
}

Conversation readConversation(const QSqlQuery& query) {
    Conversation c;
    c.id = query.value(0).toString();
    c.userId = query.value(1).toString();
    c.workspaceId = query.value(2).toString();
    c.title = query.value(3).toString();
    c.pinned = query.value(4).toBool();
    c.archived = query.value(5).toBool();
    c.tags = tagsFromJson(query.value(6).toString());
    c.createdAt = query.value(7).toLongLong();
    c.updatedAt = query.value(8).toLongLong();
    c.activeLeafMessageId = query.value(9).toString();
    return c;
}

QVariant nullableText(const QString& text) {
    return text.isEmpty() ? QVariant() : QVariant(text);
}

}  // namespace

Result<Conversation> ConversationRepository::create(const QString& userId, const QString& title,
                                                    const QString& workspaceId) {
    Conversation c;
    c.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    c.userId = userId;
    c.workspaceId = workspaceId;
    c.title = title;
    c.createdAt = db_.nextTimestamp();
    c.updatedAt = c.createdAt;
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("INSERT INTO conversations (id, user_id, workspace_id, title, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"));
    query.addBindValue(c.id);
    query.addBindValue(userId);
    query.addBindValue(nullableText(workspaceId));
    query.addBindValue(textValue(title));
    query.addBindValue(c.createdAt);
    query.addBindValue(c.updatedAt);
    if (Status done = execPrepared(query, QStringLiteral("cannot create conversation")); !done) {
        return done.error();
    }
    return c;
}

Result<Conversation> ConversationRepository::get(const QString& id) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM conversations WHERE id = ?").arg(kColumns));
    query.addBindValue(id);
    const QString context = QStringLiteral("cannot read conversation %1").arg(id);
    if (Status done = execPrepared(query, context); !done) {
        return done.error();
    }
    if (!query.next()) {
        return storeError(QStringLiteral("no conversation %1").arg(id));
    }
    return readConversation(query);
}

Result<std::vector<Conversation>> ConversationRepository::listForUser(const QString& userId,
                                                                      bool includeArchived) {
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT %1 FROM conversations WHERE user_id = ? %2 "
                       "ORDER BY pinned DESC, updated_at DESC, created_at DESC")
            .arg(kColumns, includeArchived ? QString() : QStringLiteral("AND archived = 0")));
    query.addBindValue(userId);
    if (Status done = execPrepared(query, QStringLiteral("cannot list conversations")); !done) {
        return done.error();
    }
    std::vector<Conversation> list;
    while (query.next()) {
        list.push_back(readConversation(query));
    }
    return list;
}

Status ConversationRepository::updateColumn(const QString& id, const QString& column,
                                            const QVariant& value, const QString& context) {
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("UPDATE conversations SET %1 = ?, updated_at = ? WHERE id = ?").arg(column));
    query.addBindValue(value);
    query.addBindValue(db_.nextTimestamp());
    query.addBindValue(id);
    if (Status done = execPrepared(query, context); !done) {
        return done;
    }
    if (query.numRowsAffected() == 0) {
        return storeError(QStringLiteral("%1: no conversation %2").arg(context, id));
    }
    return Ok{};
}

Status ConversationRepository::rename(const QString& id, const QString& title) {
    return updateColumn(id, QStringLiteral("title"), textValue(title),
                        QStringLiteral("cannot rename conversation"));
}

Status ConversationRepository::setPinned(const QString& id, bool pinned) {
    return updateColumn(id, QStringLiteral("pinned"), pinned ? 1 : 0,
                        QStringLiteral("cannot pin conversation"));
}

Status ConversationRepository::setArchived(const QString& id, bool archived) {
    return updateColumn(id, QStringLiteral("archived"), archived ? 1 : 0,
                        QStringLiteral("cannot archive conversation"));
}

Status ConversationRepository::setTags(const QString& id, const QStringList& tags) {
    return updateColumn(id, QStringLiteral("tags"), tagsToJson(tags),
                        QStringLiteral("cannot tag conversation"));
}

Status ConversationRepository::remove(const QString& id) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("DELETE FROM conversations WHERE id = ?"));
    query.addBindValue(id);
    const QString context = QStringLiteral("cannot delete conversation");
    if (Status done = execPrepared(query, context); !done) {
        return done;
    }
    if (query.numRowsAffected() == 0) {
        return storeError(QStringLiteral("%1: no conversation %2").arg(context, id));
    }
    return Ok{};
}

Status ConversationRepository::setActiveLeaf(const QString& id, const QString& messageId) {
    const QString context = QStringLiteral("cannot switch branch of conversation %1").arg(id);
    QSqlQuery query(db_.connection());
    // The subquery ties the message to this conversation, so a leaf of another thread is refused.
    query.prepare(QStringLiteral(
        "UPDATE conversations SET active_leaf_message_id = ?, updated_at = ? "
        "WHERE id = ? AND EXISTS (SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?)"));
    query.addBindValue(messageId);
    query.addBindValue(db_.nextTimestamp());
    query.addBindValue(id);
    query.addBindValue(messageId);
    query.addBindValue(id);
    if (Status done = execPrepared(query, context); !done) {
        return done;
    }
    if (query.numRowsAffected() == 0) {
        return storeError(
            QStringLiteral("%1: no message %2 in that conversation").arg(context, messageId));
    }
    return Ok{};
}

}  // namespace parley::store
