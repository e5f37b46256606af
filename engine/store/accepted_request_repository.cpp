#include "store/accepted_request_repository.h"

#include <QSqlQuery>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Status AcceptedRequestRepository::record(const AcceptedRequest& request) {
    QSqlQuery query(db_.connection());
    return execPrepared(
        query,
        QStringLiteral(
            "INSERT INTO accepted_requests (conversation_id, client_message_id, stream_id, "
            "user_message_id, assistant_message_id, model, created_at) VALUES (?, ?, ?, ?, ?, ?, "
            "?)"),
        {request.conversationId, request.clientMessageId, request.streamId, request.userMessageId,
         request.assistantMessageId, textValue(request.model), db_.nextTimestamp()},
        QStringLiteral("cannot record client message %1 of conversation %2")
            .arg(request.clientMessageId, request.conversationId));
}

Result<std::optional<AcceptedRequest>> AcceptedRequestRepository::find(
    const QString& conversationId, const QString& clientMessageId) {
    QSqlQuery query(db_.connection());
    if (Status done = execPrepared(
            query,
            QStringLiteral("SELECT stream_id, user_message_id, assistant_message_id, model FROM "
                           "accepted_requests WHERE conversation_id = ? AND client_message_id = ?"),
            {conversationId, clientMessageId},
            QStringLiteral("cannot look up client message %1").arg(clientMessageId));
        !done) {
        return done.error();
    }
    if (!query.next()) {
        return std::optional<AcceptedRequest>();
    }
    AcceptedRequest r;
    r.conversationId = conversationId;
    r.clientMessageId = clientMessageId;
    r.streamId = query.value(0).toString();
    r.userMessageId = query.value(1).toString();
    r.assistantMessageId = query.value(2).toString();
    r.model = query.value(3).toString();
    return std::optional<AcceptedRequest>(std::move(r));
}

}  // namespace parley::store
