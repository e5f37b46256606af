// One open store database: a Qt SQL connection (SQLite) with the schema migrated to the latest
// version. A Qt SQL connection belongs to the thread that opened it, so a Database and the
// repositories on it are used from that one thread (the store's writer thread).
#pragma once

#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <memory>

#include "common/result.h"

namespace parley::store {

class Database {
  public:
    enum class Access { ReadWrite, ReadOnly };

    // `path` is a file (created when missing) or ":memory:". Checks FTS5, sets WAL, foreign keys
    // and the busy timeout, then applies pending migrations. A database written by a newer Parley
    // (schema version above latestSchemaVersion()) is refused.
    static Result<std::unique_ptr<Database>> open(const QString& path,
                                                  Access access = Access::ReadWrite);

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const QString& path() const { return path_; }
    QSqlDatabase& connection() { return connection_; }
    int schemaVersion() const { return schemaVersion_; }
    static int latestSchemaVersion();

    // Runs `body` in one transaction: commits when it succeeds, rolls back when it fails (or when
    // the commit itself fails, e.g. disk full), so a failed write leaves no partial rows.
    Status inTransaction(const QString& context, const std::function<Status()>& body);

    // Milliseconds since the epoch, strictly increasing per database so that rows written in the
    // same millisecond still sort in the order they were written.
    qint64 nextTimestamp();

  private:
    Database(QString path, QString connectionName);
    Status configure(Access access);
    Status migrate();

    QString path_;
    QString connectionName_;
    QSqlDatabase connection_;
    int schemaVersion_ = 0;
    qint64 lastTimestamp_ = 0;
};

}  // namespace parley::store
