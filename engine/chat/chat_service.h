// ChatService: the one interface through which the desktop app, the gateway and the tests use
// conversations. Two implementations pass the same tests: LocalChatService (in-process: store,
// pipeline, engine) and RemoteChatService (a parley-server over its WebSocket channel).
//
// A ChatService acts for one user, fixed when it is made: it can only see and change that user's
// conversations (another user's id answers "not found", never its content).
//
// Every operation is asynchronous and never blocks the calling thread: the reply callback runs
// later on the thread the service lives on (the UI thread in the app), exactly once, with a value
// or an error. Generation progress arrives through the streamEvent signal on the same thread.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <vector>

#include "common/result.h"
#include "store/conversation.h"
#include "store/message.h"

namespace parley::chat {

template <class T>
using Reply = std::function<void(Result<T>)>;

// Sampling and length settings for one answer; unset fields take the model's/the app's defaults.
struct GenerationOptions {
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<int> topK;
    std::optional<double> minP;
    std::optional<double> presencePenalty;
    std::optional<double> frequencyPenalty;
    std::optional<quint64> seed;
    std::optional<int> maxTokens;
    QStringList stop;
    QString systemPrompt;  // empty: the conversation's or the app's default
};

// A file whose text goes into the message's context; `name` is shown as a chip.
struct Attachment {
    QString name;
    QString mimeType;
    QString text;
};

struct SendRequest {
    QString conversationId;
    // The message to answer under; empty: the end of the active branch.
    QString parentId;
    QString content;
    // Idempotency: a request repeating a clientMessageId already accepted in this conversation
    // gets the same StreamStarted back and starts no second answer.
    QString clientMessageId;
    QString model;  // an id from models(), "auto" or empty for the default
    GenerationOptions options;
    std::vector<Attachment> attachments;
};

// Answer accepted: the user message is committed, the answer row exists (status streaming).
struct StreamStarted {
    QString streamId;
    QString userMessageId;  // empty for regenerate/continue
    QString assistantMessageId;
    QString model;
};

// One event of an answer's stream. Events of a stream carry increasing `sequence` numbers from 1
// so that a client can resume after a dropped connection (Last-Event-ID).
struct StreamEvent {
    enum class Kind { Token, Done, Error };
    Kind kind = Kind::Token;
    QString streamId;
    QString conversationId;
    QString messageId;
    qint64 sequence = 0;
    QString text;  // Token: the delta (whole UTF-8 characters)
    // Done/Error:
    store::MessageStatus status = store::MessageStatus::Complete;  // complete, cancelled, failed
    QString finishReason;                                          // stop, length, cancelled, error
    QString error;                                                 // Error: why, readable
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    qint64 ttftMs = 0;
    qint64 totalMs = 0;
};

// A message with its place among its siblings, for the `‹ 2/3 ›` branch switcher.
struct MessageNode {
    store::Message message;
    int siblingIndex = 0;  // 0-based among the children of its parent
    int siblingCount = 1;
    QStringList siblingIds;  // in order; siblingIds[siblingIndex] == message.id
};

struct ConversationView {
    store::Conversation conversation;
    std::vector<MessageNode> messages;  // the active branch, root first
};

// What went into one answer's prompt and what was left out (the app's context inspector).
struct ContextPart {
    enum class Kind { SystemPrompt, Summary, Turn, Attachment, Memory, Document };
    Kind kind = Kind::Turn;
    QString messageId;  // for turns
    QString label;      // e.g. "user", "summary of 12 earlier messages", a file name
    int tokens = 0;
    bool included = true;  // false: cut to fit the budget
};
struct ContextReport {
    QString messageId;  // the answer
    QString model;
    int contextTokens = 0;   // the model's window
    int promptTokens = 0;    // what was used
    int reservedTokens = 0;  // kept free for the answer
    std::vector<ContextPart> parts;
};

struct ModelInfo {
    QString id;
    QString displayName;
    QString architecture;
    int contextTokens = 0;
    bool isDefault = false;
};

class ChatService : public QObject {
    Q_OBJECT
  public:
    using QObject::QObject;
    ~ChatService() override = default;

    // Conversations.
    virtual void createConversation(const QString& title, Reply<store::Conversation> reply) = 0;
    virtual void listConversations(bool includeArchived,
                                   Reply<std::vector<store::Conversation>> reply) = 0;
    virtual void conversation(const QString& conversationId, Reply<ConversationView> reply) = 0;
    virtual void renameConversation(const QString& conversationId, const QString& title,
                                    Reply<Ok> reply) = 0;
    virtual void setPinned(const QString& conversationId, bool pinned, Reply<Ok> reply) = 0;
    virtual void setArchived(const QString& conversationId, bool archived, Reply<Ok> reply) = 0;
    virtual void deleteConversation(const QString& conversationId, Reply<Ok> reply) = 0;

    // Answers.
    virtual void send(const SendRequest& request, Reply<StreamStarted> reply) = 0;
    // A new sibling of user message `messageId` with `content`, and a new answer to it.
    virtual void edit(const QString& messageId, const QString& content,
                      const GenerationOptions& options, Reply<StreamStarted> reply) = 0;
    // A new sibling answer to the user message above assistant message `messageId`.
    virtual void regenerate(const QString& messageId, const GenerationOptions& options,
                            Reply<StreamStarted> reply) = 0;
    // Goes on generating after the end of assistant message `messageId` (cut by length or stop).
    virtual void continueAnswer(const QString& messageId, const GenerationOptions& options,
                                Reply<StreamStarted> reply) = 0;
    // Stops a stream; the partial answer is kept with status cancelled.
    virtual void cancel(const QString& streamId, Reply<Ok> reply) = 0;
    // Makes the branch through `messageId` the active one (down to its latest leaf).
    virtual void switchBranch(const QString& messageId, Reply<ConversationView> reply) = 0;
    virtual void contextReport(const QString& assistantMessageId, Reply<ContextReport> reply) = 0;

    // Search, export, import.
    virtual void search(const QString& text, Reply<std::vector<store::SearchHit>> reply) = 0;
    // Parley's JSON export of the given conversations (all of the user's when empty).
    virtual void exportConversations(const QStringList& conversationIds,
                                     Reply<QByteArray> reply) = 0;
    // Parley's export or a ChatGPT data export's conversations.json; returns conversations added.
    virtual void importConversations(const QByteArray& json, Reply<int> reply) = 0;

    virtual void models(Reply<std::vector<ModelInfo>> reply) = 0;

  signals:
    void streamEvent(const parley::chat::StreamEvent& event);
    // A conversation's list entry changed behind the caller's back (a generated title, a new
    // message from another client).
    void conversationChanged(const QString& conversationId);
};

}  // namespace parley::chat
