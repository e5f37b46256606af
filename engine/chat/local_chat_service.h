// ChatService in-process: one user's view of a ChatCore (store, pipeline, engines). Lives on the
// thread that creates it (the UI thread in the app); replies and stream events arrive there.
// Another user's conversations and messages answer "not found".
#pragma once

#include <memory>

#include "chat/chat_core.h"
#include "chat/chat_service.h"
#include "chat/mailbox.h"

namespace parley::chat {

class LocalChatService : public ChatService {
    Q_OBJECT
  public:
    LocalChatService(ChatCore& core, QString userId, QObject* parent = nullptr);
    ~LocalChatService() override;

    const QString& userId() const { return userId_; }

    void createConversation(const QString& title, Reply<store::Conversation> reply) override;
    void listConversations(bool includeArchived,
                           Reply<std::vector<store::Conversation>> reply) override;
    void conversation(const QString& conversationId, Reply<ConversationView> reply) override;
    void renameConversation(const QString& conversationId, const QString& title,
                            Reply<Ok> reply) override;
    void setPinned(const QString& conversationId, bool pinned, Reply<Ok> reply) override;
    void setArchived(const QString& conversationId, bool archived, Reply<Ok> reply) override;
    void deleteConversation(const QString& conversationId, Reply<Ok> reply) override;

    void send(const SendRequest& request, Reply<StreamStarted> reply) override;
    void edit(const QString& messageId, const QString& content, const GenerationOptions& options,
              Reply<StreamStarted> reply) override;
    void regenerate(const QString& messageId, const GenerationOptions& options,
                    Reply<StreamStarted> reply) override;
    void continueAnswer(const QString& messageId, const GenerationOptions& options,
                        Reply<StreamStarted> reply) override;
    void cancel(const QString& streamId, Reply<Ok> reply) override;
    void switchBranch(const QString& messageId, Reply<ConversationView> reply) override;
    void contextReport(const QString& assistantMessageId, Reply<ContextReport> reply) override;

    void search(const QString& text, Reply<std::vector<store::SearchHit>> reply) override;
    void exportConversations(const QStringList& conversationIds, Reply<QByteArray> reply) override;
    void importConversations(const QByteArray& json, Reply<int> reply) override;

    void models(Reply<std::vector<ModelInfo>> reply) override;

    // Not part of ChatService: the user's token usage so far (all model calls).
    void usage(Reply<store::UsageTotals> reply);

  private:
    template <class T>
    void run(std::function<Result<T>(ChatWorker&, const QString&)> job, Reply<T> reply) {
        core_.run<T>(
            mailbox_,
            [job = std::move(job), user = userId_](ChatWorker& w) { return job(w, user); },
            std::move(reply));
    }

    ChatCore& core_;
    QString userId_;
    std::shared_ptr<Mailbox> mailbox_;
};

}  // namespace parley::chat
