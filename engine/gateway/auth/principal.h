// Who a request acts for, as the Authenticator established it. Every route that is not public
// receives one; handlers decide what it may see from userId and role, never from request fields.
#pragma once

#include <QString>
#include <QtGlobal>

namespace parley::gateway {

enum class Role { Member, Admin };

struct Principal {
    QString userId;
    QString userName;
    Role role = Role::Member;
    QString apiKeyId;   // set when an API key authenticated the request
    QString sessionId;  // set when a session token did
    // The user's own quotas; 0 means the server's default (GatewayLimits).
    qint64 dailyTokenQuota = 0;
    int maxConcurrentStreams = 0;

    bool isAdmin() const { return role == Role::Admin; }
};

QString roleName(Role role);

}  // namespace parley::gateway
