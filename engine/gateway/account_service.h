// Accounts as the gateway uses them: the first admin of an empty data directory, users, API keys
// and session tokens, and turning a presented credential into a Principal. Owns the gateway's
// store connection (Qt SQL connections are per thread): use it on the gateway thread only.
// Password hashing is slow on purpose; its callers run it on a worker (see password_hash.h).
#pragma once

#include <QString>

#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "common/result.h"
#include "gateway/auth/principal.h"
#include "store/account_repository.h"
#include "store/usage_ledger_repository.h"

namespace parley::store {
class Database;
}

namespace parley::gateway {

struct AuthFailure {
    QString code;  // invalid_api_key, session_expired, missing_credentials, ...
    QString message;
};

struct IssuedKey {
    store::ApiKeyRecord record;
    QString secret;  // shown to the caller once, never stored
};

struct IssuedSession {
    store::SessionRecord record;
    QString token;
};

class AccountService {
  public:
    static Result<std::unique_ptr<AccountService>> open(const QString& databasePath,
                                                        qint64 sessionTtlSeconds);
    ~AccountService();

    struct BootstrapResult {
        bool createdAdmin = false;
        QString adminId;
        // A generated key to show once (empty when the key came from the caller or an admin
        // already existed).
        QString generatedKey;
    };
    // On a store without an admin: creates user "admin" with `apiKey` (when given and
    // acceptable) or a generated key, which is also written to `keyFile` with mode 0600.
    // On a store with an admin: nothing, except that a given `apiKey` not yet known is refused
    // (an operator expecting it to work should know it does not).
    Result<BootstrapResult> bootstrap(const QString& apiKey, const QString& keyFile);

    std::variant<Principal, AuthFailure> authenticate(const QString& credential);

    // `passwordHash` comes from hashPassword() (empty: no password login).
    Result<store::Account> createUser(const QString& name, const QString& login, Role role,
                                      const QString& passwordHash,
                                      std::optional<qint64> dailyTokenQuota,
                                      std::optional<int> maxConcurrentStreams);
    Result<IssuedKey> createApiKey(const QString& userId, const QString& name,
                                   std::optional<qint64> expiresAtMs);
    Result<IssuedSession> createSession(const QString& userId);
    Status endSession(const QString& sessionId);

    store::AccountRepository& accounts() { return accounts_; }
    store::UsageLedgerRepository& ledger() { return ledger_; }
    store::Database& database() { return *db_; }

    static Principal principalOf(const store::Account& account);

  private:
    AccountService(std::unique_ptr<store::Database> db, qint64 sessionTtlSeconds);

    std::unique_ptr<store::Database> db_;
    store::AccountRepository accounts_;
    store::UsageLedgerRepository ledger_;
    qint64 sessionTtlSeconds_;
};

}  // namespace parley::gateway
