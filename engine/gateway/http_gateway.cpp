#include "gateway/http_gateway.h"

#include <QDir>

#include <exception>

#include "gateway/account_service.h"
#include "gateway/core_routes.h"
#include "gateway/gateway_metrics.h"
#include "gateway/http/api_error.h"
#include "gateway/http/host_policy.h"
#include "gateway/http/http_server.h"
#include "gateway/limits/quota_tracker.h"
#include "gateway/limits/rate_limiter.h"
#include "gateway/limits/usage_meter.h"
#include "gateway/logging.h"
#include "gateway/openai/openai_routes.h"
#include "serving/model_registry.h"

namespace parley::gateway {
namespace {

// Probes are answered but not metered: a scraper every few seconds would swamp the ledger.
bool isProbe(const QString& route) {
    return route == QLatin1String("/healthz") || route == QLatin1String("/readyz") ||
           route == QLatin1String("/metrics");
}

QString credentialOf(const HttpRequest& request) {
    const QByteArray authorization = request.header("authorization");
    if (authorization.size() > 7 && authorization.first(7).toLower() == "bearer ")
        return QString::fromLatin1(authorization.mid(7).trimmed());
    return QString::fromLatin1(request.header("x-api-key").trimmed());
}

}  // namespace

Result<std::unique_ptr<HttpGateway>> HttpGateway::create(GatewayConfig config,
                                                         serving::ModelRegistry& models) {
    if (!QDir().mkpath(config.dataDir))
        return makeError("cannot create the data directory " + config.dataDir.toStdString());
    auto accounts = AccountService::open(QDir(config.dataDir).filePath("parley.db"),
                                         config.limits.sessionTtlSeconds);
    if (!accounts)
        return accounts.error();
    return std::unique_ptr<HttpGateway>(
        new HttpGateway(std::move(config), models, std::move(accounts.value())));
}

HttpGateway::HttpGateway(GatewayConfig config, serving::ModelRegistry& models,
                         std::unique_ptr<AccountService> accounts)
    : config_(std::move(config)), accounts_(std::move(accounts)) {
    AccountService* accountService = accounts_.get();
    quotas_ = std::make_unique<QuotaTracker>(
        config_.limits, [accountService](const QString& userId, qint64 sinceMs) -> qint64 {
            auto tokens = accountService->ledger().tokensSince(userId, sinceMs);
            return tokens ? *tokens : 0;
        });
    usage_ = std::make_unique<UsageMeter>(accounts_->ledger(), *quotas_);
    metrics_ = std::make_unique<GatewayMetrics>();
    rateLimiter_ = std::make_unique<RateLimiter>(config_.limits);
    QStringList hosts{"localhost", "127.0.0.1", "[::1]"};
    hosts += config_.allowedHosts;
    hostPolicy_ = std::make_unique<HostPolicy>(hosts, config_.allowedOrigins);
    server_ = std::make_unique<HttpServer>(
        config_.http, [this](const RequestContextPtr& context) { handle(context); },
        [this](int status) { rejected(status); });
    connect(server_.get(), &HttpServer::drained, this, [this] {
        usage_->flush();
        emit stopped();
    });

    services_.loop = this;
    services_.postTarget = std::make_shared<GatewayServices::PostTarget>();
    services_.postTarget->loop = this;
    services_.models = &models;
    services_.accounts = accounts_.get();
    services_.quotas = quotas_.get();
    services_.usage = usage_.get();
    services_.metrics = metrics_.get();
    services_.dataDir = config_.dataDir;
    services_.databasePath = QDir(config_.dataDir).filePath("parley.db");
    services_.httpLimits = config_.http;
    services_.limits = config_.limits;

    metrics_->describe("parley_http_requests_total",
                       "HTTP requests answered, by route and status.");
    metrics_->describe("parley_http_request_duration_seconds",
                       "Time from request headers to the end of the answer (streams included).");
    metrics_->describe("parley_http_requests_open", "Requests being answered now.");
    metrics_->describe("parley_http_connections_open",
                       "Client connections open (as of the latest request).");
    metrics_->describe("parley_http_rejected_total",
                       "Requests refused before routing (transport limits, Host, Origin).");
    metrics_->describe("parley_http_rate_limited_total", "Requests refused with 429, by scope.");
    metrics_->setGauge("parley_http_requests_open", {}, 0);

    registerHealthRoutes(router_, services_, config_.modelSource,
                         [this] { return shuttingDown(); });
    registerAuthRoutes(router_, services_);
    registerAdminRoutes(router_, services_);
    registerOpenAiRoutes(router_, services_);
}

HttpGateway::~HttpGateway() {
    {
        const std::lock_guard lock(services_.postTarget->mutex);
        services_.postTarget->loop = nullptr;
    }
    server_.reset();
    usage_->flush();
}

Result<quint16> HttpGateway::listen(const QHostAddress& address, quint16 port,
                                    const std::optional<QSslConfiguration>& tls) {
    auto bound = server_->listen(address, port, tls);
    if (bound)
        qCInfo(lcGateway) << "listening on" << address.toString() << *bound << (tls ? "(TLS)" : "");
    return bound;
}

void HttpGateway::shutdown() {
    server_->shutdown(config_.limits.shutdownGraceMs);
}

bool HttpGateway::shuttingDown() const {
    return server_->shuttingDown();
}

void HttpGateway::rejected(int status) {
    metrics_->increment("parley_http_rejected_total", {{"reason", QString::number(status)}});
}

void HttpGateway::handle(const RequestContextPtr& context) {
    RequestContext& ctx = *context;
    metrics_->setGauge("parley_http_connections_open", {}, server_->openConnections());
    const HttpRequest& request = ctx.request();
    ++openRequests_;
    metrics_->setGauge("parley_http_requests_open", {}, openRequests_);
    ctx.onFinished_ = [this](const RequestContext& done) { finished(done); };

    if (!hostPolicy_->hostAllowed(request.header("host"))) {
        metrics_->increment("parley_http_rejected_total", {{"reason", "host"}});
        ctx.reply(apiError(403, error_type::kPermission, QStringLiteral("host_not_allowed"),
                           QStringLiteral("Host header '%1' is not allowed; start the server "
                                          "with --allowed-host to accept it")
                               .arg(QString::fromUtf8(request.header("host").left(100)))));
        return;
    }
    const QByteArray origin = request.header("origin");
    if (!origin.isEmpty()) {
        if (!hostPolicy_->originAllowed(origin)) {
            metrics_->increment("parley_http_rejected_total", {{"reason", "origin"}});
            ctx.reply(apiError(403, error_type::kPermission, QStringLiteral("origin_not_allowed"),
                               QStringLiteral("cross-origin requests from '%1' are not allowed")
                                   .arg(QString::fromUtf8(origin.left(100)))));
            return;
        }
        ctx.addResponseHeader("access-control-allow-origin", origin);
        ctx.addResponseHeader("vary", "Origin");
        if (request.method == "OPTIONS") {
            HttpResponse preflight;
            preflight.status = 204;
            preflight.withHeader("access-control-allow-methods", "GET, POST, PATCH, DELETE")
                .withHeader("access-control-allow-headers",
                            "authorization, content-type, x-api-key, last-event-id")
                .withHeader("access-control-max-age", "600");
            ctx.reply(preflight);
            return;
        }
    }

    RouteMatch match = router_.match(request.method, request.path);
    if (!match.route) {
        // Attributed in the ledger when the caller identified itself.
        if (auto known = accounts_->authenticate(credentialOf(request));
            std::holds_alternative<Principal>(known))
            ctx.principal_ = std::get<Principal>(std::move(known));
        if (match.otherMethods) {
            ctx.reply(apiError(405, error_type::kInvalidRequest,
                               QStringLiteral("method_not_allowed"),
                               QStringLiteral("%1 is not allowed on %2")
                                   .arg(QString::fromLatin1(request.method), request.path)));
        } else {
            ctx.reply(notFound(QStringLiteral("no route for %1 %2")
                                   .arg(QString::fromLatin1(request.method), request.path)));
        }
        return;
    }
    ctx.params_ = std::move(match.params);
    ctx.routePattern_ = match.route->pattern;

    const QString ip = request.peer.toString();
    if (match.route->access != Access::Public) {
        auto authenticated = accounts_->authenticate(credentialOf(request));
        if (auto* failure = std::get_if<AuthFailure>(&authenticated)) {
            const RateLimiter::Verdict verdict = rateLimiter_->admit(ip, nullptr);
            if (!verdict.allowed) {
                addRateLimitHeaders(ctx, verdict);
                metrics_->increment("parley_http_rate_limited_total", {{"scope", verdict.scope}});
                ctx.reply(apiError(429, error_type::kRateLimit,
                                   QStringLiteral("rate_limit_exceeded"),
                                   QStringLiteral("too many requests from this address")));
                return;
            }
            const bool serverError = failure->code == QLatin1String("server_error");
            ctx.reply(apiError(serverError ? 500 : 401,
                               serverError ? error_type::kServer : error_type::kAuthentication,
                               failure->code, failure->message));
            return;
        }
        ctx.principal_ = std::get<Principal>(std::move(authenticated));
        if (match.route->access == Access::Admin && !ctx.principal_.isAdmin()) {
            ctx.reply(apiError(403, error_type::kPermission, QStringLiteral("admin_only"),
                               QStringLiteral("this endpoint needs an admin")));
            return;
        }
    }
    if (match.route->pattern != QLatin1String("/healthz") &&
        match.route->pattern != QLatin1String("/readyz")) {
        const RateLimiter::Verdict verdict =
            rateLimiter_->admit(ip, ctx.principal_.userId.isEmpty() ? nullptr : &ctx.principal_);
        addRateLimitHeaders(ctx, verdict);
        if (!verdict.allowed) {
            metrics_->increment("parley_http_rate_limited_total", {{"scope", verdict.scope}});
            ctx.reply(apiError(429, error_type::kRateLimit, QStringLiteral("rate_limit_exceeded"),
                               QStringLiteral("rate limit of %1 requests per minute per %2 "
                                              "reached; retry later")
                                   .arg(verdict.limitPerMinute)
                                   .arg(verdict.scope)));
            return;
        }
    }

    try {
        match.route->handler(context);
    } catch (const std::exception& e) {
        qCCritical(lcGateway).noquote()
            << "handler of" << ctx.routePattern_ << "threw:" << e.what();
        ctx.reply(apiError(500, error_type::kServer, QStringLiteral("internal_error"),
                           QStringLiteral("internal error")));
    }
}

void HttpGateway::finished(const RequestContext& context) {
    --openRequests_;
    metrics_->setGauge("parley_http_requests_open", {}, openRequests_);
    const QString route =
        context.routePattern().isEmpty() ? QStringLiteral("unmatched") : context.routePattern();
    const QString method = QString::fromLatin1(context.request().method);
    const double seconds = context.elapsedMs() / 1000.0;
    metrics_->increment(
        "parley_http_requests_total",
        {{"route", route}, {"method", method}, {"status", QString::number(context.status())}});
    metrics_->observe("parley_http_request_duration_seconds", {{"route", route}}, seconds);
    if (isProbe(route))
        return;
    store::LedgerEntry entry;
    entry.userId = context.principal().userId;
    entry.apiKeyId = context.principal().apiKeyId;
    entry.method = method;
    entry.route = route;
    entry.status = context.status();
    entry.model = context.usageModel();
    entry.promptTokens = context.promptTokens();
    entry.completionTokens = context.completionTokens();
    entry.latencyMs = context.elapsedMs();
    usage_->record(std::move(entry));
}

}  // namespace parley::gateway
