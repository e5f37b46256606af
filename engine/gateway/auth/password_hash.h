// Password hashing with argon2id (libsodium crypto_pwhash) at OWASP's recommended setting
// m=19 MiB, t=2, p=1, stored as a PHC string ("$argon2id$v=19$m=19456,t=2,p=1$...") so the
// parameters can be raised later. Hashing takes tens of milliseconds: call it off the gateway
// thread.
#pragma once

#include <QString>

#include "common/result.h"

namespace parley::gateway {

inline constexpr unsigned long long kPasswordOpsLimit = 2;
inline constexpr size_t kPasswordMemLimitBytes = 19456u * 1024u;
inline constexpr int kMinPasswordLength = 8;
inline constexpr int kMaxPasswordLength = 1024;

Result<QString> hashPassword(const QString& password);
// False for a wrong password or a malformed hash.
bool verifyPassword(const QString& phcHash, const QString& password);
// Whether the hash was made with other parameters than today's (rehash after a good login).
bool passwordNeedsRehash(const QString& phcHash);

// Makes libsodium ready (idempotent, thread-safe); false when the library cannot start.
bool initSodium();

}  // namespace parley::gateway
