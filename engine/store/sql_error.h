// Turns Qt SQL failures into parley::Error with the store's context prefix, and binds values.
#pragma once

#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>

#include <initializer_list>

#include "common/result.h"

namespace parley::store {

// "store: <context>: <driver text>"
Error sqlError(const QString& context, const QSqlError& error);

// Executes the prepared `query`; on failure the error names `context`.
Status execPrepared(QSqlQuery& query, const QString& context);

// Prepares `sql` on `query`, binds `values` in order and executes it; on failure the error
// names `context`. The rows, if any, are read from `query` afterwards.
Status execPrepared(QSqlQuery& query, const QString& sql, std::initializer_list<QVariant> values,
                    const QString& context);

Error storeError(const QString& message);

// Qt binds a null QString as SQL NULL; NOT NULL text columns take an empty string instead.
QVariant textValue(const QString& text);

}  // namespace parley::store
