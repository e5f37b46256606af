#include "gateway/remote_chat_service.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkRequest>

#include "gateway/conversations/conversation_json.h"
#include "gateway/logging.h"

namespace parley::gateway {
namespace {

QUrl webSocketUrl(QUrl server) {
    server.setScheme(server.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                               : QStringLiteral("ws"));
    server.setPath(QStringLiteral("/v1/ws"));
    return server;
}

Error replyError(const QJsonObject& message) {
    const QJsonObject error = message.value("error").toObject();
    const QString text = error.value("message").toString(QStringLiteral("request failed"));
    return makeError(text.toStdString());
}

template <class T>
std::function<void(Result<QJsonObject>)> mapReply(chat::Reply<T> reply,
                                                  std::function<T(const QJsonObject&)> decode) {
    return [reply = std::move(reply), decode = std::move(decode)](Result<QJsonObject> result) {
        if (!result.ok())
            reply(result.error());
        else
            reply(decode(result.value()));
    };
}

std::function<void(Result<QJsonObject>)> okReply(chat::Reply<Ok> reply) {
    return mapReply<Ok>(std::move(reply), [](const QJsonObject&) { return Ok{}; });
}

QJsonObject withOptions(QJsonObject args, const chat::GenerationOptions& options) {
    json::addGenerationOptions(options, args);
    return args;
}

}  // namespace

RemoteChatService::RemoteChatService(RemoteServerConfig config, QObject* parent)
    : ChatService(parent), config_(std::move(config)) {
    connect(&socket_, &QWebSocket::connected, this, &RemoteChatService::onConnected);
    connect(&socket_, &QWebSocket::disconnected, this, &RemoteChatService::onDisconnected);
    connect(&socket_, &QWebSocket::textMessageReceived, this, &RemoteChatService::onMessage);
    connect(&socket_, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) { emit connectionError(socket_.errorString()); });
    reconnect_.setSingleShot(true);
    connect(&reconnect_, &QTimer::timeout, this, &RemoteChatService::connectNow);
    clock_.start();
    sweep_.setInterval(500);
    connect(&sweep_, &QTimer::timeout, this, &RemoteChatService::expireRequests);
    sweep_.start();
    connectNow();
}

RemoteChatService::~RemoteChatService() {
    // Replies still pending are dropped, as LocalChatService drops those of a closed service.
    socket_.disconnect(this);
    socket_.abort();
}

void RemoteChatService::connectNow() {
    QNetworkRequest request(webSocketUrl(config_.url));
    request.setRawHeader("Authorization", "Bearer " + config_.apiKey.toUtf8());
    socket_.open(request);
}

void RemoteChatService::onConnected() {
    connected_ = true;
    reconnectDelayMs_ = 250;
    emit connectedChanged(true);
    // Streams that were running when the connection dropped go on from their last event.
    for (auto it = streams_.cbegin(); it != streams_.cend(); ++it) {
        const QString streamId = it.key();
        request("resume", {{"stream_id", streamId}, {"after", double(it.value())}},
                [this, streamId](Result<QJsonObject> result) {
                    if (result.ok() || !streams_.contains(streamId))
                        return;
                    // The server no longer has the stream: end it for the caller.
                    chat::StreamEvent lost;
                    lost.kind = chat::StreamEvent::Kind::Error;
                    lost.streamId = streamId;
                    lost.sequence = streams_.take(streamId) + 1;
                    lost.status = store::MessageStatus::Interrupted;
                    lost.finishReason = QStringLiteral("error");
                    lost.error = QString::fromStdString("cannot resume: " + result.error().message);
                    emit streamEvent(lost);
                });
    }
    for (auto it = pending_.begin(); it != pending_.end(); ++it)
        if (!it->sent)
            sendPending(*it, it.key());
}

void RemoteChatService::onDisconnected() {
    const bool wasConnected = connected_;
    connected_ = false;
    if (wasConnected) {
        emit connectedChanged(false);
        emit connectionError(QStringLiteral("connection to %1 lost").arg(config_.url.toString()));
    }
    // A request already sent may or may not have run on the server: say so, never resend it.
    std::vector<Handler> failed;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->sent) {
            failed.push_back(std::move(it->handler));
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    const std::string why =
        "connection to " + config_.url.toString().toStdString() + " lost before the answer";
    for (auto& handler : failed)
        handler(makeError(why));
    reconnect_.start(reconnectDelayMs_);
    reconnectDelayMs_ = std::min(reconnectDelayMs_ * 2, config_.maxReconnectDelayMs);
}

