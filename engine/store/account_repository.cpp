#include "store/account_repository.h"

#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>
#include <QVariant>

#include "store/database.h"
#include "store/sql_error.h"

namespace parley::store {
namespace {

const char* kAccountColumns =
    "id, name, COALESCE(login, ''), role, COALESCE(password_hash, ''), disabled, "
    "daily_token_quota, max_concurrent_streams, created_at";

Account accountFrom(const QSqlQuery& q) {
    Account a;
    a.id = q.value(0).toString();
    a.name = q.value(1).toString();
    a.login = q.value(2).toString();
    a.role = q.value(3).toString();
    a.passwordHash = q.value(4).toString();
    a.disabled = q.value(5).toInt() != 0;
    if (!q.value(6).isNull())
        a.dailyTokenQuota = q.value(6).toLongLong();
    if (!q.value(7).isNull())
        a.maxConcurrentStreams = q.value(7).toInt();
    a.createdAt = q.value(8).toLongLong();
    return a;
}

const char* kKeyColumns =
    "id, user_id, name, prefix, secret_sha256, created_at, expires_at, revoked_at";

ApiKeyRecord keyFrom(const QSqlQuery& q) {
    ApiKeyRecord k;
    k.id = q.value(0).toString();
    k.userId = q.value(1).toString();
    k.name = q.value(2).toString();
    k.prefix = q.value(3).toString();
    k.secretSha256 = q.value(4).toString();
    k.createdAt = q.value(5).toLongLong();
    if (!q.value(6).isNull())
        k.expiresAt = q.value(6).toLongLong();
    if (!q.value(7).isNull())
        k.revokedAt = q.value(7).toLongLong();
    return k;
}

QVariant optionalValue(const std::optional<qint64>& value) {
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<qint64>());
}

QString newId() {
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

Result<std::optional<Account>> oneAccount(QSqlQuery& query, const QString& context) {
    if (Status done = execPrepared(query, context); !done)
        return done.error();
    if (!query.next())
        return std::optional<Account>{};
    return std::optional<Account>{accountFrom(query)};
}

Result<std::vector<ApiKeyRecord>> keyList(QSqlQuery& query, const QString& context) {
    if (Status done = execPrepared(query, context); !done)
        return done.error();
    std::vector<ApiKeyRecord> keys;
    while (query.next())
        keys.push_back(keyFrom(query));
    return keys;
}

}  // namespace

Result<Account> AccountRepository::create(const Account& account) {
    Account created = account;
    created.id = newId();
    created.createdAt = db_.nextTimestamp();
    const QString context = QStringLiteral("cannot create user %1").arg(account.name);
    Status done = db_.inTransaction(context, [&]() -> Status {
        QSqlQuery query(db_.connection());
        query.prepare(QStringLiteral(
            "INSERT INTO users (id, name, created_at, login, role, password_hash, "
            "daily_token_quota, max_concurrent_streams) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        query.addBindValue(created.id);
        query.addBindValue(textValue(created.name));
        query.addBindValue(created.createdAt);
        query.addBindValue(created.login.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                                   : QVariant(created.login));
        query.addBindValue(created.role);
        query.addBindValue(created.passwordHash.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                                          : QVariant(created.passwordHash));
        query.addBindValue(optionalValue(created.dailyTokenQuota));
        query.addBindValue(created.maxConcurrentStreams ? QVariant(*created.maxConcurrentStreams)
                                                        : QVariant(QMetaType::fromType<int>()));
        if (Status inserted = execPrepared(query, context); !inserted)
            return inserted;
        QSqlQuery workspace(db_.connection());
        workspace.prepare(QStringLiteral(
            "INSERT INTO workspaces (id, user_id, name, created_at) VALUES (?, ?, ?, ?)"));
        workspace.addBindValue(newId());
        workspace.addBindValue(created.id);
        workspace.addBindValue(textValue(created.name));
        workspace.addBindValue(created.createdAt);
        return execPrepared(workspace, context + QStringLiteral(": workspace"));
    });
    if (!done)
        return done.error();
    return created;
}

Result<std::optional<Account>> AccountRepository::byId(const QString& userId) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM users WHERE id = ?").arg(kAccountColumns));
    query.addBindValue(userId);
    return oneAccount(query, QStringLiteral("cannot read user %1").arg(userId));
}

Result<std::optional<Account>> AccountRepository::byLogin(const QString& login) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM users WHERE login = ?").arg(kAccountColumns));
    query.addBindValue(login);
    return oneAccount(query, QStringLiteral("cannot read user by login"));
}

Result<std::vector<Account>> AccountRepository::list() {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM users ORDER BY created_at").arg(kAccountColumns));
    if (Status done = execPrepared(query, QStringLiteral("cannot list users")); !done)
        return done.error();
    std::vector<Account> accounts;
    while (query.next())
        accounts.push_back(accountFrom(query));
    return accounts;
}

Result<bool> AccountRepository::hasAdmin() {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1"));
    if (Status done = execPrepared(query, QStringLiteral("cannot look for an admin")); !done)
        return done.error();
    return query.next();
}

Status AccountRepository::setPasswordHash(const QString& userId, const QString& passwordHash) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("UPDATE users SET password_hash = ? WHERE id = ?"));
    query.addBindValue(passwordHash);
    query.addBindValue(userId);
    return execPrepared(query, QStringLiteral("cannot set the password of user %1").arg(userId));
}

