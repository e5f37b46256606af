#include "store/database.h"

#include <QDateTime>
#include <QSqlQuery>
#include <QUuid>

#include <algorithm>

#include "store/logging.h"
#include "store/migrations.h"
#include "store/sql_error.h"

namespace parley::store {

namespace {

constexpr int kBusyTimeoutMs = 5000;
const QString kMemoryPath = QStringLiteral(":memory:");

Result<QVariant> queryScalar(QSqlDatabase& db, const QString& sql, const QString& context) {
    QSqlQuery query(db);
    if (!query.exec(sql)) {
        return sqlError(context, query.lastError());
    }
    if (!query.next()) {
        return storeError(context + QStringLiteral(": no result"));
    }
    return query.value(0);
}

}  // namespace

Database::Database(QString path, QString connectionName)
    : path_(std::move(path)), connectionName_(std::move(connectionName)) {}

Database::~Database() {
    connection_.close();
    // Qt requires every handle to the connection to be gone before it is removed.
    connection_ = QSqlDatabase();
    QSqlDatabase::removeDatabase(connectionName_);
}

int Database::latestSchemaVersion() {
    return migrations().back().version;
}

Result<std::unique_ptr<Database>> Database::open(const QString& path, Access access) {
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE"))) {
        return storeError(
            QStringLiteral(
                "cannot open %1: the Qt SQLite driver (QSQLITE, Debian package libqt6sql6-sqlite) "
                "is not installed")
                .arg(path));
    }
    const QString name =
        QStringLiteral("parley.store.%1").arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
    std::unique_ptr<Database> db(new Database(path, name));
    db->connection_ = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
    db->connection_.setDatabaseName(path);
    QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs);
    if (access == Access::ReadOnly) {
        options += QStringLiteral(";QSQLITE_OPEN_READONLY");
    }
    db->connection_.setConnectOptions(options);
    if (!db->connection_.open()) {
        return sqlError(QStringLiteral("cannot open %1").arg(path), db->connection_.lastError());
    }
    if (Status configured = db->configure(access); !configured) {
        return configured.error();
    }
    if (Status migrated = db->migrate(); !migrated) {
        return migrated.error();
    }
    qCInfo(lcStore).noquote() << "opened" << path << "schema version" << db->schemaVersion_;
    return db;
}

Status Database::configure(Access access) {
    const QString context = QStringLiteral("cannot open %1").arg(path_);
    Result<QVariant> fts5 = queryScalar(
        connection_, QStringLiteral("SELECT sqlite_compileoption_used('ENABLE_FTS5')"), context);
    if (!fts5) {
        return fts5.error();
    }
    if (fts5->toInt() != 1) {
        return storeError(context + QStringLiteral(": this SQLite library is built without FTS5, "
                                                   "which conversation search needs"));
    }
    QSqlQuery query(connection_);
    // SQLite checks foreign keys only when asked, per connection.
    if (!query.exec(QStringLiteral("PRAGMA foreign_keys = ON"))) {
        return sqlError(context + QStringLiteral(": foreign_keys"), query.lastError());
    }
    if (!query.exec(QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs))) {
        return sqlError(context + QStringLiteral(": busy_timeout"), query.lastError());
    }
    if (path_ == kMemoryPath) {
        return Ok{};  // an in-memory database has no journal file to put in WAL mode
    }
    // A read-only connection cannot switch the journal mode; it reads whatever the writer set.
    if (access == Access::ReadWrite) {
        Result<QVariant> mode =
            queryScalar(connection_, QStringLiteral("PRAGMA journal_mode = WAL"),
                        context + QStringLiteral(": journal_mode"));
        if (!mode) {
            return mode.error();
        }
        if (mode->toString().toLower() != QStringLiteral("wal")) {
            return storeError(
                context +
                QStringLiteral(": WAL journal mode refused (got %1)").arg(mode->toString()));
        }
        // WAL with NORMAL sync is durable against process crashes, which is what checkpoints need.
        if (!query.exec(QStringLiteral("PRAGMA synchronous = NORMAL"))) {
            return sqlError(context + QStringLiteral(": synchronous"), query.lastError());
        }
    }
    return Ok{};
}

Status Database::migrate() {
    const QString context = QStringLiteral("migrating %1").arg(path_);
    const bool hasTable = connection_.tables().contains(QStringLiteral("schema_migrations"));
    if (hasTable) {
        Result<QVariant> version = queryScalar(
            connection_, QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"),
            context);
        if (!version) {
            return version.error();
        }
        schemaVersion_ = version->toInt();
    }
    const int latest = latestSchemaVersion();
    if (schemaVersion_ > latest) {
        return storeError(QStringLiteral("%1 has schema version %2, newer than the %3 this build "
                                         "of Parley knows; refusing to open it (upgrade Parley)")
                              .arg(path_)
                              .arg(schemaVersion_)
                              .arg(latest));
    }
    if (schemaVersion_ == latest) {
        return Ok{};
    }
    Status applied = inTransaction(context, [&]() -> Status {
        QSqlQuery query(connection_);
        if (!query.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       "version INTEGER PRIMARY KEY, "
                                       "description TEXT NOT NULL, "
                                       "applied_at INTEGER NOT NULL)"))) {
            return sqlError(context + QStringLiteral(": schema_migrations"), query.lastError());
        }
        for (const Migration& migration : migrations()) {
            if (migration.version <= schemaVersion_) {
                continue;
            }
            const QString step = context + QStringLiteral(": migration %1").arg(migration.version);
            for (const char* statement : migration.statements) {
                if (!query.exec(QString::fromUtf8(statement))) {
                    return sqlError(step, query.lastError());
                }
            }
            query.prepare(
                QStringLiteral("INSERT INTO schema_migrations "
                               "(version, description, applied_at) VALUES (?, ?, ?)"));
            query.addBindValue(migration.version);
            query.addBindValue(QString::fromUtf8(migration.description));
            query.addBindValue(nextTimestamp());
            if (Status recorded = execPrepared(query, step); !recorded) {
                return recorded;
            }
            qCInfo(lcStore).noquote() << "applied migration" << migration.version << "to" << path_;
        }
        return Ok{};
    });
    if (!applied) {
        return applied;
    }
    schemaVersion_ = latest;
    return Ok{};
}

Status Database::inTransaction(const QString& context, const std::function<Status()>& body) {
    // IMMEDIATE takes the write lock up front (waiting up to the busy timeout). A deferred BEGIN
    // would start as a reader and fail at once with "database is locked" when another connection
    // (the gateway's accounts and ledger share the file) committed before this one's first write.
    QSqlQuery control(connection_);
    if (!control.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        return sqlError(context + QStringLiteral(": begin"), control.lastError());
    }
    Status result = body();
    if (result && !control.exec(QStringLiteral("COMMIT"))) {
        result = sqlError(context + QStringLiteral(": commit"), control.lastError());
    }
    if (!result && !control.exec(QStringLiteral("ROLLBACK"))) {
        // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); the original error
        // is the one to report.
        qCWarning(lcStore).noquote()
            << "rollback after failure in" << context << ":" << control.lastError().text();
    }
    return result;
}

qint64 Database::nextTimestamp() {
    lastTimestamp_ = std::max(lastTimestamp_ + 1, QDateTime::currentMSecsSinceEpoch());
    return lastTimestamp_;
}

}  // namespace parley::store