void RemoteChatService::sendPending(Pending& pending, const QString& requestId) {
    QJsonObject message = pending.message;
    message.insert("request_id", requestId);
    socket_.sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    pending.sent = true;
}

void RemoteChatService::request(const QString& type, QJsonObject args, Handler handler) {
    args.insert("type", type);
    const QString requestId = QString::number(nextRequest_++);
    Pending pending{std::move(args), std::move(handler), 0, false};
    pending.deadlineMs = clock_.elapsed() + config_.requestTimeoutMs;
    auto it = pending_.insert(requestId, std::move(pending));
    if (connected_)
        sendPending(*it, requestId);
}

void RemoteChatService::expireRequests() {
    const qint64 now = clock_.elapsed();
    std::vector<Handler> expired;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->deadlineMs <= now) {
            expired.push_back(std::move(it->handler));
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    const std::string why =
        connected_ ? "no answer from " + config_.url.toString().toStdString() + " in time"
                   : "cannot reach " + config_.url.toString().toStdString() + ": " +
                         socket_.errorString().toStdString();
    for (auto& handler : expired)
        handler(makeError(why));
}

void RemoteChatService::onMessage(const QString& text) {
    const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString type = message.value("type").toString();
    if (type == QLatin1String("event")) {
        onEvent(message);
        return;
    }
    if (type == QLatin1String("conversation_changed")) {
        emit conversationChanged(message.value("conversation_id").toString());
        return;
    }
    if (type != QLatin1String("reply")) {
        qCDebug(lcGateway) << "remote: ignoring message of type" << type;
        return;
    }
    const QString requestId = message.value("request_id").toString();
    const auto it = pending_.find(requestId);
    if (it == pending_.end())
        return;  // timed out meanwhile
    Handler handler = std::move(it->handler);
    pending_.erase(it);
    if (message.value("ok").toBool())
        handler(message.value("result").toObject());
    else
        handler(replyError(message));
}

void RemoteChatService::onEvent(const QJsonObject& message) {
    auto event = json::toStreamEvent(message.value("event").toString(),
                                     qint64(message.value("id").toDouble()),
                                     message.value("data").toObject());
    if (!event.ok()) {
        qCWarning(lcGateway) << "remote:" << event.error().message.c_str();
        return;
    }
    const auto it = streams_.find(event->streamId);
    if (it != streams_.end()) {
        if (event->sequence <= it.value())
            return;  // already delivered before a reconnect
        it.value() = event->sequence;
        if (event->kind != chat::StreamEvent::Kind::Token)
            streams_.erase(it);
    }
    emit streamEvent(event.value());
}

void RemoteChatService::requestStream(const QString& type, QJsonObject args,
                                      chat::Reply<chat::StreamStarted> reply) {
    request(type, std::move(args), [this, reply = std::move(reply)](Result<QJsonObject> result) {
        if (!result.ok()) {
            reply(result.error());
            return;
        }
        const chat::StreamStarted started = json::toStreamStarted(result.value());
        // The server follows the stream for this connection from its first event; events come
        // after this reply on the same connection.
        if (!streams_.contains(started.streamId))
            streams_.insert(started.streamId, 0);
        reply(started);
    });
}

void RemoteChatService::createConversation(const QString& title,
                                           chat::Reply<store::Conversation> reply) {
    request("create_conversation", {{"title", title}},
            mapReply<store::Conversation>(std::move(reply), json::toConversation));
}

void RemoteChatService::listConversations(bool includeArchived,
                                          chat::Reply<std::vector<store::Conversation>> reply) {
    request("list_conversations", {{"include_archived", includeArchived}},
            mapReply<std::vector<store::Conversation>>(std::move(reply), [](const QJsonObject& o) {
                std::vector<store::Conversation> list;
                for (const auto& item : o.value("data").toArray())
                    list.push_back(json::toConversation(item.toObject()));
                return list;
            }));
}

void RemoteChatService::conversation(const QString& conversationId,
                                     chat::Reply<chat::ConversationView> reply) {
    request("get_conversation", {{"conversation_id", conversationId}},
            mapReply<chat::ConversationView>(std::move(reply), json::toConversationView));
}

void RemoteChatService::renameConversation(const QString& conversationId, const QString& title,
                                           chat::Reply<Ok> reply) {
    request("rename_conversation", {{"conversation_id", conversationId}, {"title", title}},
            okReply(std::move(reply)));
}

void RemoteChatService::setPinned(const QString& conversationId, bool pinned,
                                  chat::Reply<Ok> reply) {
    request("set_pinned", {{"conversation_id", conversationId}, {"pinned", pinned}},
            okReply(std::move(reply)));
}

