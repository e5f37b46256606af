#include "store/usage_repository.h"

#include <QSqlQuery>
#include <QUuid>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

namespace {

QVariant optionalId(const QString& id) {
    return id.isEmpty() ? QVariant() : QVariant(id);
}

}  // namespace

Status UsageRepository::record(const UsageRecord& usage) {
    QSqlQuery query(db_.connection());
    return execPrepared(
        query,
        QStringLiteral(
            "INSERT INTO usage_records (id, user_id, conversation_id, message_id, kind, model, "
            "prompt_tokens, completion_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        {QUuid::createUuid().toString(QUuid::WithoutBraces), usage.userId,
         optionalId(usage.conversationId), optionalId(usage.messageId), textValue(usage.kind),
         textValue(usage.model), usage.promptTokens, usage.completionTokens, db_.nextTimestamp()},
        QStringLiteral("cannot record usage of user %1").arg(usage.userId));
}

Result<UsageTotals> UsageRepository::totalsForUser(const QString& userId) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
        "FROM usage_records WHERE user_id = ?"));
    query.addBindValue(userId);
    if (Status done =
            execPrepared(query, QStringLiteral("cannot read the usage of user %1").arg(userId));
        !done) {
        return done.error();
    }
    UsageTotals totals;
    if (query.next()) {
        totals.calls = query.value(0).toLongLong();
        totals.promptTokens = query.value(1).toLongLong();
        totals.completionTokens = query.value(2).toLongLong();
    }
    return totals;
}

}  // namespace parley::store
