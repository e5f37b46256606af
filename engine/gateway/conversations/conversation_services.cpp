#include "gateway/conversations/conversation_services.h"

#include "gateway/conversations/stream_hub.h"

namespace parley::gateway {

ConversationServices::ConversationServices(Factory factory, StreamHub& hub, QObject* parent)
    : QObject(parent), factory_(std::move(factory)), hub_(hub) {}

ConversationServices::~ConversationServices() {
    qDeleteAll(services_);
}

chat::ChatService& ConversationServices::serviceFor(const QString& userId) {
    if (auto* existing = services_.value(userId))
        return *existing;
    chat::ChatService* service = factory_(userId).release();
    connect(service, &chat::ChatService::streamEvent, this,
            [this, userId](const chat::StreamEvent& event) { hub_.record(userId, event); });
    connect(service, &chat::ChatService::conversationChanged, this,
            [this, userId](const QString& conversationId) {
                emit conversationChanged(userId, conversationId);
            });
    services_.insert(userId, service);
    return *service;
}

}  // namespace parley::gateway