void RemoteChatService::setArchived(const QString& conversationId, bool archived,
                                    chat::Reply<Ok> reply) {
    request("set_archived", {{"conversation_id", conversationId}, {"archived", archived}},
            okReply(std::move(reply)));
}

void RemoteChatService::deleteConversation(const QString& conversationId, chat::Reply<Ok> reply) {
    request("delete_conversation", {{"conversation_id", conversationId}},
            okReply(std::move(reply)));
}

void RemoteChatService::send(const chat::SendRequest& r, chat::Reply<chat::StreamStarted> reply) {
    QJsonObject args{{"conversation_id", r.conversationId},
                     {"content", r.content},
                     {"role", "user"},
                     {"message_id", r.clientMessageId},
                     {"parent_id", r.parentId},
                     {"model", r.model},
                     {"attachments", json::fromAttachments(r.attachments)}};
    requestStream("send_message", withOptions(args, r.options), std::move(reply));
}

void RemoteChatService::edit(const QString& messageId, const QString& content,
                             const chat::GenerationOptions& options,
                             chat::Reply<chat::StreamStarted> reply) {
    requestStream("edit_message",
                  withOptions({{"message_id", messageId}, {"content", content}}, options),
                  std::move(reply));
}

void RemoteChatService::regenerate(const QString& messageId, const chat::GenerationOptions& options,
                                   chat::Reply<chat::StreamStarted> reply) {
    requestStream("regenerate", withOptions({{"message_id", messageId}}, options),
                  std::move(reply));
}

void RemoteChatService::continueAnswer(const QString& messageId,
                                       const chat::GenerationOptions& options,
                                       chat::Reply<chat::StreamStarted> reply) {
    requestStream("continue_answer", withOptions({{"message_id", messageId}}, options),
                  std::move(reply));
}

void RemoteChatService::cancel(const QString& streamId, chat::Reply<Ok> reply) {
    request("cancel_stream", {{"stream_id", streamId}}, okReply(std::move(reply)));
}

void RemoteChatService::switchBranch(const QString& messageId,
                                     chat::Reply<chat::ConversationView> reply) {
    request("switch_branch", {{"message_id", messageId}},
            mapReply<chat::ConversationView>(std::move(reply), json::toConversationView));
}

void RemoteChatService::contextReport(const QString& assistantMessageId,
                                      chat::Reply<chat::ContextReport> reply) {
    request("context_report", {{"message_id", assistantMessageId}},
            mapReply<chat::ContextReport>(std::move(reply), json::toContextReport));
}

void RemoteChatService::search(const QString& text,
                               chat::Reply<std::vector<store::SearchHit>> reply) {
    request("search", {{"query", text}},
            mapReply<std::vector<store::SearchHit>>(std::move(reply), [](const QJsonObject& o) {
                std::vector<store::SearchHit> hits;
                for (const auto& item : o.value("data").toArray())
                    hits.push_back(json::toSearchHit(item.toObject()));
                return hits;
            }));
}

void RemoteChatService::exportConversations(const QStringList& conversationIds,
                                            chat::Reply<QByteArray> reply) {
    request(
        "export_conversations", {{"conversation_ids", QJsonArray::fromStringList(conversationIds)}},
        mapReply<QByteArray>(std::move(reply), [](const QJsonObject& o) {
            const QJsonValue data = o.value("export");
            return data.isArray() ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact)
                                  : QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact);
        }));
}

void RemoteChatService::importConversations(const QByteArray& json, chat::Reply<int> reply) {
    const QJsonDocument document = QJsonDocument::fromJson(json);
    if (document.isNull()) {
        // Replies never run inside the call: queue the refusal like any answer.
        QMetaObject::invokeMethod(
            this, [reply = std::move(reply)] { reply(makeError("import: not valid JSON")); },
            Qt::QueuedConnection);
        return;
    }
    const QJsonValue data =
        document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
    request("import_conversations", {{"data", data}},
            mapReply<int>(std::move(reply),
                          [](const QJsonObject& o) { return o.value("added").toInt(); }));
}

void RemoteChatService::models(chat::Reply<std::vector<chat::ModelInfo>> reply) {
    request("list_models", {},
            mapReply<std::vector<chat::ModelInfo>>(std::move(reply), [](const QJsonObject& o) {
                std::vector<chat::ModelInfo> list;
                for (const auto& item : o.value("data").toArray())
                    list.push_back(json::toModelInfo(item.toObject()));
                return list;
            }));
}

}  // namespace parley::gateway
