// The chat view's actions on one open thread: send (with the attached files), stop, edit a user
// message, regenerate or continue an answer, switch branches, inspect an answer's context. It
// owns the thread's MessageListModel and feeds it from the ChatService's replies and stream
// events: rows for a new message and its answer appear when the service accepts the request, and
// tokens are appended to the answer's row as they arrive.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QVariantMap>

#include <optional>
#include <vector>

#include "attachment_list_model.h"
#include "chat/chat_service.h"
#include "message_list_model.h"

namespace parley::app {

class AppSettings;

class ChatController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ChatController belongs to the AppSession")

    Q_PROPERTY(parley::app::MessageListModel* messages READ messages CONSTANT)
    Q_PROPERTY(parley::app::AttachmentListModel* attachments READ attachments CONSTANT)
    /** The open thread; empty for a new chat not sent yet. */
    Q_PROPERTY(QString conversationId READ conversationId NOTIFY conversationIdChanged)
    /** The open thread's title; empty for a new chat. */
    Q_PROPERTY(QString title READ title NOTIFY titleChanged)
    /** An answer is streaming in this thread (the composer shows Stop). */
    Q_PROPERTY(bool streaming READ streaming NOTIFY streamingChanged)
    /** A thread is being opened. */
    Q_PROPERTY(bool loading READ loading NOTIFY loadingChanged)
    /** Model for this thread's next answers; empty: the default model. Remembered per thread
        (AppSettings::threadModel) and chosen again when the thread is opened. */
    Q_PROPERTY(QString model READ model WRITE setModel NOTIFY modelChanged)
    /** The last failure, readable, with what to do; empty when the last action worked. */
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    /** Milliseconds the last openConversation took until its rows were in the model. */
    Q_PROPERTY(int lastOpenMs READ lastOpenMs NOTIFY conversationOpened)
    /** The context report asked for with inspectContext(): model, contextTokens, promptTokens,
        reservedTokens and parts (kind, label, tokens, included). */
    Q_PROPERTY(QVariantMap contextReport READ contextReport NOTIFY contextReportChanged)

  public:
    ChatController(chat::ChatService* service, AppSettings* settings, MarkdownRenderer* renderer,
                   QObject* parent = nullptr);

    MessageListModel* messages() { return &messages_; }
    AttachmentListModel* attachments() { return &attachments_; }
    QString conversationId() const { return conversationId_; }
    QString title() const { return title_; }
    /** The title changed elsewhere (renamed in the sidebar, generated after the first answer). */
    void setTitle(const QString& title);
    bool streaming() const { return !activeStreamId_.isEmpty(); }
    bool loading() const { return loading_; }
    QString model() const { return model_; }
    void setModel(const QString& model);
    QString errorText() const { return errorText_; }
    int lastOpenMs() const { return lastOpenMs_; }
    QVariantMap contextReport() const { return contextReport_; }

    Q_INVOKABLE void openConversation(const QString& conversationId);
    /** An empty chat; the thread is created when its first message is sent. */
    Q_INVOKABLE void newConversation();
    /** Sends `text` with the ready attachments; false when there is nothing to send, an answer
        is still streaming or files are still being read. */
    Q_INVOKABLE bool send(const QString& text);
    Q_INVOKABLE void stop();
    Q_INVOKABLE void edit(const QString& userMessageId, const QString& text);
    Q_INVOKABLE void regenerate(const QString& assistantMessageId);
    Q_INVOKABLE void continueAnswer(const QString& assistantMessageId);
    /** Shows the sibling `step` places from the message in `row` (-1: previous, +1: next). */
    Q_INVOKABLE void switchBranch(int row, int step);
    Q_INVOKABLE void inspectContext(const QString& assistantMessageId);
    /** Copies code block `block` of the message in `row` to the clipboard. */
    Q_INVOKABLE void copyCode(int row, int block);
    Q_INVOKABLE void copyMessage(int row);
    /** A link clicked in the message in `row`: a code block's copy link copies it; any other
        link is never fetched nor opened (the view shows its address). True when handled. */
    Q_INVOKABLE bool activateLink(int row, const QString& href);
    /** The last user message of the branch (for "Up edits the last message"); "" when none. */
    Q_INVOKABLE QString lastUserMessageId() const;
    Q_INVOKABLE QString messageText(const QString& messageId) const;
    Q_INVOKABLE void clearError();

  signals:
    void conversationIdChanged();
    void titleChanged();
    void streamingChanged();
    void loadingChanged();
    void modelChanged();
    void errorTextChanged();
    void contextReportChanged();
    /** The first message of a new chat created its thread. */
    void conversationCreated(const QString& conversationId);
    void conversationOpened();
    /** An answer of this thread finished (status "complete", "cancelled" or "failed"). */
    void answerFinished(const QString& messageId, const QString& status);

  private:
    void setError(const QString& text);
    void setConversationId(const QString& id);
    void setLoading(bool loading);
    void sendTo(const QString& conversationId, const QString& text,
                std::vector<chat::Attachment> files);
    void startStream(const chat::StreamStarted& started, int replaceRow,
                     std::vector<chat::MessageNode> nodes);
    void onStreamEvent(const chat::StreamEvent& event);
    void applyEvent(const chat::StreamEvent& event);
    chat::MessageNode answerNode(const chat::StreamStarted& started, const QString& parentId,
                                 int siblingIndex, QStringList siblingIds) const;
    chat::Reply<chat::StreamStarted> streamReply(
        std::function<void(const chat::StreamStarted&)> accept);
    // Edit, regenerate and continue start from a message already shown.
    struct BranchRequest {
        int row = -1;
        chat::MessageNode original;
        chat::GenerationOptions options;
    };
    // The shown message and the options to use, with a request now in flight; nullopt when no
    // request can start (no service, unknown message, already streaming or waiting).
    std::optional<BranchRequest> beginBranchRequest(const QString& messageId);

    QPointer<chat::ChatService> service_;
    QPointer<AppSettings> settings_;
    MessageListModel messages_;
    AttachmentListModel attachments_;
    QString conversationId_;
    QString title_;
    QString activeStreamId_;
    QString model_;
    QString errorText_;
    QVariantMap contextReport_;
    bool loading_ = false;
    bool requestInFlight_ = false;
    int lastOpenMs_ = 0;
    quint64 generation_ = 0;  // bumped when another thread opens: late replies are dropped
    // Events of a stream whose StreamStarted reply has not arrived yet.
    std::vector<chat::StreamEvent> early_;
};

}  // namespace parley::app
