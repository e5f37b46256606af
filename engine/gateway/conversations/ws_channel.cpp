#include "gateway/conversations/ws_channel.h"

#include <QTcpSocket>
#include <QWebSocket>

#include "gateway/conversation_gateway.h"
#include "gateway/conversations/ws_session.h"
#include "gateway/gateway_metrics.h"
#include "gateway/http/api_error.h"
#include "gateway/http/router.h"
#include "gateway/logging.h"

namespace parley::gateway {
namespace {

QString peerKey(const QHostAddress& address, quint16 port) {
    return address.toString() + QLatin1Char('|') + QString::number(port);
}

}  // namespace

WsChannel::WsChannel(ConversationGateway& gateway, WsLimits limits, QObject* parent)
    : QObject(parent),
      gateway_(gateway),
      limits_(limits),
      server_(QStringLiteral("parley"), QWebSocketServer::NonSecureMode) {
    // TLS, when on, is the gateway's: the socket handed over already speaks plain bytes.
    server_.setHandshakeTimeout(10'000);
    connect(&server_, &QWebSocketServer::newConnection, this, &WsChannel::onNewConnection);
    if (GatewayMetrics* metrics = gateway_.gatewayServices().metrics) {
        metrics->describe("parley_ws_connections", "Open WebSocket connections on /v1/ws.");
        metrics->describe("parley_ws_messages_total", "WebSocket messages received, by type.");
        metrics->describe("parley_ws_operation_seconds",
                          "From a WebSocket operation's message to its reply, by type.");
    }
}

void WsChannel::registerRoutes(Router& router) {
    router.add("GET", "/v1/ws", Access::User, [this](const RequestContextPtr& ctx) {
        const Principal principal = ctx->principal();
        QTcpSocket* socket = ctx->takeUpgradeSocket();
        if (!socket) {
            ctx->addResponseHeader("upgrade", "websocket");
            ctx->reply(apiError(426, error_type::kInvalidRequest, "upgrade_required",
                                "GET /v1/ws is a WebSocket endpoint: send an upgrade request"));
            return;
        }
        const QString key = peerKey(socket->peerAddress(), socket->peerPort());
        pending_.insert(key, Pending{principal, socket});
        // A handshake that fails leaves no entry behind (one that succeeded took it already).
        connect(socket, &QObject::destroyed, this, [this, key, socket] {
            const auto it = pending_.find(key);
            if (it != pending_.end() && it->socket == socket)
                pending_.erase(it);
        });
        server_.handleConnection(socket);
        // The handshake is already buffered in the socket: no readyRead would come for it.
        emit socket->readyRead();
    });
}

void WsChannel::publishSessionCount() {
    if (GatewayMetrics* metrics = gateway_.gatewayServices().metrics)
        metrics->setGauge(QStringLiteral("parley_ws_connections"), {}, sessions_);
}

void WsChannel::onNewConnection() {
    while (server_.hasPendingConnections()) {
        std::unique_ptr<QWebSocket> socket(server_.nextPendingConnection());
        const QString key = peerKey(socket->peerAddress(), socket->peerPort());
        const auto it = pending_.find(key);
        if (it == pending_.end()) {
            qCWarning(lcGateway) << "WebSocket from" << key << "without an authenticated upgrade";
            socket->close(QWebSocketProtocol::CloseCodePolicyViolated, "not authenticated");
            socket.release()->deleteLater();
            continue;
        }
        const Principal principal = it->principal;
        pending_.erase(it);
        auto* session = new WsSession(std::move(socket), principal, gateway_, limits_, this);
        ++sessions_;
        publishSessionCount();
        connect(session, &WsSession::closed, this, [this, session] {
            --sessions_;
            publishSessionCount();
            session->deleteLater();
        });
    }
}

}  // namespace parley::gateway
