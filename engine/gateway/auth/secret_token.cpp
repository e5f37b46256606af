#include "gateway/auth/secret_token.h"

#include <QCryptographicHash>

#include <sodium.h>

#include "gateway/auth/password_hash.h"

namespace parley::gateway {
namespace {

const QString kApiKeyType = QStringLiteral("parley-");
const QString kSessionType = QStringLiteral("parley-session-");

QString randomText() {
    initSodium();
    QByteArray bytes(32, Qt::Uninitialized);
    randombytes_buf(bytes.data(), static_cast<size_t>(bytes.size()));
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

}  // namespace

QString sha256Hex(const QString& secret) {
    return QString::fromLatin1(
        QCryptographicHash::hash(secret.toUtf8(), QCryptographicHash::Sha256).toHex());
}

IssuedSecret describeApiKey(const QString& key) {
    return {key, key.left(kApiKeyPrefixLength), sha256Hex(key)};
}

IssuedSecret newApiKey() {
    return describeApiKey(kApiKeyType + randomText());
}

IssuedSecret newSessionToken() {
    const QString token = kSessionType + randomText();
    return {token, QString(), sha256Hex(token)};
}

bool isAcceptableApiKey(const QString& key) {
    if (key.size() < 32 || key.size() > 256 || key.startsWith(kSessionType))
        return false;
    for (QChar c : key) {
        if (c.unicode() <= 0x20 || c.unicode() >= 0x7f)
            return false;
    }
    return true;
}

bool isSessionToken(const QString& credential) {
    return credential.startsWith(kSessionType);
}

bool constantTimeEquals(const QByteArray& a, const QByteArray& b) {
    initSodium();
    return a.size() == b.size() &&
           sodium_memcmp(a.constData(), b.constData(), static_cast<size_t>(a.size())) == 0;
}

}  // namespace parley::gateway
