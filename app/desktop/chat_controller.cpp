#include "chat_controller.h"

#include <QClipboard>
#include <QDateTime>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUuid>

#include "app_logging.h"
#include "app_settings.h"

namespace parley::app {

namespace {

constexpr size_t kMaxEarlyEvents = 4096;
constexpr int kTitleLength = 48;

QString errorMessage(const Error& error) {
    return QString::fromStdString(error.message);
}

QString contextKindName(chat::ContextPart::Kind kind) {
    switch (kind) {
        case chat::ContextPart::Kind::SystemPrompt:
            return QStringLiteral("system prompt");
        case chat::ContextPart::Kind::Summary:
            return QStringLiteral("summary");
        case chat::ContextPart::Kind::Turn:
            return QStringLiteral("turn");
        case chat::ContextPart::Kind::Attachment:
            return QStringLiteral("file");
        case chat::ContextPart::Kind::Memory:
            return QStringLiteral("memory");
        case chat::ContextPart::Kind::Document:
            return QStringLiteral("document");
    }
    return {};
}

}  // namespace

ChatController::ChatController(chat::ChatService* service, AppSettings* settings,
                               MarkdownRenderer* renderer, QObject* parent)
    : QObject(parent), service_(service), settings_(settings), messages_(renderer) {
    if (service_)
        connect(service_, &chat::ChatService::streamEvent, this, &ChatController::onStreamEvent);
}

void ChatController::setError(const QString& text) {
    if (!text.isEmpty())
        qCWarning(lcApp) << "chat:" << text;
    if (errorText_ == text)
        return;
    errorText_ = text;
    emit errorTextChanged();
}

void ChatController::clearError() {
    setError({});
}

void ChatController::setConversationId(const QString& id) {
    if (conversationId_ == id)
        return;
    conversationId_ = id;
    emit conversationIdChanged();
}

void ChatController::setTitle(const QString& title) {
    if (title_ == title)
        return;
    title_ = title;
    emit titleChanged();
}

void ChatController::setLoading(bool loading) {
    if (loading_ == loading)
        return;
    loading_ = loading;
    emit loadingChanged();
}

void ChatController::setModel(const QString& model) {
    if (settings_)
        settings_->setThreadModel(conversationId_, model);
    if (model_ == model)
        return;
    model_ = model;
    emit modelChanged();
}

void ChatController::openConversation(const QString& conversationId) {
    if (!service_ || conversationId.isEmpty())
        return;
    const quint64 generation = ++generation_;
    early_.clear();
    if (!activeStreamId_.isEmpty()) {
        activeStreamId_.clear();  // the answer goes on in the service; the thread shows it later
        emit streamingChanged();
    }
    setConversationId(conversationId);
    setModel(settings_ ? settings_->threadModel(conversationId) : QString());
    setLoading(true);
    QElapsedTimer timer;
    timer.start();
    service_->conversation(
        conversationId, [this, generation, timer](Result<chat::ConversationView> view) {
            if (generation != generation_)
                return;
            setLoading(false);
            if (!view) {
                setError(tr("Could not open the thread: %1").arg(errorMessage(view.error())));
                return;
            }
            setError({});
            setTitle(view->conversation.title);
            messages_.setView(view.value());
            for (const chat::MessageNode& node : view->messages)
                if (node.message.status == store::MessageStatus::Streaming)
                    qCDebug(lcApp) << "thread has an answer still streaming:" << node.message.id;
            lastOpenMs_ = static_cast<int>(timer.elapsed());
            emit conversationOpened();
        });
}

void ChatController::newConversation() {
    ++generation_;
    early_.clear();
    if (!activeStreamId_.isEmpty()) {
        activeStreamId_.clear();
        emit streamingChanged();
    }
    setConversationId({});
    setTitle({});
    messages_.clear();
    attachments_.clear();
    setError({});
}

bool ChatController::send(const QString& text) {
    const QString content = text.trimmed();
    if (!service_ || streaming() || requestInFlight_)
        return false;
    if (attachments_.busy()) {
        setError(tr("The attached files are still being read; send again in a moment."));
        return false;
    }
    std::vector<chat::Attachment> files = attachments_.readyAttachments();
    if (content.isEmpty() && files.empty())
        return false;
    attachments_.clear();
    requestInFlight_ = true;
    if (!conversationId_.isEmpty()) {
        sendTo(conversationId_, content, std::move(files));
        return true;
    }
    const quint64 generation = generation_;
    const QString title =
        content.isEmpty() ? files.front().name : content.simplified().left(kTitleLength);
    service_->createConversation(title, [this, generation, content, files = std::move(files)](
                                            Result<store::Conversation> created) mutable {
        if (generation != generation_) {
            requestInFlight_ = false;
            return;
        }
        if (!created) {
            requestInFlight_ = false;
            setError(tr("Could not start a new thread: %1").arg(errorMessage(created.error())));
            return;
        }
        setConversationId(created->id);
        setTitle(created->title);
        setModel(model_);  // the model picked for the new chat stays with its thread
        emit conversationCreated(created->id);
        sendTo(created->id, content, std::move(files));
    });
    return true;
}

void ChatController::sendTo(const QString& conversationId, const QString& text,
                            std::vector<chat::Attachment> files) {
    chat::SendRequest request;
    request.conversationId = conversationId;
    request.content = text;
    request.clientMessageId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    request.model = model_;
    if (settings_)
        request.options = settings_->generationOptions();
    QJsonArray names;
    for (const chat::Attachment& file : files)
        names.append(QJsonObject{{QStringLiteral("name"), file.name}});
    request.attachments = std::move(files);
    const int parentRow = messages_.rowCount() - 1;
    const QString parentId = parentRow >= 0 ? messages_.node(parentRow)->message.id : QString();
    const QString attachmentsJson =
        QString::fromUtf8(QJsonDocument(names).toJson(QJsonDocument::Compact));
    service_->send(request, streamReply([this, text, parentId,
                                         attachmentsJson](const chat::StreamStarted& started) {
                       chat::MessageNode user;
                       user.message.id = started.userMessageId;
                       user.message.conversationId = conversationId_;
                       user.message.parentId = parentId;
                       user.message.role = QStringLiteral("user");
                       user.message.content = text;
                       user.message.attachmentsJson = attachmentsJson;
                       user.message.createdAt = QDateTime::currentMSecsSinceEpoch();
                       user.siblingIds = {started.userMessageId};
                       std::vector<chat::MessageNode> nodes{
                           user, answerNode(started, started.userMessageId, 0, {})};
                       startStream(started, messages_.rowCount(), std::move(nodes));
                   }));
}

chat::MessageNode ChatController::answerNode(const chat::StreamStarted& started,
                                             const QString& parentId, int siblingIndex,
                                             QStringList siblingIds) const {
    chat::MessageNode answer;
    answer.message.id = started.assistantMessageId;
    answer.message.conversationId = conversationId_;
    answer.message.parentId = parentId;
    answer.message.role = QStringLiteral("assistant");
    answer.message.status = store::MessageStatus::Streaming;
    answer.message.model = started.model;
    answer.message.createdAt = QDateTime::currentMSecsSinceEpoch();
    siblingIds.append(started.assistantMessageId);
    answer.siblingIds = siblingIds;
    answer.siblingIndex = siblingIndex;
    answer.siblingCount = static_cast<int>(siblingIds.size());
    return answer;
}

chat::Reply<chat::StreamStarted> ChatController::streamReply(
    std::function<void(const chat::StreamStarted&)> accept) {
    const quint64 generation = generation_;
    return [this, generation, accept = std::move(accept)](Result<chat::StreamStarted> started) {
        requestInFlight_ = false;
        if (generation != generation_)
            return;
        if (!started) {
            setError(tr("The answer could not start: %1").arg(errorMessage(started.error())));
            return;
        }
        setError({});
        accept(started.value());
    };
}

void ChatController::startStream(const chat::StreamStarted& started, int replaceRow,
                                 std::vector<chat::MessageNode> nodes) {
    messages_.replaceFrom(replaceRow, std::move(nodes));
    activeStreamId_ = started.streamId;
    emit streamingChanged();
    std::vector<chat::StreamEvent> early;
    early.swap(early_);
    for (const chat::StreamEvent& event : early)
        if (event.streamId == started.streamId)
            applyEvent(event);
}

void ChatController::onStreamEvent(const chat::StreamEvent& event) {
    if (!conversationId_.isEmpty() && event.conversationId != conversationId_)
        return;
    if (messages_.rowOfMessage(event.messageId) < 0) {
        // The StreamStarted reply may come after the first events of its stream.
        if (early_.size() < kMaxEarlyEvents)
            early_.push_back(event);
        return;
    }
    applyEvent(event);
}

void ChatController::applyEvent(const chat::StreamEvent& event) {
    if (event.kind == chat::StreamEvent::Kind::Token) {
        messages_.appendToken(event.messageId, event.text);
        return;
    }
    messages_.finishStream(event);
    if (event.kind == chat::StreamEvent::Kind::Error)
        setError(tr("The answer failed: %1").arg(event.error));
    if (event.streamId == activeStreamId_) {
        activeStreamId_.clear();
        emit streamingChanged();
    }
    const int row = messages_.rowOfMessage(event.messageId);
    const QString status =
        row >= 0 ? messages_.data(messages_.index(row), MessageListModel::StatusRole).toString()
                 : QString();
    emit answerFinished(event.messageId, status);
}

void ChatController::stop() {
    if (!service_ || activeStreamId_.isEmpty())
        return;
    service_->cancel(activeStreamId_, [this](Result<Ok> result) {
        if (!result)
            setError(tr("Could not stop the answer: %1").arg(errorMessage(result.error())));
    });
}

std::optional<ChatController::BranchRequest> ChatController::beginBranchRequest(
    const QString& messageId) {
    const int row = messages_.rowOfMessage(messageId);
    if (!service_ || row < 0 || streaming() || requestInFlight_)
        return std::nullopt;
    requestInFlight_ = true;
    return BranchRequest{row, *messages_.node(row),
                         settings_ ? settings_->generationOptions() : chat::GenerationOptions{}};
}

void ChatController::edit(const QString& userMessageId, const QString& text) {
    const QString content = text.trimmed();
    if (content.isEmpty())
        return;
    const std::optional<BranchRequest> request = beginBranchRequest(userMessageId);
    if (!request)
        return;
    service_->edit(userMessageId, content, request->options,
                   streamReply([this, row = request->row, original = request->original,
                                content](const chat::StreamStarted& started) {
                       chat::MessageNode user = original;
                       user.message.id = started.userMessageId;
                       user.message.content = content;
                       user.siblingIds.append(started.userMessageId);
                       user.siblingCount = static_cast<int>(user.siblingIds.size());
                       user.siblingIndex = user.siblingCount - 1;
                       std::vector<chat::MessageNode> nodes{
                           user, answerNode(started, started.userMessageId, 0, {})};
                       startStream(started, row, std::move(nodes));
                   }));
}

void ChatController::regenerate(const QString& assistantMessageId) {
    const std::optional<BranchRequest> request = beginBranchRequest(assistantMessageId);
    if (!request)
        return;
    service_->regenerate(
        assistantMessageId, request->options,
        streamReply([this, row = request->row,
                     original = request->original](const chat::StreamStarted& started) {
            std::vector<chat::MessageNode> nodes{
                answerNode(started, original.message.parentId,
                           static_cast<int>(original.siblingIds.size()), original.siblingIds)};
            startStream(started, row, std::move(nodes));
        }));
}

void ChatController::continueAnswer(const QString& assistantMessageId) {
    const std::optional<BranchRequest> request = beginBranchRequest(assistantMessageId);
    if (!request)
        return;
    service_->continueAnswer(
        assistantMessageId, request->options,
        streamReply([this, row = request->row,
                     original = request->original](const chat::StreamStarted& started) {
            chat::MessageNode answer = original;
            if (started.assistantMessageId != original.message.id) {
                answer = answerNode(started, original.message.id, 0, {});
            }
            answer.message.status = store::MessageStatus::Streaming;
            const int at = started.assistantMessageId == original.message.id ? row : row + 1;
            startStream(started, at, {answer});
        }));
}

void ChatController::switchBranch(int row, int step) {
    const chat::MessageNode* node = messages_.node(row);
    if (!service_ || node == nullptr || streaming())
        return;
    const int target = node->siblingIndex + step;
    if (target < 0 || target >= node->siblingIds.size())
        return;
    const quint64 generation = ++generation_;
    service_->switchBranch(
        node->siblingIds[target], [this, generation](Result<chat::ConversationView> view) {
            if (generation != generation_)
                return;
            if (!view) {
                setError(tr("Could not switch the branch: %1").arg(errorMessage(view.error())));
                return;
            }
            setError({});
            messages_.setView(view.value());
        });
}

void ChatController::inspectContext(const QString& assistantMessageId) {
    if (!service_)
        return;
    service_->contextReport(assistantMessageId, [this](Result<chat::ContextReport> report) {
        if (!report) {
            setError(tr("No context report: %1").arg(errorMessage(report.error())));
            return;
        }
        QVariantList parts;
        for (const chat::ContextPart& part : report->parts)
            parts.append(QVariantMap{{QStringLiteral("kind"), contextKindName(part.kind)},
                                     {QStringLiteral("label"), part.label},
                                     {QStringLiteral("tokens"), part.tokens},
                                     {QStringLiteral("included"), part.included}});
        contextReport_ = {{QStringLiteral("messageId"), report->messageId},
                          {QStringLiteral("model"), report->model},
                          {QStringLiteral("contextTokens"), report->contextTokens},
                          {QStringLiteral("promptTokens"), report->promptTokens},
                          {QStringLiteral("reservedTokens"), report->reservedTokens},
                          {QStringLiteral("parts"), parts}};
        emit contextReportChanged();
    });
}

void ChatController::copyCode(int row, int block) {
    const QString code = messages_.codeBlock(row, block);
    if (!code.isNull() && QGuiApplication::clipboard() != nullptr)
        QGuiApplication::clipboard()->setText(code);
}

bool ChatController::activateLink(int row, const QString& href) {
    const int block = MarkdownRenderer::codeBlockOfLink(href);
    if (block < 0)
        return false;
    copyCode(row, block);
    return true;
}

void ChatController::copyMessage(int row) {
    const chat::MessageNode* node = messages_.node(row);
    if (node != nullptr && QGuiApplication::clipboard() != nullptr)
        QGuiApplication::clipboard()->setText(node->message.content);
}

QString ChatController::lastUserMessageId() const {
    for (int row = messages_.rowCount() - 1; row >= 0; --row)
        if (messages_.node(row)->message.role == QLatin1String("user"))
            return messages_.node(row)->message.id;
    return {};
}

QString ChatController::messageText(const QString& messageId) const {
    const chat::MessageNode* node = messages_.node(messages_.rowOfMessage(messageId));
    return node != nullptr ? node->message.content : QString();
}

}  // namespace parley::app
