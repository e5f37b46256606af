// parley-server's gateway: the HTTP server, the request pipeline (Host and Origin checks,
// routing, authentication, rate limits, metrics, usage ledger) and the core routes (health,
// metrics, auth, admin, OpenAI-compatible). Other features add routes through router() and
// services() before listen(). Lives on the gateway thread (the main thread of parley-server).
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QStringList>

#include <memory>
#include <optional>

#include "common/result.h"
#include "gateway/gateway_services.h"
#include "gateway/http/http_limits.h"
#include "gateway/http/router.h"
#include "gateway/limits/gateway_limits.h"

namespace parley::serving {
class ModelRegistry;
}

namespace parley::gateway {

class AccountService;
class GatewayMetrics;
class HostPolicy;
class HttpServer;
class QuotaTracker;
class RateLimiter;
class UsageMeter;

struct GatewayConfig {
    QString dataDir;
    HttpLimits http;
    GatewayLimits limits;
    QStringList allowedHosts;    // besides localhost, 127.0.0.1, [::1] and the listen address
    QStringList allowedOrigins;  // browser origins allowed to call the API (none by default)
    QString modelSource;         // where models were looked for, for /readyz's reason
};

class HttpGateway : public QObject {
    Q_OBJECT
  public:
    // Opens (and migrates) <dataDir>/parley.db. `models` must outlive the gateway.
    static Result<std::unique_ptr<HttpGateway>> create(GatewayConfig config,
                                                       serving::ModelRegistry& models);
    ~HttpGateway() override;

    Router& router() { return router_; }
    const GatewayServices& services() const { return services_; }
    AccountService& accounts() { return *accounts_; }

    Result<quint16> listen(const QHostAddress& address, quint16 port,
                           const std::optional<QSslConfiguration>& tls = std::nullopt);
    // Stops accepting, lets open requests finish within the grace period, flushes the ledger,
    // then emits stopped().
    void shutdown();
    bool shuttingDown() const;

  signals:
    void stopped();

  private:
    HttpGateway(GatewayConfig config, serving::ModelRegistry& models,
                std::unique_ptr<AccountService> accounts);
    void handle(const RequestContextPtr& context);
    void finished(const RequestContext& context);
    void rejected(int status);

    GatewayConfig config_;
    std::unique_ptr<AccountService> accounts_;
    std::unique_ptr<QuotaTracker> quotas_;
    std::unique_ptr<UsageMeter> usage_;
    std::unique_ptr<GatewayMetrics> metrics_;
    std::unique_ptr<RateLimiter> rateLimiter_;
    std::unique_ptr<HostPolicy> hostPolicy_;
    std::unique_ptr<HttpServer> server_;
    GatewayServices services_;
    Router router_;
    int openRequests_ = 0;
};

}  // namespace parley::gateway
