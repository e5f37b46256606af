// The ChatService of every user the gateway serves, made on first use by a factory (the local
// service on this server's store and engine) and kept for the life of the gateway. Each service's
// stream events are recorded in the StreamHub under its user, and its conversationChanged signal
// is passed on with the user it concerns (for that user's WebSocket clients).
#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

#include "chat/chat_service.h"

namespace parley::gateway {

class StreamHub;

class ConversationServices : public QObject {
    Q_OBJECT
  public:
    using Factory = std::function<std::unique_ptr<chat::ChatService>(const QString& userId)>;

    ConversationServices(Factory factory, StreamHub& hub, QObject* parent = nullptr);
    ~ConversationServices() override;

    chat::ChatService& serviceFor(const QString& userId);

  signals:
    void conversationChanged(const QString& userId, const QString& conversationId);

  private:
    Factory factory_;
    StreamHub& hub_;
    QHash<QString, chat::ChatService*> services_;  // owned (deleted in the destructor)
};

}  // namespace parley::gateway
