#include "gateway/conversations/ws_session.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonParseError>

#include "gateway/conversation_gateway.h"
#include "gateway/conversations/conversation_json.h"
#include "gateway/gateway_metrics.h"
#include "gateway/logging.h"

namespace parley::gateway {

WsSession::WsSession(std::unique_ptr<QWebSocket> socket, Principal principal,
                     ConversationGateway& gateway, WsLimits limits, QObject* parent)
    : QObject(parent),
      socket_(std::move(socket)),
      principal_(std::move(principal)),
      gateway_(gateway),
      limits_(limits) {
    socket_->setMaxAllowedIncomingMessageSize(quint64(limits_.maxMessageBytes));
    connect(socket_.get(), &QWebSocket::textMessageReceived, this, &WsSession::onMessage);
    connect(socket_.get(), &QWebSocket::binaryMessageReceived, this, [this] {
        socket_->close(QWebSocketProtocol::CloseCodeDatatypeNotSupported,
                       "only JSON text messages are accepted");
    });
    connect(socket_.get(), &QWebSocket::disconnected, this, [this] {
        dropSubscriptions();
        emit closed();
    });
    connect(&gateway_.chatServices(), &ConversationServices::conversationChanged, this,
            [this](const QString& userId, const QString& conversationId) {
                if (userId == principal_.userId)
                    send({{"type", "conversation_changed"}, {"conversation_id", conversationId}});
            });
}

WsSession::~WsSession() {
    *alive_ = false;
    dropSubscriptions();
}

void WsSession::dropSubscriptions() {
    for (const auto& [streamId, subscription] : subscriptions_)
        gateway_.hub().unsubscribe(subscription);
    subscriptions_.clear();
}

void WsSession::send(const QJsonObject& message) {
    if (socket_->state() != QAbstractSocket::ConnectedState)
        return;
    socket_->sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    if (socket_->bytesToWrite() > limits_.maxUnsentBytes) {
        qCInfo(lcGateway) << "WebSocket client too slow; closed (it can resume)";
        dropSubscriptions();
        socket_->close(QWebSocketProtocol::CloseCodeAbnormalDisconnection, "client too slow");
    }
}

void WsSession::reply(const QJsonValue& requestId, int status, const QJsonObject& body) {
    QJsonObject message{{"type", "reply"}, {"request_id", requestId}, {"status", status}};
    if (status < 400) {
        message.insert("ok", true);
        message.insert("result", body);
    } else {
        message.insert("ok", false);
        message.insert("error", body.value("error"));
    }
    send(message);
}

void WsSession::follow(const QJsonValue& requestId, const QString& streamId, qint64 afterId) {
    unfollow(streamId);
    if (int(subscriptions_.size()) >= limits_.maxSubscriptions) {
        reply(requestId, 429,
              operationError(429, "this connection follows too many streams", "too_many_streams")
                  .body);
        return;
    }
    if (!gateway_.hub().isVisibleTo(principal_.userId, streamId)) {
        reply(requestId, 404,
              operationError(404, QStringLiteral("stream %1 not found").arg(streamId), "not_found")
                  .body);
        return;
    }
    if (!requestId.isUndefined())
        reply(requestId, 200, {{"stream_id", streamId}, {"following", true}});
    const auto subscription = gateway_.hub().subscribe(
        principal_.userId, streamId, afterId, [this, streamId](const chat::StreamEvent& event) {
            send({{"type", "event"},
                  {"event", json::streamEventName(event.kind)},
                  {"id", double(event.sequence)},
                  {"data", json::fromStreamEvent(event)}});
            if (event.kind != chat::StreamEvent::Kind::Token)
                subscriptions_.erase(streamId);
        });
    if (subscription && !gateway_.hub().isFinished(streamId))
        subscriptions_[streamId] = *subscription;
}

void WsSession::unfollow(const QString& streamId) {
    const auto it = subscriptions_.find(streamId);
    if (it == subscriptions_.end())
        return;
    gateway_.hub().unsubscribe(it->second);
    subscriptions_.erase(it);
}

void WsSession::countMessage(const QString& type) {
    GatewayMetrics* metrics = gateway_.gatewayServices().metrics;
    if (!metrics)
        return;
    // Only known types become label values: a client cannot grow the metric families.
    const bool known = type == QLatin1String("ping") || type == QLatin1String("resume") ||
                       type == QLatin1String("unsubscribe") ||
                       ConversationOperations::names().contains(type);
    metrics->increment(QStringLiteral("parley_ws_messages_total"),
                       {{"type", known ? type : QStringLiteral("invalid")}});
}

void WsSession::onMessage(const QString& text) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        countMessage({});
        reply(QJsonValue::Null, 400,
              operationError(400, "a message must be one JSON object", "invalid_json").body);
        return;
    }
    QJsonObject args = document.object();
    const QString type = args.take("type").toString();
    const QJsonValue requestId = args.take("request_id");
    countMessage(type);

    if (type == QLatin1String("ping")) {
        send({{"type", "pong"}, {"request_id", requestId}});
        return;
    }
    if (type == QLatin1String("resume")) {
        const QString streamId = args.value("stream_id").toString();
        const qint64 after = qint64(args.value("after").toDouble(0));
        if (streamId.isEmpty() || after < 0) {
            reply(requestId, 400,
                  operationError(400, "resume needs 'stream_id' and a non-negative 'after'",
                                 "invalid_request")
                      .body);
            return;
        }
        follow(requestId, streamId, after);
        return;
    }
    if (type == QLatin1String("unsubscribe")) {
        unfollow(args.value("stream_id").toString());
        reply(requestId, 200, {{"stream_id", args.value("stream_id")}, {"following", false}});
        return;
    }
    if (!ConversationOperations::names().contains(type)) {
        reply(requestId, 400,
              operationError(400, QStringLiteral("unknown message type '%1'").arg(type),
                             "unknown_type")
                  .body);
        return;
    }
    const bool followStream = args.take("follow").toBool(true);
    QElapsedTimer timer;
    timer.start();
    gateway_.operations().run(
        principal_, gateway_.chatServices().serviceFor(principal_.userId), type, args,
        [this, alive = std::weak_ptr<bool>(alive_), requestId, followStream, type,
         timer](OperationOutcome outcome) {
            if (alive.expired())
                return;
            if (GatewayMetrics* metrics = gateway_.gatewayServices().metrics)
                metrics->observe(QStringLiteral("parley_ws_operation_seconds"), {{"type", type}},
                                 double(timer.nsecsElapsed()) / 1e9);
            reply(requestId, outcome.httpStatus, outcome.body);
            const QString streamId = outcome.body.value("stream_id").toString();
            if (outcome.httpStatus == 202 && followStream && !streamId.isEmpty())
                follow(QJsonValue::Undefined, streamId, 0);
        });
}

}  // namespace parley::gateway
