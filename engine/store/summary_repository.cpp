#include "store/summary_repository.h"

#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Result<Summary> SummaryRepository::add(Summary summary) {
    summary.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    summary.createdAt = db_.nextTimestamp();
    QSqlQuery query(db_.connection());
    if (Status done = execPrepared(
            query,
            QStringLiteral(
                "INSERT INTO summaries (id, conversation_id, first_message_id, last_message_id, "
                "message_count, content, model, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            {summary.id, summary.conversationId, summary.firstMessageId, summary.lastMessageId,
             summary.messageCount, textValue(summary.content), textValue(summary.model),
             summary.createdAt},
            QStringLiteral("cannot store a summary of conversation %1")
                .arg(summary.conversationId));
        !done) {
        return done.error();
    }
    return summary;
}

Result<std::vector<Summary>> SummaryRepository::listForConversation(const QString& conversationId) {
    QSqlQuery query(db_.connection());
    query.setForwardOnly(true);
    if (Status done = execPrepared(
            query,
            QStringLiteral("SELECT id, conversation_id, first_message_id, last_message_id, "
                           "message_count, content, model, created_at FROM summaries WHERE "
                           "conversation_id = ? ORDER BY created_at DESC"),
            {conversationId},
            QStringLiteral("cannot read the summaries of conversation %1").arg(conversationId));
        !done) {
        return done.error();
    }
    std::vector<Summary> summaries;
    while (query.next()) {
        Summary s;
        s.id = query.value(0).toString();
        s.conversationId = query.value(1).toString();
        s.firstMessageId = query.value(2).toString();
        s.lastMessageId = query.value(3).toString();
        s.messageCount = query.value(4).toInt();
        s.content = query.value(5).toString();
        s.model = query.value(6).toString();
        s.createdAt = query.value(7).toLongLong();
        summaries.push_back(std::move(s));
    }
    return summaries;
}

}  // namespace parley::store
