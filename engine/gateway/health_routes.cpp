#include <QJsonArray>
#include <QJsonObject>

#include "gateway/core_routes.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/http/router.h"
#include "serving/model_registry.h"

namespace parley::gateway {

void registerHealthRoutes(Router& router, const GatewayServices& services,
                          const QString& modelSource, std::function<bool()> shuttingDown) {
    router.add("GET", "/healthz", Access::Public, [](const RequestContextPtr& ctx) {
        ctx->reply(HttpResponse::json(200, QJsonObject{{"status", "ok"}}));
    });

    router.add("GET", "/readyz", Access::Public,
               [services, modelSource, shuttingDown](const RequestContextPtr& ctx) {
                   QJsonArray ids;
                   for (const auto& model : services.models->models())
                       ids.append(QString::fromStdString(model->id));
                   QString reason;
                   if (shuttingDown())
                       reason = QStringLiteral("shutting down");
                   else if (ids.isEmpty())
                       reason = QStringLiteral("no usable model in %1").arg(modelSource);
                   if (reason.isEmpty()) {
                       ctx->reply(HttpResponse::json(
                           200, QJsonObject{{"status", "ready"}, {"models", ids}}));
                   } else {
                       ctx->reply(HttpResponse::json(
                           503, QJsonObject{{"status", "not_ready"}, {"reason", reason}}));
                   }
               });

    router.add("GET", "/metrics", Access::Admin, [services](const RequestContextPtr& ctx) {
        const QByteArray text = QByteArray::fromStdString(services.models->renderMetrics()) +
                                services.metrics->render();
        ctx->reply(HttpResponse::text(200, text, "text/plain; version=0.0.4; charset=utf-8"));
    });
}

}  // namespace parley::gateway
