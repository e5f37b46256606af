// The secrets the gateway hands out: API keys and session tokens. 256 random bits from
// libsodium's CSPRNG, base64url, behind a typed prefix so secret scanners can spot a leaked one
// ("parley-" keys, "parley-session-" tokens). Only SHA-256 of a secret is stored: the secret has
// full entropy, so a fast hash is enough. API keys also keep a short visible prefix, for lookup
// and for showing which key is which.
#pragma once

#include <QByteArray>
#include <QString>

namespace parley::gateway {

inline constexpr int kApiKeyPrefixLength = 16;  // "parley-" + 9 characters

struct IssuedSecret {
    QString secret;  // shown once
    QString prefix;  // API keys: the first kApiKeyPrefixLength characters
    QString sha256;  // hex, what the store keeps
};

IssuedSecret newApiKey();
IssuedSecret newSessionToken();
// An API key chosen by an operator (--bootstrap-api-key) is accepted when it is 32 to 256
// printable ASCII characters without spaces.
bool isAcceptableApiKey(const QString& key);
IssuedSecret describeApiKey(const QString& key);

QString sha256Hex(const QString& secret);
bool constantTimeEquals(const QByteArray& a, const QByteArray& b);
bool isSessionToken(const QString& credential);

}  // namespace parley::gateway
