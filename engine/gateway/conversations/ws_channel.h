// GET /v1/ws: the WebSocket channel, one connection per client, carrying the conversation
// operations and the stream events (protocol: README.md, "WebSocket channel").
//
// The upgrade request goes through the gateway like any request (Host check, authentication,
// rate limit); the handler then hands its socket to a QWebSocketServer, which completes the
// handshake. The principal is matched back to the new QWebSocket by the peer address and port.
#pragma once

#include <QHash>
#include <QObject>
#include <QWebSocketServer>

#include "gateway/auth/principal.h"

namespace parley::gateway {

class ConversationGateway;
class Router;

struct WsLimits {
    qint64 maxMessageBytes = 1 << 20;  // one incoming message
    qint64 maxUnsentBytes = 4 << 20;   // beyond it the client is too slow and is dropped
    int maxSubscriptions = 64;         // streams one connection follows at once
};

class WsChannel : public QObject {
    Q_OBJECT
  public:
    WsChannel(ConversationGateway& gateway, WsLimits limits = {}, QObject* parent = nullptr);

    void registerRoutes(Router& router);
    int sessionCount() const { return sessions_; }

  private:
    void onNewConnection();
    void publishSessionCount();

    ConversationGateway& gateway_;
    WsLimits limits_;
    QWebSocketServer server_;
    struct Pending {
        Principal principal;
        const QObject* socket = nullptr;  // identity only: the upgrading QTcpSocket
    };
    QHash<QString, Pending> pending_;  // "address|port" of upgrading clients -> who they are
    int sessions_ = 0;
};

}  // namespace parley::gateway
