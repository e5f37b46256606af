#include "gateway/conversation_gateway.h"

#include "chat/local_chat_service.h"
#include "gateway/conversations/conversation_routes.h"
#include "gateway/conversations/files_routes.h"
#include "gateway/conversations/ws_channel.h"
#include "gateway/http/router.h"
#include "gateway/limits/usage_meter.h"

namespace parley::gateway {
namespace {

// An upload is also bounded by the transport's body limit (HttpLimits::maxBodyBytes).
constexpr qint64 kMaxFileBytes = 25ll << 20;

chat::ChatCoreConfig coreConfig(const GatewayServices& services) {
    chat::ChatCoreConfig config;
    config.databasePath = services.databasePath;
    config.models = services.models;
    return config;
}

}  // namespace

ConversationGateway::ConversationGateway(const GatewayServices& services, QObject* parent)
    : QObject(parent),
      services_(services),
      core_(coreConfig(services)),
      chatServices_(
          [this](const QString& userId) {
              return std::make_unique<chat::LocalChatService>(core_, userId);
          },
          hub_),
      operations_(hub_, services.quotas,
                  OperationLimits{.maxMessageChars = services.limits.maxMessageChars}),
      files_(services.dataDir + QStringLiteral("/files"), kMaxFileBytes),
      webSockets_(std::make_unique<WsChannel>(
          *this, WsLimits{.maxMessageBytes = services.httpLimits.maxBodyBytes,
                          .maxUnsentBytes = services.httpLimits.maxUnsentBytes})) {
    // An answer's tokens go on the ledger (and the user's daily quota) when its stream ends,
    // whichever client followed it.
    hub_.setEndObserver(
        [this](const QString& userId, const QString& model, const chat::StreamEvent& end) {
            if (!services_.usage)
                return;
            store::LedgerEntry entry;
            entry.userId = userId;
            entry.method = QStringLiteral("STREAM");
            entry.route = QStringLiteral("/v1/streams/{id}");
            entry.status = end.kind == chat::StreamEvent::Kind::Done ? 200 : 500;
            entry.model = model;
            entry.promptTokens = end.promptTokens;
            entry.completionTokens = end.completionTokens;
            entry.latencyMs = end.totalMs;
            services_.usage->record(entry);
        });
}

ConversationGateway::~ConversationGateway() = default;

void ConversationGateway::registerRoutes(Router& router) {
    registerConversationRoutes(router, *this);
    registerFilesRoutes(router, files_);
    webSockets_->registerRoutes(router);
}

}  // namespace parley::gateway
