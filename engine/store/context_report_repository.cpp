#include "store/context_report_repository.h"

#include <QSqlQuery>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Status ContextReportRepository::put(const QString& messageId, const QString& reportJson) {
    const QString context = QStringLiteral("cannot store the context report of %1").arg(messageId);
    return db_.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db_.connection());
        query.prepare(QStringLiteral("DELETE FROM context_reports WHERE message_id = ?"));
        query.addBindValue(messageId);
        if (Status done = execPrepared(query, context); !done) {
            return done;
        }
        query.prepare(QStringLiteral(
            "INSERT INTO context_reports (message_id, report, created_at) VALUES (?, ?, ?)"));
        query.addBindValue(messageId);
        query.addBindValue(textValue(reportJson));
        query.addBindValue(db_.nextTimestamp());
        return execPrepared(query, context);
    });
}

Result<QString> ContextReportRepository::get(const QString& messageId) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT report FROM context_reports WHERE message_id = ?"));
    query.addBindValue(messageId);
    if (Status done = execPrepared(
            query, QStringLiteral("cannot read the context report of %1").arg(messageId));
        !done) {
        return done.error();
    }
    if (!query.next()) {
        return storeError(QStringLiteral("no context report for message %1").arg(messageId));
    }
    return query.value(0).toString();
}

}  // namespace parley::store
