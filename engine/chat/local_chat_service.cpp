#include "chat/local_chat_service.h"

namespace parley::chat {

LocalChatService::LocalChatService(ChatCore& core, QString userId, QObject* parent)
    : ChatService(parent),
      core_(core),
      userId_(std::move(userId)),
      mailbox_(Mailbox::create(this)) {
    // Queued: the worker emits on its own thread; the events must arrive on ours, after the
    // reply that started their stream (both travel through this thread's event queue in order).
    connect(
        core_.worker(), &ChatWorker::streamEvent, this,
        [this](const QString& user, const StreamEvent& event) {
            if (user == userId_) {
                emit streamEvent(event);
            }
        },
        Qt::QueuedConnection);
    connect(
        core_.worker(), &ChatWorker::conversationChanged, this,
        [this](const QString& user, const QString& conversationId) {
            if (user == userId_) {
                emit conversationChanged(conversationId);
            }
        },
        Qt::QueuedConnection);
}

LocalChatService::~LocalChatService() {
    mailbox_->close();
}

void LocalChatService::createConversation(const QString& title, Reply<store::Conversation> reply) {
    run<store::Conversation>(
        [title](ChatWorker& w, const QString& user) { return w.createConversation(user, title); },
        std::move(reply));
}

void LocalChatService::listConversations(bool includeArchived,
                                         Reply<std::vector<store::Conversation>> reply) {
    run<std::vector<store::Conversation>>(
        [includeArchived](ChatWorker& w, const QString& user) {
            return w.listConversations(user, includeArchived);
        },
        std::move(reply));
}

void LocalChatService::conversation(const QString& conversationId, Reply<ConversationView> reply) {
    run<ConversationView>(
        [conversationId](ChatWorker& w, const QString& user) {
            return w.conversation(user, conversationId);
        },
        std::move(reply));
}

void LocalChatService::renameConversation(const QString& conversationId, const QString& title,
                                          Reply<Ok> reply) {
    run<Ok>(
        [conversationId, title](ChatWorker& w, const QString& user) {
            return w.renameConversation(user, conversationId, title);
        },
        std::move(reply));
}

void LocalChatService::setPinned(const QString& conversationId, bool pinned, Reply<Ok> reply) {
    run<Ok>(
        [conversationId, pinned](ChatWorker& w, const QString& user) {
            return w.setPinned(user, conversationId, pinned);
        },
        std::move(reply));
}

void LocalChatService::setArchived(const QString& conversationId, bool archived, Reply<Ok> reply) {
    run<Ok>(
        [conversationId, archived](ChatWorker& w, const QString& user) {
            return w.setArchived(user, conversationId, archived);
        },
        std::move(reply));
}

void LocalChatService::deleteConversation(const QString& conversationId, Reply<Ok> reply) {
    run<Ok>(
        [conversationId](ChatWorker& w, const QString& user) {
            return w.deleteConversation(user, conversationId);
        },
        std::move(reply));
}

void LocalChatService::send(const SendRequest& request, Reply<StreamStarted> reply) {
    run<StreamStarted>(
        [request](ChatWorker& w, const QString& user) { return w.send(user, request); },
        std::move(reply));
}

void LocalChatService::edit(const QString& messageId, const QString& content,
                            const GenerationOptions& options, Reply<StreamStarted> reply) {
    run<StreamStarted>(
        [messageId, content, options](ChatWorker& w, const QString& user) {
            return w.edit(user, messageId, content, options);
        },
        std::move(reply));
}

void LocalChatService::regenerate(const QString& messageId, const GenerationOptions& options,
                                  Reply<StreamStarted> reply) {
    run<StreamStarted>(
        [messageId, options](ChatWorker& w, const QString& user) {
            return w.regenerate(user, messageId, options);
        },
        std::move(reply));
}

void LocalChatService::continueAnswer(const QString& messageId, const GenerationOptions& options,
                                      Reply<StreamStarted> reply) {
    run<StreamStarted>(
        [messageId, options](ChatWorker& w, const QString& user) {
            return w.continueAnswer(user, messageId, options);
        },
        std::move(reply));
}

void LocalChatService::cancel(const QString& streamId, Reply<Ok> reply) {
    run<Ok>([streamId](ChatWorker& w, const QString& user) { return w.cancel(user, streamId); },
            std::move(reply));
}

void LocalChatService::switchBranch(const QString& messageId, Reply<ConversationView> reply) {
    run<ConversationView>(
        [messageId](ChatWorker& w, const QString& user) { return w.switchBranch(user, messageId); },
        std::move(reply));
}

void LocalChatService::contextReport(const QString& assistantMessageId,
                                     Reply<ContextReport> reply) {
    run<ContextReport>(
        [assistantMessageId](ChatWorker& w, const QString& user) {
            return w.contextReport(user, assistantMessageId);
        },
        std::move(reply));
}

void LocalChatService::search(const QString& text, Reply<std::vector<store::SearchHit>> reply) {
    run<std::vector<store::SearchHit>>(
        [text](ChatWorker& w, const QString& user) { return w.search(user, text); },
        std::move(reply));
}

void LocalChatService::exportConversations(const QStringList& conversationIds,
                                           Reply<QByteArray> reply) {
    run<QByteArray>(
        [conversationIds](ChatWorker& w, const QString& user) {
            return w.exportConversations(user, conversationIds);
        },
        std::move(reply));
}

void LocalChatService::importConversations(const QByteArray& json, Reply<int> reply) {
    run<int>(
        [json](ChatWorker& w, const QString& user) { return w.importConversations(user, json); },
        std::move(reply));
}

void LocalChatService::models(Reply<std::vector<ModelInfo>> reply) {
    run<std::vector<ModelInfo>>([](ChatWorker& w, const QString&) { return w.models(); },
                                std::move(reply));
}

void LocalChatService::usage(Reply<store::UsageTotals> reply) {
    run<store::UsageTotals>([](ChatWorker& w, const QString& user) { return w.usage(user); },
                            std::move(reply));
}

}  // namespace parley::chat
