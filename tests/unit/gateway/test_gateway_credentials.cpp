// Password hashes (argon2id at OWASP's setting) and the API keys and session tokens the gateway
// issues: formats, hashing, prefixes, verification.
#include <QCryptographicHash>
#include <QSet>
#include <QtTest>

#include <sodium.h>

#include "gateway/auth/password_hash.h"
#include "gateway/auth/secret_token.h"

using namespace parley::gateway;

class TestGatewayCredentials : public QObject {
    Q_OBJECT
  private slots:
    void passwordHashIsArgon2idWithOwaspParameters() {
        auto hash = hashPassword("correct horse battery staple");
        QVERIFY2(hash.ok(), hash.ok() ? "" : hash.error().message.c_str());
        QVERIFY2(hash->startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), qPrintable(*hash));
        QVERIFY(!hash->contains("correct horse"));
        QVERIFY(!passwordNeedsRehash(*hash));
    }

    void passwordVerifies() {
        const auto hash = hashPassword("correct horse battery staple");
        QVERIFY(hash.ok());
        QVERIFY(verifyPassword(*hash, "correct horse battery staple"));
        QVERIFY(!verifyPassword(*hash, "correct horse battery stapl"));
        QVERIFY(!verifyPassword(*hash, "Correct horse battery staple"));
        QVERIFY(!verifyPassword(*hash, ""));
        QVERIFY(!verifyPassword("not a hash", "correct horse battery staple"));
        QVERIFY(!verifyPassword("", ""));
    }

    void sameTextHashesDifferently() {
        const auto a = hashPassword("same password here");
        const auto b = hashPassword("same password here");
        QVERIFY(a.ok() && b.ok());
        QVERIFY(*a != *b);  // random salt
        QVERIFY(verifyPassword(*a, "same password here"));
        QVERIFY(verifyPassword(*b, "same password here"));
    }

    void unicodePasswords() {
        const QString password = QString::fromUtf8("pässwörd ☃ 密码");
        const auto hash = hashPassword(password);
        QVERIFY(hash.ok());
        QVERIFY(verifyPassword(*hash, password));
        QVERIFY(!verifyPassword(*hash, QString::fromUtf8("passwörd ☃ 密码")));
    }

    void passwordLengthLimits() {
        QVERIFY(!hashPassword("short").ok());
        QVERIFY(!hashPassword(QString(kMaxPasswordLength + 1, 'a')).ok());
        QVERIFY(hashPassword(QString(kMinPasswordLength, 'a')).ok());
    }

    void weakerOldHashNeedsRehash() {
        // A hash made with lower parameters (as an older release might have) is upgraded.
        char older[crypto_pwhash_STRBYTES];
        QCOMPARE(crypto_pwhash_str_alg(older, "old password", 12, 1, 8u * 1024 * 1024,
                                       crypto_pwhash_ALG_ARGON2ID13),
                 0);
        QVERIFY(verifyPassword(QString::fromLatin1(older), "old password"));
        QVERIFY(passwordNeedsRehash(QString::fromLatin1(older)));
    }

    void apiKeyFormatPrefixAndHash() {
        const IssuedSecret key = newApiKey();
        QVERIFY(key.secret.startsWith("parley-"));
        QCOMPARE(key.secret.size(), 7 + 43);  // 256 bits, base64url without padding
        QCOMPARE(key.prefix, key.secret.left(kApiKeyPrefixLength));
        QVERIFY(key.prefix.startsWith("parley-"));
        const QString expected = QString::fromLatin1(
            QCryptographicHash::hash(key.secret.toUtf8(), QCryptographicHash::Sha256).toHex());
        QCOMPARE(key.sha256, expected);
        QVERIFY(!key.sha256.contains(key.secret.mid(kApiKeyPrefixLength)));
        for (QChar c : key.secret.mid(7))
            QVERIFY2(c.isLetterOrNumber() || c == '-' || c == '_', qPrintable(key.secret));
        QVERIFY(isAcceptableApiKey(key.secret));
        QVERIFY(!isSessionToken(key.secret));
    }

    void keysAreUnique() {
        QSet<QString> secrets;
        QSet<QString> prefixes;
        for (int i = 0; i < 200; ++i) {
            const IssuedSecret key = newApiKey();
            secrets.insert(key.secret);
            prefixes.insert(key.prefix);
        }
        QCOMPARE(secrets.size(), 200);
        QVERIFY(prefixes.size() > 190);  // 9 random characters: collisions are rare
    }

    void sessionTokens() {
        const IssuedSecret token = newSessionToken();
        QVERIFY(token.secret.startsWith("parley-session-"));
        QVERIFY(isSessionToken(token.secret));
        QCOMPARE(token.sha256, sha256Hex(token.secret));
        QVERIFY(token.secret != newSessionToken().secret);
        QVERIFY(!isAcceptableApiKey(token.secret));  // a session token is never an API key
    }

    void operatorChosenKeys_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("acceptable");
        QTest::newRow("32 chars") << QString(32, 'k') << true;
        QTest::newRow("31 chars") << QString(31, 'k') << false;
        QTest::newRow("space") << QString(20, 'k') + " " + QString(20, 'k') << false;
        QTest::newRow("newline") << QString(40, 'k') + "\n" << false;
        QTest::newRow("non-ascii") << QString(40, 'k') + QString::fromUtf8("é") << false;
        QTest::newRow("too long") << QString(257, 'k') << false;
        QTest::newRow("symbols") << QStringLiteral("sk-live_0123456789/+=.abcdefghijklmn") << true;
    }
    void operatorChosenKeys() {
        QFETCH(QString, key);
        QFETCH(bool, acceptable);
        QCOMPARE(isAcceptableApiKey(key), acceptable);
    }

    void constantTimeComparison() {
        QVERIFY(constantTimeEquals("abcdef", "abcdef"));
        QVERIFY(!constantTimeEquals("abcdef", "abcdeg"));
        QVERIFY(!constantTimeEquals("abcdef", "abcde"));
        QVERIFY(constantTimeEquals("", ""));
    }
};

QTEST_GUILESS_MAIN(TestGatewayCredentials)
#include "test_gateway_credentials.moc"
