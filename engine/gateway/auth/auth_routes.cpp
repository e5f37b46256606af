#include <QJsonObject>
#include <QThreadPool>

#include "gateway/account_service.h"
#include "gateway/auth/password_hash.h"
#include "gateway/core_routes.h"
#include "gateway/gateway_services.h"
#include "gateway/http/api_error.h"
#include "gateway/http/json_fields.h"
#include "gateway/http/router.h"
#include "gateway/limits/quota_tracker.h"

namespace parley::gateway {
namespace {

// Compared against when the login is unknown, so a wrong login costs as much time as a wrong
// password and does not reveal which logins exist.
const QString& decoyHash() {
    static const QString hash = [] {
        auto made = hashPassword(QStringLiteral("decoy password for unknown logins"));
        return made ? *made : QString();
    }();
    return hash;
}

HttpResponse invalidCredentials() {
    return apiError(401, error_type::kAuthentication, QStringLiteral("invalid_credentials"),
                    QStringLiteral("wrong login or password"));
}

}  // namespace

void registerAuthRoutes(Router& router, const GatewayServices& services) {
    router.add("POST", "/v1/auth/login", Access::Public, [services](const RequestContextPtr& ctx) {
        const auto body = ctx->jsonBody();
        if (!body || !onlyKnownFields(*ctx, *body, {"login", "password"}))
            return;
        const auto login = stringField(*ctx, *body, "login", true, 256);
        if (!login)
            return;
        const auto password = stringField(*ctx, *body, "password", true, kMaxPasswordLength);
        if (!password)
            return;
        auto account = services.accounts->accounts().byLogin(*login);
        if (!account) {
            ctx->reply(apiError(500, error_type::kServer, QStringLiteral("server_error"),
                                QString::fromStdString(account.error().message)));
            return;
        }
        const bool usable =
            account->has_value() && !(*account)->disabled && !(*account)->passwordHash.isEmpty();
        const QString hash = usable ? (*account)->passwordHash : decoyHash();
        const QString userId = usable ? (*account)->id : QString();
        // argon2id takes tens of milliseconds: verify on a worker, answer on the gateway thread.
        QThreadPool::globalInstance()->start([services, ctx, hash, userId, password = *password] {
            const bool good = verifyPassword(hash, password) && !userId.isEmpty();
            services.post([services, ctx, good, userId] {
                if (!good) {
                    ctx->reply(invalidCredentials());
                    return;
                }
                auto session = services.accounts->createSession(userId);
                if (!session) {
                    ctx->reply(apiError(500, error_type::kServer, QStringLiteral("server_error"),
                                        QString::fromStdString(session.error().message)));
                    return;
                }
                ctx->reply(HttpResponse::json(
                    200, QJsonObject{{"token", session->token},
                                     {"token_type", "bearer"},
                                     {"session_id", session->record.id},
                                     {"expires_at", session->record.expiresAt / 1000},
                                     {"user_id", userId}}));
            });
        });
    });

    router.add("POST", "/v1/auth/logout", Access::User, [services](const RequestContextPtr& ctx) {
        const QString sessionId = ctx->principal().sessionId;
        if (sessionId.isEmpty()) {
            ctx->reply(badRequest(QStringLiteral("not_a_session"),
                                  QStringLiteral("logout ends a session; this request used an "
                                                 "API key")));
            return;
        }
        if (Status ended = services.accounts->endSession(sessionId); !ended) {
            ctx->reply(apiError(500, error_type::kServer, QStringLiteral("server_error"),
                                QString::fromStdString(ended.error().message)));
            return;
        }
        ctx->reply(HttpResponse::json(200, QJsonObject{{"logged_out", true}}));
    });

    router.add("GET", "/v1/me", Access::User, [services](const RequestContextPtr& ctx) {
        const Principal& p = ctx->principal();
        const qint64 now = QuotaTracker::nowMs();
        ctx->reply(HttpResponse::json(
            200, QJsonObject{
                     {"id", p.userId},
                     {"name", p.userName},
                     {"role", roleName(p.role)},
                     {"api_key_id", p.apiKeyId.isEmpty() ? QJsonValue() : QJsonValue(p.apiKeyId)},
                     {"tokens_today", services.quotas->tokensUsedToday(p.userId, now)},
                     {"daily_token_quota",
                      p.dailyTokenQuota > 0 ? p.dailyTokenQuota : services.limits.dailyTokenQuota},
                     {"max_concurrent_streams", p.maxConcurrentStreams > 0
                                                    ? p.maxConcurrentStreams
                                                    : services.limits.maxConcurrentStreams}}));
    });
}

}  // namespace parley::gateway
