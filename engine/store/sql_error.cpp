#include "store/sql_error.h"

#include "store/logging.h"

namespace parley::store {

Error sqlError(const QString& context, const QSqlError& error) {
    const QString text = QStringLiteral("store: %1: %2").arg(context, error.text());
    qCWarning(lcStore).noquote() << text;
    return makeError(text.toStdString());
}

Status execPrepared(QSqlQuery& query, const QString& context) {
    if (!query.exec()) {
        return sqlError(context, query.lastError());
    }
    return Ok{};
}

Status execPrepared(QSqlQuery& query, const QString& sql, std::initializer_list<QVariant> values,
                    const QString& context) {
    query.prepare(sql);
    for (const QVariant& value : values) {
        query.addBindValue(value);
    }
    return execPrepared(query, context);
}

Error storeError(const QString& message) {
    const QString text = QStringLiteral("store: %1").arg(message);
    qCWarning(lcStore).noquote() << text;
    return makeError(text.toStdString());
}

QVariant textValue(const QString& text) {
    return text.isNull() ? QVariant(QStringLiteral("")) : QVariant(text);
}

}  // namespace parley::store
