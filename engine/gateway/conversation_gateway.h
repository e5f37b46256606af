// The conversations half of the gateway in one object: the StreamHub, the users' ChatServices,
// the operations table, the uploaded files and the WebSocket channel. HttpGateway makes one and
// calls registerRoutes(); everything but the chat worker runs on the gateway thread.
#pragma once

#include <QObject>

#include <memory>

#include "chat/chat_core.h"
#include "gateway/conversations/conversation_operations.h"
#include "gateway/conversations/conversation_services.h"
#include "gateway/conversations/files_store.h"
#include "gateway/conversations/stream_hub.h"
#include "gateway/gateway_services.h"

namespace parley::gateway {

class Router;
class WsChannel;

class ConversationGateway : public QObject {
    Q_OBJECT
  public:
    // Opens the chat store (services.databasePath) on its own worker thread, on the models of
    // services.models; each user gets a LocalChatService on it.
    explicit ConversationGateway(const GatewayServices& services, QObject* parent = nullptr);
    ~ConversationGateway() override;

    // REST (conversation_routes.h), files (files_routes.h) and GET /v1/ws (ws_channel.h).
    void registerRoutes(Router& router);

    const GatewayServices& gatewayServices() const { return services_; }
    StreamHub& hub() { return hub_; }
    ConversationServices& chatServices() { return chatServices_; }
    ConversationOperations& operations() { return operations_; }
    FilesStore& files() { return files_; }
    WsChannel& webSockets() { return *webSockets_; }

  private:
    GatewayServices services_;
    chat::ChatCore core_;  // destroyed after the services that use it
    StreamHub hub_;
    ConversationServices chatServices_;
    ConversationOperations operations_;
    FilesStore files_;
    std::unique_ptr<WsChannel> webSockets_;
};

}  // namespace parley::gateway
