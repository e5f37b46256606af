// AccountService on a real SQLite store file: the first admin, API keys (hashed, prefixed,
// revocable, expiring), session tokens (hashed, expiring), the append-only usage ledger.
#include <QFile>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <thread>

#include "gateway/account_service.h"
#include "gateway/auth/password_hash.h"
#include "gateway/auth/secret_token.h"
#include "store/database.h"

using namespace parley::gateway;

namespace {

std::unique_ptr<AccountService> openService(const QTemporaryDir& dir, qint64 sessionTtl = 3600) {
    auto service = AccountService::open(dir.filePath("parley.db"), sessionTtl);
    if (!service)
        qFatal("%s", service.error().message.c_str());
    return std::move(service.value());
}

Principal principalOf(const std::variant<Principal, AuthFailure>& result) {
    if (const auto* failure = std::get_if<AuthFailure>(&result))
        qFatal("authentication failed: %s", qPrintable(failure->code));
    return std::get<Principal>(result);
}

QString failureOf(const std::variant<Principal, AuthFailure>& result) {
    const auto* failure = std::get_if<AuthFailure>(&result);
    return failure ? failure->code : QString("authenticated");
}

}  // namespace

class TestGatewayAccounts : public QObject {
    Q_OBJECT
  private slots:
    void firstStartCreatesAdminWithGeneratedKey() {
        QTemporaryDir dir;
        auto service = openService(dir);
        const QString keyFile = dir.filePath("bootstrap-admin-key");
        auto boot = service->bootstrap({}, keyFile);
        QVERIFY(boot.ok());
        QVERIFY(boot->createdAdmin);
        QVERIFY(boot->generatedKey.startsWith("parley-"));
        QFile file(keyFile);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(file.readAll()).trimmed(), boot->generatedKey);
        QCOMPARE(file.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther |
                                       QFileDevice::WriteGroup | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
        const Principal admin = principalOf(service->authenticate(boot->generatedKey));
        QCOMPARE(admin.userId, boot->adminId);
        QVERIFY(admin.isAdmin());
        QVERIFY(!admin.apiKeyId.isEmpty());

        // The store keeps only the hash and the prefix.
        QSqlQuery query(service->database().connection());
        QVERIFY(query.exec("SELECT prefix, secret_sha256 FROM api_keys"));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), boot->generatedKey.left(kApiKeyPrefixLength));
        QCOMPARE(query.value(1).toString(), sha256Hex(boot->generatedKey));

        // A second start finds the admin and creates nothing.
        auto again = service->bootstrap({}, keyFile);
        QVERIFY(again.ok());
        QVERIFY(!again->createdAdmin);
        QVERIFY(again->generatedKey.isEmpty());
        QCOMPARE(service->accounts().list()->size(), size_t(1));
    }

    void givenBootstrapKey() {
        QTemporaryDir dir;
        auto service = openService(dir);
        const QString key = "operator-chosen-key-0123456789abcdef";
        auto boot = service->bootstrap(key, dir.filePath("bootstrap-admin-key"));
        QVERIFY(boot.ok());
        QVERIFY(boot->generatedKey.isEmpty());
        QVERIFY(!QFile::exists(dir.filePath("bootstrap-admin-key")));
        QVERIFY(principalOf(service->authenticate(key)).isAdmin());
        // Restarting with the same key is fine; with another key it is refused loudly.
        QVERIFY(service->bootstrap(key, dir.filePath("k")).ok());
        QVERIFY(!service->bootstrap("some-other-key-0123456789abcdefghij", dir.filePath("k")).ok());
        QVERIFY(!service->bootstrap("short", dir.filePath("k")).ok());
    }

    void wrongRevokedAndExpiredKeys() {
        QTemporaryDir dir;
        auto service = openService(dir);
        auto user = service->createUser("Mia", "mia", Role::Member, {}, std::nullopt, 3);
        QVERIFY(user.ok());
        QCOMPARE(user->role, QString("member"));
        auto key = service->createApiKey(user->id, "laptop", std::nullopt);
        QVERIFY(key.ok());
        const Principal mia = principalOf(service->authenticate(key->secret));
        QCOMPARE(mia.userId, user->id);
        QCOMPARE(mia.role, Role::Member);
        QCOMPARE(mia.maxConcurrentStreams, 3);
        QCOMPARE(mia.apiKeyId, key->record.id);

        QCOMPARE(failureOf(service->authenticate("")), QString("missing_credentials"));
        QCOMPARE(failureOf(service->authenticate(key->secret + "x")), QString("invalid_api_key"));
        QString tampered = key->secret;
        tampered[tampered.size() - 1] = tampered.back() == 'A' ? 'B' : 'A';
        QCOMPARE(failureOf(service->authenticate(tampered)), QString("invalid_api_key"));

        auto revoked = service->accounts().revokeApiKey(user->id, key->record.id, 1);
        QVERIFY(revoked.ok() && *revoked);
        QCOMPARE(failureOf(service->authenticate(key->secret)), QString("invalid_api_key"));
        // Revoking through another user's id does nothing.
        auto other = service->createApiKey(user->id, "phone", std::nullopt);
        auto wrongOwner = service->accounts().revokeApiKey("someone-else", other->record.id, 1);
        QVERIFY(wrongOwner.ok() && !*wrongOwner);
        QCOMPARE(principalOf(service->authenticate(other->secret)).userId, user->id);

        auto expired =
            service->createApiKey(user->id, "old", QDateTime::currentMSecsSinceEpoch() - 1);
        QCOMPARE(failureOf(service->authenticate(expired->secret)), QString("expired_api_key"));
    }

    void sessionsExpireAndEnd() {
        QTemporaryDir dir;
        auto service = openService(dir, 1);
        auto hash = hashPassword("a good password");
        auto user =
            service->createUser("Ola", "ola", Role::Member, *hash, std::nullopt, std::nullopt);
        QVERIFY(user.ok());
        auto byLogin = service->accounts().byLogin("ola");
        QVERIFY(byLogin.ok() && byLogin->has_value());
        QVERIFY(verifyPassword((*byLogin)->passwordHash, "a good password"));

        auto session = service->createSession(user->id);
        QVERIFY(session.ok());
        const Principal ola = principalOf(service->authenticate(session->token));
        QCOMPARE(ola.sessionId, session->record.id);
        QVERIFY(ola.apiKeyId.isEmpty());
        QSqlQuery query(service->database().connection());
        QVERIFY(query.exec("SELECT token_sha256 FROM sessions"));
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString(), sha256Hex(session->token));

        auto second = service->createSession(user->id);
        QVERIFY(service->endSession(second->record.id).ok());
        QCOMPARE(failureOf(service->authenticate(second->token)), QString("invalid_session"));

        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        QCOMPARE(failureOf(service->authenticate(session->token)), QString("session_expired"));
        QCOMPARE(failureOf(service->authenticate("parley-session-forged")),
                 QString("invalid_session"));
    }

    void loginsAreUnique() {
        QTemporaryDir dir;
        auto service = openService(dir);
        QVERIFY(
            service->createUser("A", "same", Role::Member, {}, std::nullopt, std::nullopt).ok());
        QVERIFY(
            !service->createUser("B", "same", Role::Member, {}, std::nullopt, std::nullopt).ok());
        // Users without a login (the desktop's local user) do not collide.
        QVERIFY(service->createUser("C", {}, Role::Member, {}, std::nullopt, std::nullopt).ok());
        QVERIFY(service->createUser("D", {}, Role::Member, {}, std::nullopt, std::nullopt).ok());
    }

    void usageLedgerIsAppendOnly() {
        QTemporaryDir dir;
        auto service = openService(dir);
        parley::store::LedgerEntry entry;
        entry.createdAt = 1000;
        entry.userId = "u1";
        entry.method = "POST";
        entry.route = "/v1/chat/completions";
        entry.status = 200;
        entry.model = "m";
        entry.promptTokens = 30;
        entry.completionTokens = 12;
        entry.latencyMs = 50;
        parley::store::LedgerEntry early = entry;
        early.createdAt = 10;
        QVERIFY(service->ledger().append({entry, entry, early}).ok());
        QCOMPARE(*service->ledger().tokensSince("u1", 500), qint64(84));
        QCOMPARE(*service->ledger().tokensSince("u1", 0), qint64(126));
        QCOMPARE(*service->ledger().tokensSince("u2", 0), qint64(0));
        QCOMPARE(service->ledger().entriesOf("u1", 10)->size(), size_t(3));

        QSqlQuery query(service->database().connection());
        QVERIFY(!query.exec("UPDATE usage_ledger SET prompt_tokens = 0"));
        QVERIFY(query.lastError().text().contains("append-only"));
        QVERIFY(!query.exec("DELETE FROM usage_ledger"));
        QCOMPARE(*service->ledger().tokensSince("u1", 0), qint64(126));
    }
};

QTEST_GUILESS_MAIN(TestGatewayAccounts)
#include "test_gateway_accounts.moc"
