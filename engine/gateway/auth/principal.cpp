#include "gateway/auth/principal.h"

namespace parley::gateway {

QString roleName(Role role) {
    return role == Role::Admin ? QStringLiteral("admin") : QStringLiteral("member");
}

}  // namespace parley::gateway
