#include "store/storage_limit.h"

#include <QSqlQuery>

#include <algorithm>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {

Status limitDatabaseSize(Database& db, qint64 bytes) {
    const QString context = QStringLiteral("cannot limit %1 to %2 bytes").arg(db.path()).arg(bytes);
    QSqlQuery query(db.connection());
    if (!query.exec(QStringLiteral("PRAGMA page_size")) || !query.next()) {
        return sqlError(context, query.lastError());
    }
    const qint64 pages =
        std::max<qint64>(1, bytes / std::max<qint64>(1, query.value(0).toLongLong()));
    // SQLite's max_page_count is per connection and never below the current page count.
    if (!query.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages))) {
        return sqlError(context, query.lastError());
    }
    return Ok{};
}

}  // namespace parley::store
