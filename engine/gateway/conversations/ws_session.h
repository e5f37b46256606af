// One WebSocket client of GET /v1/ws, acting for one authenticated user: runs the operations its
// messages ask for on the user's ChatService, answers each with a reply carrying the same
// request_id, and forwards the events of the streams it follows (the ones it started, and the
// ones it asked to resume). Closing the socket only ends the subscriptions: answers go on.
#pragma once

#include <QJsonObject>
#include <QObject>
#include <QWebSocket>

#include <map>
#include <memory>

#include "gateway/auth/principal.h"
#include "gateway/conversations/ws_channel.h"

namespace parley::gateway {

class ConversationGateway;

class WsSession : public QObject {
    Q_OBJECT
  public:
    WsSession(std::unique_ptr<QWebSocket> socket, Principal principal, ConversationGateway& gateway,
              WsLimits limits, QObject* parent = nullptr);
    ~WsSession() override;

  signals:
    void closed();

  private:
    void onMessage(const QString& text);
    void countMessage(const QString& type);
    void reply(const QJsonValue& requestId, int status, const QJsonObject& body);
    void follow(const QJsonValue& requestId, const QString& streamId, qint64 afterId);
    void unfollow(const QString& streamId);
    void send(const QJsonObject& message);
    void dropSubscriptions();

    std::unique_ptr<QWebSocket> socket_;
    Principal principal_;
    ConversationGateway& gateway_;
    WsLimits limits_;
    std::map<QString, quint64> subscriptions_;  // stream id -> hub subscription
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::gateway
