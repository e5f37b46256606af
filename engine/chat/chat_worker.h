// The chat pipeline's home thread: owns the store (the one writer connection and its
// repositories), runs every request's stages, receives the engines' stream events and
// checkpoints streaming answers. Created and driven by ChatCore; every method below runs on the
// worker's thread, so none of them locks anything.
//
// A request runs as stages, each a timed span under parley.chat.pipeline:
//   input checks -> model choice -> history -> hooks (memory, retrieval, tools, moderation)
//   -> prompt assembly (context builder, chat template) -> persist the question (committed before
//   the request is accepted) -> engine submit -> stream (checkpoint every 250 ms at most)
//   -> persist the outcome -> usage record -> background title / summary.
#pragma once

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

#include "chat/chat_service.h"
#include "chat/chat_settings.h"
#include "chat/context_builder.h"
#include "chat/mailbox.h"
#include "chat/pipeline_hooks.h"
#include "serving/model_registry.h"
#include "store/accepted_request_repository.h"
#include "store/context_report_repository.h"
#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"
#include "store/summary_repository.h"
#include "store/usage_repository.h"
#include "store/user_repository.h"

namespace parley::chat {

struct ChatCoreConfig {
    QString databasePath;                      // a file, or ":memory:"
    serving::ModelRegistry* models = nullptr;  // not owned; must outlive the ChatCore
    ChatSettings settings;
    PipelineHooks hooks;  // called on the worker thread
};

class ChatWorker : public QObject {
    Q_OBJECT
  public:
    explicit ChatWorker(ChatCoreConfig config);
    ~ChatWorker() override;

    // Opens the database and marks answers a crash left streaming as interrupted.
    void open();
    // Ends every active generation (its answer is kept as interrupted) and closes the store.
    void shutdown();
    Status openStatus() const { return openStatus_; }

    Result<QString> createUser(const QString& name);

    Result<store::Conversation> createConversation(const QString& userId, const QString& title);
    Result<std::vector<store::Conversation>> listConversations(const QString& userId,
                                                               bool includeArchived);
    Result<ConversationView> conversation(const QString& userId, const QString& conversationId);
    Status renameConversation(const QString& userId, const QString& conversationId,
                              const QString& title);
    Status setPinned(const QString& userId, const QString& conversationId, bool pinned);
    Status setArchived(const QString& userId, const QString& conversationId, bool archived);
    Status deleteConversation(const QString& userId, const QString& conversationId);

    Result<StreamStarted> send(const QString& userId, const SendRequest& request);
    Result<StreamStarted> edit(const QString& userId, const QString& messageId,
                               const QString& content, const GenerationOptions& options);
    Result<StreamStarted> regenerate(const QString& userId, const QString& messageId,
                                     const GenerationOptions& options);
    Result<StreamStarted> continueAnswer(const QString& userId, const QString& messageId,
                                         const GenerationOptions& options);
    Status cancel(const QString& userId, const QString& streamId);
    Result<ConversationView> switchBranch(const QString& userId, const QString& messageId);
    Result<ContextReport> contextReport(const QString& userId, const QString& messageId);

    Result<std::vector<store::SearchHit>> search(const QString& userId, const QString& text);
    Result<QByteArray> exportConversations(const QString& userId, const QStringList& ids);
    Result<int> importConversations(const QString& userId, const QByteArray& json);
    Result<std::vector<ModelInfo>> models();

    Result<store::UsageTotals> usage(const QString& userId);

  signals:
    // Delivered to every LocalChatService; each passes on its own user's events.
    void streamEvent(const QString& userId, const parley::chat::StreamEvent& event);
    void conversationChanged(const QString& userId, const QString& conversationId);
    void summaryStored(const QString& conversationId);

  private:
    struct Generation;
    struct AnswerPlan;

    Status ready() const { return openStatus_; }
    Result<store::Conversation> ownedConversation(const QString& userId, const QString& id);
    Result<store::Message> ownedMessage(const QString& userId, const QString& id);
    Result<ConversationView> view(const store::Conversation& conversation);
    Result<std::vector<store::Message>> allMessages(const QString& conversationId);

    // A plan for answering again around `message` (edit, regenerate, continue).
    Result<AnswerPlan> planFor(const QString& userId, const store::Message& message);
    // The stages after history, in order; each returns what the next one needs.
    Result<StreamStarted> startAnswer(AnswerPlan plan);
    Result<std::vector<ContextContribution>> runHooks(const AnswerPlan& plan);
    Result<BuiltContext> assemblePrompt(const AnswerPlan& plan, const GenerationOptions& options,
                                        std::vector<ContextContribution> contributions, int window,
                                        int maxTokens);
    // Commits the question, the answer row (streaming), its context report and the client's
    // message id; fills generation.messageId.
    Result<StreamStarted> persistQuestion(const AnswerPlan& plan, ContextReport report,
                                          Generation& generation);
    // Fills generation.requestId; on a refusal the answer row ends as failed.
    Status submitAnswer(const AnswerPlan& plan, const GenerationOptions& options, int maxTokens,
                        std::vector<model::TokenId> prompt, Generation& generation);
    void markAnswerFailed(const Generation& generation);
    // Engine threads call it; it posts each event to onEngineEvent on this thread.
    serving::StreamCallback deliverTo(const QString& streamId);
    void onEngineEvent(const QString& streamId, const serving::StreamEvent& event);
    void checkpoint(Generation& generation);
    void checkpointDue();
    void finishAnswer(Generation& generation, const serving::StreamEvent& event);
    // Background jobs (background_jobs.cpp).
    void startTitle(const QString& userId, const QString& conversationId);
    void finishTitle(Generation& generation, const serving::StreamEvent& event);
    void startSummary(const QString& userId, const QString& conversationId,
                      const QString& throughMessageId);
    void finishSummary(Generation& generation, const serving::StreamEvent& event);
    Result<serving::RequestId> submitBackground(Generation& generation,
                                                const std::vector<model::TokenId>& prompt,
                                                int maxTokens);
    void recordUsage(const Generation& generation, const serving::StreamEvent& event,
                     const QString& kind);

    ChatCoreConfig config_;
    std::shared_ptr<Mailbox> mailbox_;  // engine threads post their events through it
    std::unique_ptr<store::Database> db_;
    Status openStatus_ = makeError("chat: the store is not open yet");
    std::unique_ptr<store::ConversationRepository> conversations_;
    std::unique_ptr<store::MessageRepository> messages_;
    std::unique_ptr<store::UserRepository> users_;
    std::unique_ptr<store::SummaryRepository> summaries_;
    std::unique_ptr<store::ContextReportRepository> reports_;
    std::unique_ptr<store::AcceptedRequestRepository> accepted_;
    std::unique_ptr<store::UsageRepository> usageRecords_;
    QHash<QString, std::shared_ptr<Generation>> generations_;  // by stream id
    QSet<QString> titling_;      // conversation ids with a title job running
    QSet<QString> summarizing_;  // conversation ids with a summary job running
    QTimer* checkpointTimer_ = nullptr;
};

}  // namespace parley::chat
