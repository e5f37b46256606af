#include <QJsonArray>
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
#include "gateway/limits/usage_meter.h"

namespace parley::gateway {
namespace {

QJsonValue optionalNumber(const std::optional<qint64>& value) {
    return value ? QJsonValue(*value) : QJsonValue();
}

QJsonObject userJson(const store::Account& a) {
    return QJsonObject{
        {"id", a.id},
        {"name", a.name},
        {"login", a.login.isEmpty() ? QJsonValue() : QJsonValue(a.login)},
        {"role", a.role},
        {"has_password", !a.passwordHash.isEmpty()},
        {"disabled", a.disabled},
        {"daily_token_quota", optionalNumber(a.dailyTokenQuota)},
        {"max_concurrent_streams",
         optionalNumber(a.maxConcurrentStreams ? std::optional<qint64>(*a.maxConcurrentStreams)
                                               : std::nullopt)},
        {"created_at", a.createdAt / 1000}};
}

QJsonObject keyJson(const store::ApiKeyRecord& k) {
    return QJsonObject{{"id", k.id},
                       {"user_id", k.userId},
                       {"name", k.name},
                       {"prefix", k.prefix},
                       {"created_at", k.createdAt / 1000},
                       {"expires_at", k.expiresAt ? QJsonValue(*k.expiresAt / 1000) : QJsonValue()},
                       {"revoked", k.revokedAt.has_value()}};
}

HttpResponse storeFailure(const Error& error) {
    return apiError(500, error_type::kServer, QStringLiteral("server_error"),
                    QString::fromStdString(error.message));
}

// The user named by {id}, or nullopt after answering 404.
std::optional<store::Account> userParam(const GatewayServices& services, RequestContext& ctx) {
    auto account = services.accounts->accounts().byId(ctx.param("id"));
    if (!account) {
        ctx.reply(storeFailure(account.error()));
        return std::nullopt;
    }
    if (!account->has_value()) {
        ctx.reply(notFound(QStringLiteral("no user %1").arg(ctx.param("id"))));
        return std::nullopt;
    }
    return **account;
}

void createUser(const GatewayServices& services, const RequestContextPtr& ctx, QString name,
                QString login, Role role, QString passwordHash, std::optional<qint64> quota,
                std::optional<int> streams) {
    auto created = services.accounts->createUser(name, login, role, passwordHash, quota, streams);
    if (!created) {
        const bool taken = QString::fromStdString(created.error().message).contains("UNIQUE");
        ctx->reply(taken ? apiError(409, error_type::kInvalidRequest, QStringLiteral("login_taken"),
                                    QStringLiteral("login '%1' is taken").arg(login), "login")
                         : storeFailure(created.error()));
        return;
    }
    ctx->reply(HttpResponse::json(201, userJson(*created)));
}

}  // namespace

void registerAdminRoutes(Router& router, const GatewayServices& services) {
    router.add("GET", "/v1/admin/users", Access::Admin, [services](const RequestContextPtr& ctx) {
        auto accounts = services.accounts->accounts().list();
        if (!accounts) {
            ctx->reply(storeFailure(accounts.error()));
            return;
        }
        QJsonArray data;
        for (const auto& account : *accounts)
            data.append(userJson(account));
        ctx->reply(HttpResponse::json(200, QJsonObject{{"object", "list"}, {"data", data}}));
    });

    router.add("POST", "/v1/admin/users", Access::Admin, [services](const RequestContextPtr& ctx) {
        const auto body = ctx->jsonBody();
        if (!body || !onlyKnownFields(*ctx, *body,
                                      {"name", "login", "password", "role", "daily_token_quota",
                                       "max_concurrent_streams"}))
            return;
        const auto name = stringField(*ctx, *body, "name", true, 200);
        const auto login = name ? stringField(*ctx, *body, "login", false, 200) : std::nullopt;
        const auto password =
            login ? stringField(*ctx, *body, "password", false, kMaxPasswordLength) : std::nullopt;
        const auto roleText = password ? stringField(*ctx, *body, "role", false, 20) : std::nullopt;
        if (!roleText)
            return;
        if (!roleText->isEmpty() && *roleText != "admin" && *roleText != "member") {
            ctx->reply(badRequest(QStringLiteral("invalid_value"),
                                  QStringLiteral("'role' must be 'admin' or 'member'"), "role"));
            return;
        }
        if (!password->isEmpty() && login->isEmpty()) {
            ctx->reply(badRequest(QStringLiteral("missing_required_parameter"),
                                  QStringLiteral("a password needs a 'login'"), "login"));
            return;
        }
        if (!password->isEmpty() && password->size() < kMinPasswordLength) {
            ctx->reply(badRequest(
                QStringLiteral("password_too_short"),
                QStringLiteral("passwords have at least %1 characters").arg(kMinPasswordLength),
                "password"));
            return;
        }
        std::optional<qint64> quota;
        std::optional<int> streams;
        if (body->contains("daily_token_quota")) {
            quota =
                integerField(*ctx, *body, "daily_token_quota", 1, qint64(1) << 40, std::nullopt);
            if (!quota)
                return;
        }
        if (body->contains("max_concurrent_streams")) {
            auto value =
                integerField(*ctx, *body, "max_concurrent_streams", 1, 10'000, std::nullopt);
            if (!value)
                return;
            streams = static_cast<int>(*value);
        }
        const Role role = *roleText == "admin" ? Role::Admin : Role::Member;
        if (password->isEmpty()) {
            createUser(services, ctx, *name, *login, role, {}, quota, streams);
            return;
        }
        QThreadPool::globalInstance()->start([=, password = *password] {
            auto hash = hashPassword(password);
            services.post([=] {
                if (!hash) {
                    ctx->reply(badRequest(QStringLiteral("invalid_password"),
                                          QString::fromStdString(hash.error().message),
                                          "password"));
                    return;
                }
                createUser(services, ctx, *name, *login, role, *hash, quota, streams);
            });
        });
    });

    router.add("POST", "/v1/admin/users/{id}/api_keys", Access::Admin,
               [services](const RequestContextPtr& ctx) {
                   QJsonObject body;
                   if (!ctx->request().body.isEmpty()) {
                       auto parsed = ctx->jsonBody();
                       if (!parsed)
                           return;
                       body = *parsed;
                   }
                   if (!onlyKnownFields(*ctx, body, {"name", "expires_in_seconds"}))
                       return;
                   const auto name = stringField(*ctx, body, "name", false, 200);
                   if (!name)
                       return;
                   std::optional<qint64> expiresAt;
                   if (body.contains("expires_in_seconds")) {
                       auto seconds = integerField(*ctx, body, "expires_in_seconds", 1,
                                                   qint64(10) * 365 * 24 * 3600, std::nullopt);
                       if (!seconds)
                           return;
                       expiresAt = QuotaTracker::nowMs() + *seconds * 1000;
                   }
                   const auto user = userParam(services, *ctx);
                   if (!user)
                       return;
                   auto key = services.accounts->createApiKey(user->id, *name, expiresAt);
                   if (!key) {
                       ctx->reply(storeFailure(key.error()));
                       return;
                   }
                   QJsonObject answer = keyJson(key->record);
                   answer.insert("key", key->secret);
                   ctx->reply(HttpResponse::json(201, answer));
               });

    router.add(
        "GET", "/v1/admin/users/{id}/api_keys", Access::Admin,
        [services](const RequestContextPtr& ctx) {
            const auto user = userParam(services, *ctx);
            if (!user)
                return;
            auto keys = services.accounts->accounts().apiKeysOf(user->id);
            if (!keys) {
                ctx->reply(storeFailure(keys.error()));
                return;
            }
            QJsonArray data;
            for (const auto& key : *keys)
                data.append(keyJson(key));
            ctx->reply(HttpResponse::json(200, QJsonObject{{"object", "list"}, {"data", data}}));
        });

    router.add("DELETE", "/v1/admin/users/{id}/api_keys/{key_id}", Access::Admin,
               [services](const RequestContextPtr& ctx) {
                   auto revoked = services.accounts->accounts().revokeApiKey(
                       ctx->param("id"), ctx->param("key_id"), QuotaTracker::nowMs());
                   if (!revoked) {
                       ctx->reply(storeFailure(revoked.error()));
                       return;
                   }
                   if (!*revoked) {
                       ctx->reply(notFound(QStringLiteral("no active key %1 for user %2")
                                               .arg(ctx->param("key_id"), ctx->param("id"))));
                       return;
                   }
                   ctx->reply(HttpResponse::json(
                       200, QJsonObject{{"id", ctx->param("key_id")}, {"revoked", true}}));
               });

    router.add("GET", "/v1/admin/usage", Access::Admin, [services](const RequestContextPtr& ctx) {
        const QString userId = ctx->request().query.queryItemValue("user_id");
        if (userId.isEmpty()) {
            ctx->reply(badRequest(QStringLiteral("missing_required_parameter"),
                                  QStringLiteral("'user_id' is required"), "user_id"));
            return;
        }
        services.usage->flush();
        auto entries = services.accounts->ledger().entriesOf(userId, 1000);
        if (!entries) {
            ctx->reply(storeFailure(entries.error()));
            return;
        }
        QJsonArray data;
        for (const auto& e : *entries) {
            data.append(QJsonObject{{"created_at", e.createdAt},
                                    {"api_key_id", e.apiKeyId},
                                    {"method", e.method},
                                    {"route", e.route},
                                    {"status", e.status},
                                    {"model", e.model},
                                    {"prompt_tokens", e.promptTokens},
                                    {"completion_tokens", e.completionTokens},
                                    {"latency_ms", e.latencyMs}});
        }
        ctx->reply(HttpResponse::json(200, QJsonObject{{"object", "list"}, {"data", data}}));
    });
}

}  // namespace parley::gateway
