#include "store/context_report_repository.h"

#include <QSqlQuery>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Status ContextReportRepository::put(const QString& messageId, const QString& reportJson) {
    const QString context = QStringLiteral("cannot store the context report of %1").arg(messageId);
    return db_.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db_.connection());
        if (Status done = execPrepared(
                query, QStringLiteral("DELETE FROM context_reports WHERE message_id = ?"),
                {messageId}, context);
            !done) {
            return done;
        }
        return execPrepared(
            query,
            QStringLiteral(
                "INSERT INTO context_reports (message_id, report, created_at) VALUES (?, ?, ?)"),
            {messageId, textValue(reportJson), db_.nextTimestamp()}, context);
    });
}

Result<QString> ContextReportRepository::get(const QString& messageId) {
    QSqlQuery query(db_.connection());
    if (Status done = execPrepared(
            query, QStringLiteral("SELECT report FROM context_reports WHERE message_id = ?"),
            {messageId}, QStringLiteral("cannot read the context report of %1").arg(messageId));
        !done) {
        return done.error();
    }
    if (!query.next()) {
        return storeError(QStringLiteral("no context report for message %1").arg(messageId));
    }
    return query.value(0).toString();
}

}  // namespace parley::store
