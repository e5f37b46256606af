#include "gateway/auth/password_hash.h"

#include <sodium.h>

namespace parley::gateway {

bool initSodium() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

Result<QString> hashPassword(const QString& password) {
    if (!initSodium())
        return makeError("password hashing: libsodium failed to initialise");
    if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength)
        return makeError("password must have between " + std::to_string(kMinPasswordLength) +
                         " and " + std::to_string(kMaxPasswordLength) + " characters");
    const QByteArray utf8 = password.toUtf8();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, utf8.constData(), static_cast<unsigned long long>(utf8.size()),
                              kPasswordOpsLimit, kPasswordMemLimitBytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return makeError("password hashing: out of memory for argon2id");
    return QString::fromLatin1(out);
}

bool verifyPassword(const QString& phcHash, const QString& password) {
    if (!initSodium() || !phcHash.startsWith(QLatin1String("$argon2id$")))
        return false;
    const QByteArray hash = phcHash.toLatin1();
    const QByteArray utf8 = password.toUtf8();
    return crypto_pwhash_str_verify(hash.constData(), utf8.constData(),
                                    static_cast<unsigned long long>(utf8.size())) == 0;
}

bool passwordNeedsRehash(const QString& phcHash) {
    const QByteArray hash = phcHash.toLatin1();
    return crypto_pwhash_str_needs_rehash(hash.constData(), kPasswordOpsLimit,
                                          kPasswordMemLimitBytes) != 0;
}

}  // namespace parley::gateway
