#include "gateway/account_service.h"

#include <QDateTime>
#include <QFile>

#include "gateway/auth/secret_token.h"
#include "gateway/logging.h"
#include "store/database.h"

namespace parley::gateway {
namespace {

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

AuthFailure invalidKey() {
    return {QStringLiteral("invalid_api_key"), QStringLiteral("Incorrect API key provided.")};
}

Status writeSecretFile(const QString& path, const QString& secret) {
    QFile file(path);
    // Created with owner-only permissions before the secret is written into it.
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::NewOnly,
                   QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        return makeError(
            QStringLiteral("cannot create %1: %2").arg(path, file.errorString()).toStdString());
    }
    if (file.write((secret + '\n').toUtf8()) < 0 || !file.flush())
        return makeError(
            QStringLiteral("cannot write %1: %2").arg(path, file.errorString()).toStdString());
    return Ok{};
}

}  // namespace

AccountService::AccountService(std::unique_ptr<store::Database> db, qint64 sessionTtlSeconds)
    : db_(std::move(db)), accounts_(*db_), ledger_(*db_), sessionTtlSeconds_(sessionTtlSeconds) {}

AccountService::~AccountService() = default;

Result<std::unique_ptr<AccountService>> AccountService::open(const QString& databasePath,
                                                             qint64 sessionTtlSeconds) {
    auto db = store::Database::open(databasePath);
    if (!db)
        return db.error();
    return std::unique_ptr<AccountService>(
        new AccountService(std::move(db.value()), sessionTtlSeconds));
}

Principal AccountService::principalOf(const store::Account& account) {
    Principal p;
    p.userId = account.id;
    p.userName = account.name;
    p.role = account.role == QLatin1String("admin") ? Role::Admin : Role::Member;
    p.dailyTokenQuota = account.dailyTokenQuota.value_or(0);
    p.maxConcurrentStreams = account.maxConcurrentStreams.value_or(0);
    return p;
}

Result<AccountService::BootstrapResult> AccountService::bootstrap(const QString& apiKey,
                                                                  const QString& keyFile) {
    if (!apiKey.isEmpty() && !isAcceptableApiKey(apiKey))
        return makeError(
            "the bootstrap API key must be 32 to 256 printable ASCII characters "
            "without spaces");
    auto hasAdmin = accounts_.hasAdmin();
    if (!hasAdmin)
        return hasAdmin.error();
    BootstrapResult result;
    if (*hasAdmin) {
        if (!apiKey.isEmpty()) {
            const IssuedSecret described = describeApiKey(apiKey);
            auto known = accounts_.apiKeysWithPrefix(described.prefix);
            if (!known)
                return known.error();
            const bool found = std::any_of(known->begin(), known->end(), [&](const auto& k) {
                return constantTimeEquals(k.secretSha256.toLatin1(), described.sha256.toLatin1());
            });
            if (!found)
                return makeError(
                    "--bootstrap-api-key only applies to an empty data directory; "
                    "this one already has an admin with other keys");
        }
        return result;
    }
    auto admin = createUser(QStringLiteral("admin"), QStringLiteral("admin"), Role::Admin, {},
                            std::nullopt, std::nullopt);
    if (!admin)
        return admin.error();
    result.createdAdmin = true;
    result.adminId = admin->id;
    const IssuedSecret secret = apiKey.isEmpty() ? newApiKey() : describeApiKey(apiKey);
    auto key = accounts_.addApiKey(admin->id, QStringLiteral("bootstrap"), secret.prefix,
                                   secret.sha256, std::nullopt);
    if (!key)
        return key.error();
    if (apiKey.isEmpty()) {
        if (Status written = writeSecretFile(keyFile, secret.secret); !written)
            return written.error();
        result.generatedKey = secret.secret;
    }
    qCInfo(lcGateway).noquote() << "created the first admin" << admin->id << "with key"
                                << secret.prefix + QStringLiteral("…");
    return result;
}

std::variant<Principal, AuthFailure> AccountService::authenticate(const QString& credential) {
    if (credential.isEmpty())
        return AuthFailure{QStringLiteral("missing_credentials"),
                           QStringLiteral("An API key or session token is required: send "
                                          "'Authorization: Bearer <key>'.")};
    const QString hash = sha256Hex(credential);
    Principal principal;
    QString userId;
    if (isSessionToken(credential)) {
        auto session = accounts_.sessionByTokenHash(hash);
        if (!session)
            return AuthFailure{QStringLiteral("server_error"),
                               QString::fromStdString(session.error().message)};
        if (!session->has_value() || (*session)->revokedAt)
            return AuthFailure{QStringLiteral("invalid_session"),
                               QStringLiteral("The session token is not valid.")};
        if ((*session)->expiresAt <= nowMs())
            return AuthFailure{QStringLiteral("session_expired"),
                               QStringLiteral("The session has expired; log in again.")};
        userId = (*session)->userId;
        principal.sessionId = (*session)->id;
    } else {
        auto keys = accounts_.apiKeysWithPrefix(credential.left(kApiKeyPrefixLength));
        if (!keys)
            return AuthFailure{QStringLiteral("server_error"),
                               QString::fromStdString(keys.error().message)};
        const store::ApiKeyRecord* match = nullptr;
        for (const auto& key : *keys) {
            if (constantTimeEquals(key.secretSha256.toLatin1(), hash.toLatin1()))
                match = &key;
        }
        if (!match || match->revokedAt)
            return invalidKey();
        if (match->expiresAt && *match->expiresAt <= nowMs())
            return AuthFailure{QStringLiteral("expired_api_key"),
                               QStringLiteral("The API key has expired.")};
        userId = match->userId;
        principal.apiKeyId = match->id;
    }
    auto account = accounts_.byId(userId);
    if (!account)
        return AuthFailure{QStringLiteral("server_error"),
                           QString::fromStdString(account.error().message)};
    if (!account->has_value() || (*account)->disabled)
        return invalidKey();
    Principal full = principalOf(**account);
    full.apiKeyId = principal.apiKeyId;
    full.sessionId = principal.sessionId;
    return full;
}

Result<store::Account> AccountService::createUser(const QString& name, const QString& login,
                                                  Role role, const QString& passwordHash,
                                                  std::optional<qint64> dailyTokenQuota,
                                                  std::optional<int> maxConcurrentStreams) {
    store::Account account;
    account.name = name;
    account.login = login;
    account.role = roleName(role);
    account.passwordHash = passwordHash;
    account.dailyTokenQuota = dailyTokenQuota;
    account.maxConcurrentStreams = maxConcurrentStreams;
    return accounts_.create(account);
}

Result<IssuedKey> AccountService::createApiKey(const QString& userId, const QString& name,
                                               std::optional<qint64> expiresAtMs) {
    const IssuedSecret secret = newApiKey();
    auto record = accounts_.addApiKey(userId, name, secret.prefix, secret.sha256, expiresAtMs);
    if (!record)
        return record.error();
    return IssuedKey{*record, secret.secret};
}

Result<IssuedSession> AccountService::createSession(const QString& userId) {
    const IssuedSecret secret = newSessionToken();
    auto record = accounts_.addSession(userId, secret.sha256, nowMs() + sessionTtlSeconds_ * 1000);
    if (!record)
        return record.error();
    return IssuedSession{*record, secret.secret};
}

Status AccountService::endSession(const QString& sessionId) {
    return accounts_.revokeSession(sessionId, nowMs());
}

}  // namespace parley::gateway