Result<ApiKeyRecord> AccountRepository::addApiKey(const QString& userId, const QString& name,
                                                  const QString& prefix,
                                                  const QString& secretSha256,
                                                  std::optional<qint64> expiresAt) {
    ApiKeyRecord key{newId(),   userId,      name, prefix, secretSha256, db_.nextTimestamp(),
                     expiresAt, std::nullopt};
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "INSERT INTO api_keys (id, user_id, name, prefix, secret_sha256, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    query.addBindValue(key.id);
    query.addBindValue(userId);
    query.addBindValue(textValue(name));
    query.addBindValue(prefix);
    query.addBindValue(secretSha256);
    query.addBindValue(key.createdAt);
    query.addBindValue(optionalValue(expiresAt));
    if (Status done =
            execPrepared(query, QStringLiteral("cannot add an API key for user %1").arg(userId));
        !done)
        return done.error();
    return key;
}

Result<std::vector<ApiKeyRecord>> AccountRepository::apiKeysWithPrefix(const QString& prefix) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM api_keys WHERE prefix = ?").arg(kKeyColumns));
    query.addBindValue(prefix);
    return keyList(query, QStringLiteral("cannot look up API keys"));
}

Result<std::vector<ApiKeyRecord>> AccountRepository::apiKeysOf(const QString& userId) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral("SELECT %1 FROM api_keys WHERE user_id = ? ORDER BY created_at")
                      .arg(kKeyColumns));
    query.addBindValue(userId);
    return keyList(query, QStringLiteral("cannot list the API keys of user %1").arg(userId));
}

Result<bool> AccountRepository::revokeApiKey(const QString& userId, const QString& keyId,
                                             qint64 nowMs) {
    QSqlQuery query(db_.connection());
    query.prepare(QStringLiteral(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL"));
    query.addBindValue(nowMs);
    query.addBindValue(keyId);
    query.addBindValue(userId);
    if (Status done = execPrepared(query, QStringLiteral("cannot revoke API key %1").arg(keyId));
        !done)
        return done.error();
    return query.numRowsAffected() > 0;
}

Result<SessionRecord> AccountRepository::addSession(const QString& userId,
                                                    const QString& tokenSha256, qint64 expiresAt) {
    SessionRecord session{newId(), userId, db_.nextTimestamp(), expiresAt, std::nullopt};
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("INSERT INTO sessions (id, user_id, token_sha256, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)"));
    query.addBindValue(session.id);
    query.addBindValue(userId);
    query.addBindValue(tokenSha256);
    query.addBindValue(session.createdAt);
    query.addBindValue(expiresAt);
    if (Status done =
            execPrepared(query, QStringLiteral("cannot add a session for user %1").arg(userId));
        !done)
        return done.error();
    return session;
}

Result<std::optional<SessionRecord>> AccountRepository::sessionByTokenHash(
    const QString& tokenSha256) {
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("SELECT id, user_id, created_at, expires_at, revoked_at FROM sessions "
                       "WHERE token_sha256 = ?"));
    query.addBindValue(tokenSha256);
    if (Status done = execPrepared(query, QStringLiteral("cannot look up a session")); !done)
        return done.error();
    if (!query.next())
        return std::optional<SessionRecord>{};
    SessionRecord s{query.value(0).toString(), query.value(1).toString(),
                    query.value(2).toLongLong(), query.value(3).toLongLong(), std::nullopt};
    if (!query.value(4).isNull())
        s.revokedAt = query.value(4).toLongLong();
    return std::optional<SessionRecord>{s};
}

Status AccountRepository::revokeSession(const QString& sessionId, qint64 nowMs) {
    QSqlQuery query(db_.connection());
    query.prepare(
        QStringLiteral("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"));
    query.addBindValue(nowMs);
    query.addBindValue(sessionId);
    return execPrepared(query, QStringLiteral("cannot revoke session %1").arg(sessionId));
}

}  // namespace parley::store
