// Gateway accounts: users who can log in (login, role, password hash, quotas) and their
// credentials (API keys, session tokens). Stores only hashes of secrets; the gateway makes and
// checks them (gateway/account_service.h).
#pragma once

#include <QString>

#include <optional>
#include <vector>

#include "common/result.h"

namespace parley::store {

class Database;

struct Account {
    QString id;
    QString name;
    QString login;         // empty: cannot log in with a password
    QString role;          // "admin" or "member"
    QString passwordHash;  // argon2id PHC string; empty: no password set
    bool disabled = false;
    std::optional<qint64> dailyTokenQuota;  // unset: the server's default
    std::optional<int> maxConcurrentStreams;
    qint64 createdAt = 0;
};

struct ApiKeyRecord {
    QString id;
    QString userId;
    QString name;
    QString prefix;  // the key's first characters, shown in listings and used for lookup
    QString secretSha256;
    qint64 createdAt = 0;
    std::optional<qint64> expiresAt;
    std::optional<qint64> revokedAt;
};

struct SessionRecord {
    QString id;
    QString userId;
    qint64 createdAt = 0;
    qint64 expiresAt = 0;
    std::optional<qint64> revokedAt;
};

class AccountRepository {
  public:
    explicit AccountRepository(Database& db) : db_(db) {}

    // Creates the user (and a workspace of theirs named after them); returns it with its id.
    // `account.id` and `createdAt` are ignored. A login already taken is an error.
    Result<Account> create(const Account& account);
    Result<std::optional<Account>> byId(const QString& userId);
    Result<std::optional<Account>> byLogin(const QString& login);
    Result<std::vector<Account>> list();
    Result<bool> hasAdmin();
    Status setPasswordHash(const QString& userId, const QString& passwordHash);

    Result<ApiKeyRecord> addApiKey(const QString& userId, const QString& name,
                                   const QString& prefix, const QString& secretSha256,
                                   std::optional<qint64> expiresAt);
    Result<std::vector<ApiKeyRecord>> apiKeysWithPrefix(const QString& prefix);
    Result<std::vector<ApiKeyRecord>> apiKeysOf(const QString& userId);
    // False when the user has no such key (or it was already revoked).
    Result<bool> revokeApiKey(const QString& userId, const QString& keyId, qint64 nowMs);

    Result<SessionRecord> addSession(const QString& userId, const QString& tokenSha256,
                                     qint64 expiresAt);
    Result<std::optional<SessionRecord>> sessionByTokenHash(const QString& tokenSha256);
    Status revokeSession(const QString& sessionId, qint64 nowMs);

  private:
    Database& db_;
};

}  // namespace parley::store
