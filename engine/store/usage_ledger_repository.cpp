#include "store/usage_ledger_repository.h"

#include <QSqlQuery>
#include <QVariant>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Status UsageLedgerRepository::append(const std::vector<LedgerEntry>& entries) {
    if (entries.empty())
        return Ok{};
    const QString context =
        QStringLiteral("cannot append %1 usage ledger rows").arg(entries.size());
    return db_.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db_.connection());
        query.prepare(QStringLiteral(
            "INSERT INTO usage_ledger (created_at, user_id, api_key_id, method, route, status, "
            "model, prompt_tokens, completion_tokens, latency_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const LedgerEntry& e : entries) {
            query.addBindValue(e.createdAt);
            query.addBindValue(textValue(e.userId));
            query.addBindValue(textValue(e.apiKeyId));
            query.addBindValue(textValue(e.method));
            query.addBindValue(textValue(e.route));
            query.addBindValue(e.status);
            query.addBindValue(textValue(e.model));
            query.addBindValue(e.promptTokens);
            query.addBindValue(e.completionTokens);
            query.addBindValue(e.latencyMs);
            if (Status done = execPrepared(query, context); !done)
                return done;
        }
        return Ok{};
    });
}

Result<qint64> UsageLedgerRepository::tokensSince(const QString& userId, qint64 sinceMs) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage_ledger "
        "WHERE user_id = ? AND created_at >= ?"));
    query.addBindValue(userId);
    query.addBindValue(sinceMs);
    if (Status done =
            execPrepared(query, QStringLiteral("cannot sum the tokens of user %1").arg(userId));
        !done)
        return done.error();
    return query.next() ? query.value(0).toLongLong() : 0;
}

Result<std::vector<LedgerEntry>> UsageLedgerRepository::entriesOf(const QString& userId,
                                                                  int limit) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "SELECT created_at, user_id, api_key_id, method, route, status, model, prompt_tokens, "
        "completion_tokens, latency_ms FROM usage_ledger WHERE user_id = ? "
        "ORDER BY seq DESC LIMIT ?"));
    query.addBindValue(userId);
    query.addBindValue(limit);
    if (Status done =
            execPrepared(query, QStringLiteral("cannot read the usage of user %1").arg(userId));
        !done)
        return done.error();
    std::vector<LedgerEntry> entries;
    while (query.next()) {
        entries.push_back({query.value(0).toLongLong(), query.value(1).toString(),
                           query.value(2).toString(), query.value(3).toString(),
                           query.value(4).toString(), query.value(5).toInt(),
                           query.value(6).toString(), query.value(7).toLongLong(),
                           query.value(8).toLongLong(), query.value(9).toLongLong()});
    }
    return entries;
}

}  // namespace parley::store
