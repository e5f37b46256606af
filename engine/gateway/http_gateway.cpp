#include "gateway/http_gateway.h"

#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonObject>

#include "gateway/logging.h"
#include "inference/catalog/model_catalog.h"

namespace parley::gateway {
namespace {

QHttpServerResponse openAiError(QHttpServerResponse::StatusCode status, const QString& message,
                                const QString& type, const QString& code) {
    return QHttpServerResponse(
        QJsonObject{{"error", QJsonObject{{"message", message}, {"type", type}, {"code", code}}}},
        status);
}

}  // namespace

HttpGateway::HttpGateway(std::filesystem::path modelsDir, QObject* parent)
    : QObject(parent), modelsDir_(std::move(modelsDir)) {
    addRoutes();
}

void HttpGateway::addRoutes() {
    server_.route("/healthz", QHttpServerRequest::Method::Get, [] {
        return QHttpServerResponse(QJsonObject{{"status", "ok"}});
    });

    server_.route("/readyz", QHttpServerRequest::Method::Get, [this] {
        const auto models = catalog::scanModels(modelsDir_);
        const bool ready = std::any_of(models.begin(), models.end(),
                                       [](const auto& m) { return m.error.empty(); });
        if (ready)
            return QHttpServerResponse(QJsonObject{{"status", "ready"}});
        return QHttpServerResponse(
            QJsonObject{{"status", "not_ready"},
                        {"reason", QStringLiteral("no usable model in %1")
                                       .arg(QString::fromStdString(modelsDir_.string()))}},
            QHttpServerResponse::StatusCode::ServiceUnavailable);
    });

    server_.route("/v1/models", QHttpServerRequest::Method::Get, [this] {
        QJsonArray data;
        for (const auto& m : catalog::scanModels(modelsDir_)) {
            if (!m.error.empty())
                continue;
            data.append(QJsonObject{{"id", QString::fromStdString(m.id)},
                                    {"object", "model"},
                                    {"owned_by", "parley"},
                                    {"architecture", QString::fromStdString(m.architecture)}});
        }
        return QHttpServerResponse(QJsonObject{{"object", "list"}, {"data", data}});
    });

    server_.setMissingHandler(
        [](const QHttpServerRequest& request, QHttpServerResponder&& responder) {
            openAiError(QHttpServerResponse::StatusCode::NotFound,
                        QStringLiteral("no route for %1").arg(request.url().path()),
                        "invalid_request_error", "not_found")
                .write(std::move(responder));
        });
}

std::optional<quint16> HttpGateway::listen(const QHostAddress& address, quint16 port) {
    const quint16 bound = server_.listen(address, port);
    if (bound == 0) {
        qCCritical(lcGateway) << "cannot listen on" << address.toString() << port;
        return std::nullopt;
    }
    qCInfo(lcGateway) << "listening on" << address.toString() << bound;
    return bound;
}

}  // namespace parley::gateway
