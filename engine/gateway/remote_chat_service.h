// ChatService on a parley-server: every operation is one message on the server's WebSocket
// channel (GET /v1/ws, see README.md), every stream event one message back. The desktop app uses
// it to work against a team server exactly as against its own engine.
//
// The service connects at once and reconnects by itself (backoff up to 10 s) after a dropped
// connection. Requests made while disconnected wait for the connection; a request in flight when
// the connection drops, or unanswered after `requestTimeoutMs`, fails with the reason. Streams
// that were running are resumed after a reconnect from the last event received, so the
// streamEvent signal sees every event exactly once, in order.
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <functional>

#include "chat/chat_service.h"

namespace parley::gateway {

struct RemoteServerConfig {
    QUrl url;  // http(s)://host:port of the parley-server
    QString apiKey;
    int requestTimeoutMs = 60'000;
    int maxReconnectDelayMs = 10'000;
};

class RemoteChatService : public chat::ChatService {
    Q_OBJECT
  public:
    explicit RemoteChatService(RemoteServerConfig config, QObject* parent = nullptr);
    ~RemoteChatService() override;

    bool isConnected() const { return connected_; }

    void createConversation(const QString& title, chat::Reply<store::Conversation> reply) override;
    void listConversations(bool includeArchived,
                           chat::Reply<std::vector<store::Conversation>> reply) override;
    void conversation(const QString& conversationId,
                      chat::Reply<chat::ConversationView> reply) override;
    void renameConversation(const QString& conversationId, const QString& title,
                            chat::Reply<Ok> reply) override;
    void setPinned(const QString& conversationId, bool pinned, chat::Reply<Ok> reply) override;
    void setArchived(const QString& conversationId, bool archived, chat::Reply<Ok> reply) override;
    void deleteConversation(const QString& conversationId, chat::Reply<Ok> reply) override;

    void send(const chat::SendRequest& request, chat::Reply<chat::StreamStarted> reply) override;
    void edit(const QString& messageId, const QString& content,
              const chat::GenerationOptions& options,
              chat::Reply<chat::StreamStarted> reply) override;
    void regenerate(const QString& messageId, const chat::GenerationOptions& options,
                    chat::Reply<chat::StreamStarted> reply) override;
    void continueAnswer(const QString& messageId, const chat::GenerationOptions& options,
                        chat::Reply<chat::StreamStarted> reply) override;
    void cancel(const QString& streamId, chat::Reply<Ok> reply) override;
    void switchBranch(const QString& messageId, chat::Reply<chat::ConversationView> reply) override;
    void contextReport(const QString& assistantMessageId,
                       chat::Reply<chat::ContextReport> reply) override;

    void search(const QString& text, chat::Reply<std::vector<store::SearchHit>> reply) override;
    void exportConversations(const QStringList& conversationIds,
                             chat::Reply<QByteArray> reply) override;
    void importConversations(const QByteArray& json, chat::Reply<int> reply) override;

    void models(chat::Reply<std::vector<chat::ModelInfo>> reply) override;

  signals:
    void connectedChanged(bool connected);
    // Why the last connection attempt failed or the connection dropped (readable).
    void connectionError(const QString& message);

  private:
    using Handler = std::function<void(Result<QJsonObject>)>;
    struct Pending {
        QJsonObject message;
        Handler handler;
        qint64 deadlineMs = 0;
        bool sent = false;
    };

    void request(const QString& type, QJsonObject args, Handler handler);
    void requestStream(const QString& type, QJsonObject args,
                       chat::Reply<chat::StreamStarted> reply);
    void connectNow();
    void onConnected();
    void onDisconnected();
    void onMessage(const QString& text);
    void onEvent(const QJsonObject& message);
    void sendPending(Pending& pending, const QString& requestId);
    void expireRequests();

    RemoteServerConfig config_;
    QWebSocket socket_;
    QTimer reconnect_;
    QTimer sweep_;
    QElapsedTimer clock_;
    bool connected_ = false;
    int reconnectDelayMs_ = 250;
    quint64 nextRequest_ = 1;
    QHash<QString, Pending> pending_;  // by request_id, until replied
    QHash<QString, qint64> streams_;   // running streams -> last event id received
};

}  // namespace parley::gateway
