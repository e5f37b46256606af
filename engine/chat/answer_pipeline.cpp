// The ChatWorker's answer path: the stages of one request, the stream, and the background jobs
// (titles, summaries) that follow answers.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QUuid>

#include "chat/chat_worker.h"
#include "chat/context_builder.h"
#include "chat/context_report_json.h"
#include "chat/generation.h"
#include "chat/logging.h"
#include "chat/stage_span.h"

namespace parley::chat {

namespace {

constexpr int kMaxMessageChars = 200000;
constexpr int kSummaryTurnChars = 600;
constexpr int kTitleSourceChars = 500;
constexpr int kTitleChars = 60;

QString newId() {
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString text(const std::string& s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

Error chatError(const QString& message) {
    return makeError(QStringLiteral("chat: %1").arg(message).toStdString());
}

// The request's options over the app's defaults.
GenerationOptions merged(const GenerationOptions& defaults, const GenerationOptions& request) {
    GenerationOptions o = defaults;
    const auto take = [](auto& into, const auto& from) {
        if (from) {
            into = from;
        }
    };
    take(o.temperature, request.temperature);
    take(o.topP, request.topP);
    take(o.topK, request.topK);
    take(o.minP, request.minP);
    take(o.presencePenalty, request.presencePenalty);
    take(o.frequencyPenalty, request.frequencyPenalty);
    take(o.seed, request.seed);
    take(o.maxTokens, request.maxTokens);
    if (!request.stop.isEmpty()) {
        o.stop = request.stop;
    }
    if (!request.systemPrompt.isEmpty()) {
        o.systemPrompt = request.systemPrompt;
    }
    return o;
}

sampling::SamplingParams samplingFor(const GenerationOptions& o) {
    sampling::SamplingParams p;
    p.temperature = float(o.temperature.value_or(p.temperature));
    p.topP = float(o.topP.value_or(p.topP));
    p.topK = o.topK.value_or(p.topK);
    p.minP = float(o.minP.value_or(p.minP));
    p.presencePenalty = float(o.presencePenalty.value_or(p.presencePenalty));
    p.frequencyPenalty = float(o.frequencyPenalty.value_or(p.frequencyPenalty));
    p.seed = o.seed.value_or(QRandomGenerator::global()->generate64());
    return p;
}

store::MessageStatus statusOf(serving::CompletionReason reason) {
    switch (reason) {
        case serving::CompletionReason::Stop:
        case serving::CompletionReason::Length:
            return store::MessageStatus::Complete;
        case serving::CompletionReason::Cancelled:
            return store::MessageStatus::Cancelled;
        case serving::CompletionReason::Error:
            break;
    }
    return store::MessageStatus::Failed;
}

QString attachmentsText(const std::vector<Attachment>& attachments) {
    QString all;
    for (const Attachment& a : attachments) {
        all += QStringLiteral("\n\n[Attached file: %1]\n%2").arg(a.name, a.text);
    }
    return all;
}

QString attachmentsToJson(const std::vector<Attachment>& attachments) {
    QJsonArray list;
    for (const Attachment& a : attachments) {
        list.append(QJsonObject{{"name", a.name}, {"mimeType", a.mimeType}, {"text", a.text}});
    }
    return QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

std::vector<Attachment> attachmentsFromJson(const QString& json) {
    std::vector<Attachment> attachments;
    for (const QJsonValue& value : QJsonDocument::fromJson(json.toUtf8()).array()) {
        const QJsonObject o = value.toObject();
        attachments.push_back({o.value("name").toString(), o.value("mimeType").toString(),
                               o.value("text").toString()});
    }
    return attachments;
}

std::vector<ContextTurn> turnsOf(const std::vector<store::Message>& history) {
    std::vector<ContextTurn> turns;
    for (const store::Message& m : history) {
        // Failed answers and empty ones taught the model nothing; system and tool rows are not
        // turns of the dialogue.
        if ((m.role != QLatin1String("user") && m.role != QLatin1String("assistant")) ||
            m.content.isEmpty() || m.status == store::MessageStatus::Failed) {
            continue;
        }
        turns.push_back(
            {m.id, m.role, m.content + attachmentsText(attachmentsFromJson(m.attachmentsJson))});
    }
    return turns;
}

}  // namespace

// Everything startAnswer needs, gathered by send/edit/regenerate/continue.
struct ChatWorker::AnswerPlan {
    QString userId;
    store::Conversation conversation;
    std::shared_ptr<const serving::HostedModel> model;
    std::vector<store::Message> history;  // root first; ends where the answer's context ends
    // send/edit: the new user message and the message it goes under (empty: a root message).
    std::optional<QString> userContent;
    QString userParentId;
    std::vector<Attachment> attachments;
    QString answerParentId;     // regenerate: the user message answered again
    QString continueMessageId;  // continue: the answer that goes on (history's last)
    QString clientMessageId;
    GenerationOptions options;
    QString requestId;  // becomes the stream id; names the request in the pipeline's log lines
};

Result<ChatWorker::AnswerPlan> ChatWorker::planFor(const QString& userId,
                                                   const store::Message& message) {
    AnswerPlan plan;
    plan.requestId = newId();
    plan.userId = userId;
    Result<store::Conversation> c = ownedConversation(userId, message.conversationId);
    if (!c) {
        return c.error();
    }
    plan.conversation = std::move(c.value());
    if (config_.models != nullptr) {
        // The model that wrote the message, while it is loaded; else the default.
        plan.model = config_.models->find(message.model.toStdString());
        if (!plan.model) {
            plan.model = config_.models->find({});
        }
    }
    if (!plan.model) {
        return chatError(QStringLiteral("no model is loaded"));
    }
    return plan;
}

Result<StreamStarted> ChatWorker::send(const QString& userId, const SendRequest& request) {
    AnswerPlan plan;
    plan.requestId = newId();
    plan.userId = userId;
    {
        StageSpan span("input checks", plan.requestId);
        Result<store::Conversation> c = ownedConversation(userId, request.conversationId);
        if (!c) {
            return c.error();
        }
        plan.conversation = std::move(c.value());
        if (request.content.trimmed().isEmpty() && request.attachments.empty()) {
            return chatError(QStringLiteral("the message is empty"));
        }
        if (request.content.size() > kMaxMessageChars) {
            return chatError(QStringLiteral("the message has %1 characters; the limit is %2")
                                 .arg(request.content.size())
                                 .arg(kMaxMessageChars));
        }
        if (!request.clientMessageId.isEmpty()) {
            auto seen = accepted_->find(request.conversationId, request.clientMessageId);
            if (!seen) {
                return seen.error();
            }
            if (seen->has_value()) {
                const store::AcceptedRequest& a = **seen;
                qCInfo(lcChat).noquote() << "client message" << request.clientMessageId
                                         << "already accepted as stream" << a.streamId;
                return StreamStarted{a.streamId, a.userMessageId, a.assistantMessageId, a.model};
            }
        }
    }
    plan.userContent = request.content;
    plan.attachments = request.attachments;
    plan.clientMessageId = request.clientMessageId;
    plan.options = request.options;
    {
        StageSpan span("model choice", plan.requestId);
        if (config_.models == nullptr ||
            !(plan.model = config_.models->find(request.model.toStdString()))) {
            return chatError(request.model.isEmpty() || request.model == QLatin1String("auto")
                                 ? QStringLiteral("no model is loaded")
                                 : QStringLiteral("no model '%1' is loaded").arg(request.model));
        }
    }
    {
        StageSpan span("history", plan.requestId);
        plan.userParentId =
            request.parentId.isEmpty() ? plan.conversation.activeLeafMessageId : request.parentId;
        if (!plan.userParentId.isEmpty()) {
            Result<std::vector<store::Message>> path = messages_->pathTo(plan.userParentId);
            if (!path || path->front().conversationId != plan.conversation.id) {
                return chatError(QStringLiteral("message %1 not found in conversation %2")
                                     .arg(plan.userParentId, plan.conversation.id));
            }
            plan.history = std::move(path.value());
        }
    }
    return startAnswer(std::move(plan));
}

Result<StreamStarted> ChatWorker::edit(const QString& userId, const QString& messageId,
                                       const QString& content, const GenerationOptions& options) {
    Result<store::Message> original = ownedMessage(userId, messageId);
    if (!original) {
        return original.error();
    }
    if (original->role != QLatin1String("user")) {
        return chatError(QStringLiteral("message %1 is not a user message; only those are edited")
                             .arg(messageId));
    }
    SendRequest request;
    request.conversationId = original->conversationId;
    request.content = content;
    request.options = options;
    // The edited message keeps its files.
    request.attachments = attachmentsFromJson(original->attachmentsJson);
    if (original->parentId.isEmpty()) {
        // A new root: there is no parent to name, so the plan is made here.
        if (content.trimmed().isEmpty()) {
            return chatError(QStringLiteral("the message is empty"));
        }
        Result<AnswerPlan> planned = planFor(userId, *original);
        if (!planned) {
            return planned.error();
        }
        AnswerPlan plan = std::move(planned.value());
        plan.userContent = content;
        plan.attachments = request.attachments;
        plan.options = options;
        return startAnswer(std::move(plan));
    }
    request.parentId = original->parentId;
    return send(userId, request);
}

Result<StreamStarted> ChatWorker::regenerate(const QString& userId, const QString& messageId,
                                             const GenerationOptions& options) {
    Result<store::Message> answer = ownedMessage(userId, messageId);
    if (!answer) {
        return answer.error();
    }
    if (answer->role != QLatin1String("assistant") || answer->parentId.isEmpty()) {
        return chatError(QStringLiteral("message %1 is not an answer").arg(messageId));
    }
    Result<AnswerPlan> planned = planFor(userId, *answer);
    if (!planned) {
        return planned.error();
    }
    AnswerPlan plan = std::move(planned.value());
    Result<std::vector<store::Message>> path = messages_->pathTo(answer->parentId);
    if (!path) {
        return path.error();
    }
    plan.history = std::move(path.value());
    plan.answerParentId = answer->parentId;
    plan.options = options;
    return startAnswer(std::move(plan));
}

Result<StreamStarted> ChatWorker::continueAnswer(const QString& userId, const QString& messageId,
                                                 const GenerationOptions& options) {
    Result<store::Message> answer = ownedMessage(userId, messageId);
    if (!answer) {
        return answer.error();
    }
    if (answer->role != QLatin1String("assistant") ||
        answer->status == store::MessageStatus::Streaming) {
        return chatError(
            QStringLiteral("message %1 is not a finished answer to continue").arg(messageId));
    }
    Result<AnswerPlan> planned = planFor(userId, *answer);
    if (!planned) {
        return planned.error();
    }
    AnswerPlan plan = std::move(planned.value());
    Result<std::vector<store::Message>> path = messages_->pathTo(messageId);
    if (!path) {
        return path.error();
    }
    plan.history = std::move(path.value());
    plan.continueMessageId = messageId;
    plan.options = options;
    return startAnswer(std::move(plan));
}

Result<StreamStarted> ChatWorker::startAnswer(AnswerPlan plan) {
    const ChatSettings& settings = config_.settings;
    const GenerationOptions options = merged(settings.defaultOptions, plan.options);
    const HookInput hookInput{plan.userId, plan.conversation.id,
                              plan.userContent.value_or(QString())};

    std::vector<ContextContribution> contributions;
    {
        StageSpan span("hooks", plan.requestId);
        const PipelineHooks& hooks = config_.hooks;
        if (hooks.moderation != nullptr) {
            if (Status allowed = hooks.moderation->checkInput(hookInput); !allowed) {
                return allowed.error();
            }
        }
        const auto add = [&](Result<std::vector<ContextContribution>> more) -> Status {
            if (!more) {
                return more.error();
            }
            contributions.insert(contributions.end(), more->begin(), more->end());
            return Ok{};
        };
        if (hooks.memory != nullptr) {
            if (Status s = add(hooks.memory->recall(hookInput)); !s) {
                return s.error();
            }
        }
        if (hooks.retrieval != nullptr) {
            if (Status s = add(hooks.retrieval->retrieve(hookInput)); !s) {
                return s.error();
            }
        }
        if (hooks.tools != nullptr) {
            if (Status s = add(hooks.tools->describeTools(hookInput)); !s) {
                return s.error();
            }
        }
    }

    const int window = contextWindow(*plan.model, settings.contextTokens);
    const int maxTokens = std::clamp(options.maxTokens.value_or(settings.defaultMaxTokens), 1,
                                     std::max(1, window / 2));
    BuiltContext built;
    {
        StageSpan span("prompt assembly", plan.requestId);
        ContextInput input;
        input.systemPrompt =
            options.systemPrompt.isEmpty() ? settings.defaultSystemPrompt : options.systemPrompt;
        input.contributions = contributions;
        input.turns = turnsOf(plan.history);
        if (plan.userContent) {
            input.turns.push_back({QString(), QStringLiteral("user"),
                                   *plan.userContent + attachmentsText(plan.attachments)});
        }
        input.continueLastTurn = !plan.continueMessageId.isEmpty();
        if (input.turns.empty() ||
            (input.continueLastTurn && input.turns.back().messageId != plan.continueMessageId)) {
            return chatError(QStringLiteral("there is nothing to answer"));
        }
        input.contextTokens = window;
        input.reservedTokens = maxTokens;
        Result<std::vector<store::Summary>> summaries =
            summaries_->listForConversation(plan.conversation.id);
        if (!summaries) {
            return summaries.error();
        }
        for (const store::Summary& s : *summaries) {
            const bool onBranch =
                std::any_of(input.turns.begin(), input.turns.end(),
                            [&](const ContextTurn& t) { return t.messageId == s.lastMessageId; });
            if (onBranch) {
                input.summary = ContextSummary{s.content, s.lastMessageId, s.messageCount};
                break;
            }
        }
        Result<BuiltContext> context = buildContext(*plan.model->loaded, input);
        if (!context) {
            return context.error();
        }
        built = std::move(context.value());
        for (const Attachment& a : plan.attachments) {
            built.report.parts.push_back({ContextPart::Kind::Attachment, QString(), a.name,
                                          countTokens(*plan.model->loaded, a.text), true});
        }
    }

    auto generation = std::make_shared<Generation>();
    generation->streamId = plan.requestId;
    generation->userId = plan.userId;
    generation->conversationId = plan.conversation.id;
    generation->model = plan.model;
    generation->summarizeThroughMessageId = built.summarizeThroughMessageId;
    const QString modelId = QString::fromStdString(plan.model->id);
    StreamStarted started;
    started.streamId = generation->streamId;
    started.model = modelId;
    {
        // The question is committed before the request is accepted.
        StageSpan span("persist question", plan.requestId);
        QString answerParent = plan.answerParentId;
        if (plan.userContent) {
            store::NewMessage question;
            question.conversationId = plan.conversation.id;
            question.parentId = plan.userParentId;
            question.role = QStringLiteral("user");
            question.content = *plan.userContent;
            question.attachmentsJson = attachmentsToJson(plan.attachments);
            Result<store::Message> stored = messages_->append(question);
            if (!stored) {
                return stored.error();
            }
            started.userMessageId = stored->id;
            answerParent = stored->id;
        }
        if (plan.continueMessageId.isEmpty()) {
            store::NewMessage answer;
            answer.conversationId = plan.conversation.id;
            answer.parentId = answerParent;
            answer.role = QStringLiteral("assistant");
            answer.status = store::MessageStatus::Streaming;
            answer.model = modelId;
            Result<store::Message> stored = messages_->append(answer);
            if (!stored) {
                return stored.error();
            }
            generation->messageId = stored->id;
        } else {
            generation->messageId = plan.continueMessageId;
            generation->prefix = plan.history.back().content;
            if (Status s =
                    messages_->setStatus(plan.continueMessageId, store::MessageStatus::Streaming);
                !s) {
                return s.error();
            }
            // The branch goes on from this answer, so it becomes the one shown.
            if (Status s =
                    conversations_->setActiveLeaf(plan.conversation.id, plan.continueMessageId);
                !s) {
                return s.error();
            }
        }
        started.assistantMessageId = generation->messageId;
        built.report.messageId = generation->messageId;
        built.report.model = modelId;
        Status kept = reports_->put(generation->messageId, contextReportToJson(built.report));
        if (kept && !plan.clientMessageId.isEmpty()) {
            kept = accepted_->record({plan.conversation.id, plan.clientMessageId, started.streamId,
                                      started.userMessageId, started.assistantMessageId, modelId});
        }
        if (!kept) {
            store::MessageCompletion failed;
            failed.status = store::MessageStatus::Failed;
            failed.content = generation->prefix;
            failed.finishReason = QStringLiteral("error");
            (void)messages_->finish(generation->messageId, failed);
            return kept.error();
        }
    }
    {
        StageSpan span("engine submit", plan.requestId);
        serving::ServingRequest request;
        request.user = plan.userId.toStdString();
        request.priority = serving::Priority::Interactive;
        request.prompt = std::move(built.tokens);
        request.maxNewTokens = maxTokens;
        request.sampling = samplingFor(options);
        for (const QString& stop : options.stop) {
            request.stopStrings.push_back(stop.toStdString());
        }
        request.onEvent = [box = mailbox_, self = this,
                           streamId = generation->streamId](serving::StreamEvent&& event) {
            box->post([self, streamId, event = std::move(event)] {
                self->onEngineEvent(streamId, event);
            });
        };
        serving::RequestHandle handle = plan.model->engine->submit(std::move(request));
        if (handle.status != serving::SubmitStatus::Accepted) {
            const QString why = handle.status == serving::SubmitStatus::Overloaded
                                    ? QStringLiteral(
                                          "model %1 is overloaded (too many requests are waiting); "
                                          "try again shortly")
                                          .arg(modelId)
                                    : QStringLiteral("model %1 refused the request: %2")
                                          .arg(modelId, text(handle.error));
            store::MessageCompletion failed;
            failed.status = store::MessageStatus::Failed;
            failed.content = generation->prefix;
            failed.finishReason = QStringLiteral("error");
            if (Status s = messages_->finish(generation->messageId, failed); !s) {
                qCWarning(lcChat).noquote() << QString::fromStdString(s.error().message);
            }
            return chatError(why);
        }
        generation->requestId = handle.id;
    }
    generation->sinceCheckpoint.start();
    generation->checkpointedPrefixLength = generation->fullText().size();
    generations_.insert(generation->streamId, generation);
    checkpointTimer_->start();
    qCInfo(lcChat).noquote() << "stream" << started.streamId << "answers in conversation"
                             << plan.conversation.id << "with" << modelId << "prompt"
                             << built.report.promptTokens << "tokens";
    return started;
}

Status ChatWorker::cancel(const QString& userId, const QString& streamId) {
    const auto it = generations_.constFind(streamId);
    if (it == generations_.constEnd() || (*it)->userId != userId ||
        (*it)->purpose != Generation::Purpose::Answer) {
        return chatError(QStringLiteral("no active stream %1").arg(streamId));
    }
    // The engine finishes the request as Cancelled; finishAnswer keeps the partial text.
    (*it)->model->engine->cancel((*it)->requestId);
    return Ok{};
}

void ChatWorker::onEngineEvent(const QString& streamId, const serving::StreamEvent& event) {
    const auto it = generations_.constFind(streamId);
    if (it == generations_.constEnd()) {
        return;
    }
    std::shared_ptr<Generation> generation = *it;
    if (event.kind == serving::StreamEvent::Kind::Text) {
        const QString delta = text(event.text);
        generation->text += delta;
        if (generation->purpose == Generation::Purpose::Answer && !generation->deleted) {
            StreamEvent out;
            out.kind = StreamEvent::Kind::Token;
            out.streamId = generation->streamId;
            out.conversationId = generation->conversationId;
            out.messageId = generation->messageId;
            out.sequence = ++generation->sequence;
            out.text = delta;
            emit streamEvent(generation->userId, out);
            if (generation->sinceCheckpoint.elapsed() >= kCheckpointAfterMs) {
                checkpoint(*generation);
            }
        }
        return;
    }
    generations_.remove(streamId);
    switch (generation->purpose) {
        case Generation::Purpose::Answer:
            finishAnswer(*generation, event);
            break;
        case Generation::Purpose::Title:
            finishTitle(*generation, event);
            break;
        case Generation::Purpose::Summary:
            finishSummary(*generation, event);
            break;
    }
    if (generations_.isEmpty()) {
        checkpointTimer_->stop();
    }
}

void ChatWorker::checkpoint(Generation& generation) {
    generation.sinceCheckpoint.restart();
    const QString full = generation.fullText();
    if (full.size() == generation.checkpointedPrefixLength || !generation.failure.isEmpty() ||
        generation.deleted) {
        return;
    }
    Status kept = messages_->checkpoint(generation.messageId, full);
    if (!kept) {
        // The answer cannot be kept: stop generating; finishAnswer reports the failure.
        generation.failure = QStringLiteral("cannot save the answer: %1")
                                 .arg(QString::fromStdString(kept.error().message));
        qCWarning(lcChat).noquote() << generation.failure;
        generation.model->engine->cancel(generation.requestId);
        return;
    }
    generation.checkpointedPrefixLength = full.size();
}

void ChatWorker::checkpointDue() {
    for (const auto& generation : std::as_const(generations_)) {
        if (generation->purpose == Generation::Purpose::Answer &&
            generation->sinceCheckpoint.elapsed() >= kCheckpointAfterMs) {
            checkpoint(*generation);
        }
    }
}

void ChatWorker::finishAnswer(Generation& generation, const serving::StreamEvent& event) {
    StreamEvent done;
    done.streamId = generation.streamId;
    done.conversationId = generation.conversationId;
    done.messageId = generation.messageId;
    if (generation.deleted) {
        // Nothing is left to write; the client still learns that the stream is over.
        done.kind = StreamEvent::Kind::Done;
        done.sequence = ++generation.sequence;
        done.status = store::MessageStatus::Cancelled;
        done.finishReason = QStringLiteral("cancelled");
        emit streamEvent(generation.userId, done);
        return;
    }
    const QString requestId = generation.streamId;
    store::MessageCompletion completion;
    completion.status = statusOf(event.reason);
    completion.finishReason = QString::fromLatin1(serving::completionReasonName(event.reason));
    QString error = text(event.error);
    if (!generation.failure.isEmpty()) {
        completion.status = store::MessageStatus::Failed;
        completion.finishReason = QStringLiteral("error");
        error = generation.failure;
    }
    completion.content = generation.fullText();
    completion.promptTokens = event.usage.promptTokens;
    completion.completionTokens = event.usage.completionTokens;
    completion.ttftMs = qint64(event.timings.ttftMs);
    completion.totalMs = qint64(event.timings.totalMs);
    {
        StageSpan span("persist answer", requestId);
        if (Status kept = messages_->finish(generation.messageId, completion); !kept) {
            completion.status = store::MessageStatus::Failed;
            completion.finishReason = QStringLiteral("error");
            if (error.isEmpty()) {
                error = QStringLiteral("cannot save the answer: %1")
                            .arg(QString::fromStdString(kept.error().message));
            }
            qCWarning(lcChat).noquote() << error;
            // The answer keeps its last checkpoint; a status change rewrites the row in place,
            // so it may succeed where the longer text did not. If not, the next start marks the
            // answer interrupted.
            if (Status marked =
                    messages_->setStatus(generation.messageId, store::MessageStatus::Failed);
                !marked) {
                qCWarning(lcChat).noquote() << QString::fromStdString(marked.error().message);
            }
        }
    }
    done.kind = completion.status == store::MessageStatus::Failed ? StreamEvent::Kind::Error
                                                                  : StreamEvent::Kind::Done;
    done.sequence = ++generation.sequence;
    done.status = completion.status;
    done.finishReason = completion.finishReason;
    done.error = error;
    done.promptTokens = event.usage.promptTokens;
    done.completionTokens = event.usage.completionTokens;
    done.ttftMs = qint64(event.timings.ttftMs);
    done.totalMs = qint64(event.timings.totalMs);
    emit streamEvent(generation.userId, done);
    {
        StageSpan span("usage record", requestId);
        recordUsage(generation, event, QStringLiteral("answer"));
    }
    if (completion.status == store::MessageStatus::Failed) {
        return;
    }
    if (config_.settings.generateTitles) {
        startTitle(generation.userId, generation.conversationId);
    }
    if (config_.settings.summarize && !generation.summarizeThroughMessageId.isEmpty()) {
        startSummary(generation.userId, generation.conversationId,
                     generation.summarizeThroughMessageId);
    }
}

void ChatWorker::recordUsage(const Generation& generation, const serving::StreamEvent& event,
                             const QString& kind) {
    store::UsageRecord usage;
    usage.userId = generation.userId;
    usage.conversationId = generation.conversationId;
    usage.messageId = generation.messageId;
    usage.kind = kind;
    usage.model = QString::fromStdString(generation.model->id);
    usage.promptTokens = event.usage.promptTokens;
    usage.completionTokens = event.usage.completionTokens;
    if (Status kept = usageRecords_->record(usage); !kept) {
        qCWarning(lcChat).noquote() << QString::fromStdString(kept.error().message);
    }
}

Result<serving::RequestId> ChatWorker::submitBackground(Generation& generation,
                                                        const std::vector<model::TokenId>& prompt,
                                                        int maxTokens) {
    serving::ServingRequest request;
    request.user = generation.userId.toStdString();
    request.priority = serving::Priority::Background;
    request.prompt = prompt;
    request.maxNewTokens = maxTokens;
    request.sampling.temperature = 0;
    request.onEvent = [box = mailbox_, self = this,
                       streamId = generation.streamId](serving::StreamEvent&& event) {
        box->post(
            [self, streamId, event = std::move(event)] { self->onEngineEvent(streamId, event); });
    };
    serving::RequestHandle handle = generation.model->engine->submit(std::move(request));
    if (handle.status != serving::SubmitStatus::Accepted) {
        return makeError("background job not accepted: " +
                         (handle.error.empty() ? std::string("engine overloaded") : handle.error));
    }
    return handle.id;
}

void ChatWorker::startTitle(const QString& userId, const QString& conversationId) {
    if (titling_.contains(conversationId)) {
        return;
    }
    Result<store::Conversation> c = conversations_->get(conversationId);
    if (!c || !c->title.isEmpty()) {
        return;
    }
    Result<std::vector<store::Message>> branch = messages_->activeBranch(conversationId);
    if (!branch || branch->empty()) {
        return;
    }
    const QString first = branch->front().content.left(kTitleSourceChars);
    auto generation = std::make_shared<Generation>();
    generation->purpose = Generation::Purpose::Title;
    generation->streamId = newId();
    generation->userId = userId;
    generation->conversationId = conversationId;
    generation->model = config_.models ? config_.models->find({}) : nullptr;
    // The first words of the question stand in until (or unless) the model names it.
    const QString fallback = first.simplified().left(kTitleChars);
    if (!generation->model) {
        (void)conversations_->rename(conversationId, fallback);
        emit conversationChanged(userId, conversationId);
        return;
    }
    auto prompt = generation->model->loaded->promptTokens(
        {{"system", "You write short titles for conversations."},
         {"user",
          "Write a title of at most six words for a conversation that begins with this "
          "message. Reply with the title only.\n\nMessage: " +
              first.toStdString()}});
    Result<serving::RequestId> id =
        prompt ? submitBackground(*generation, *prompt, config_.settings.titleMaxTokens)
               : Result<serving::RequestId>(prompt.error());
    if (!id) {
        qCInfo(lcChat).noquote() << "no generated title for" << conversationId << ":"
                                 << QString::fromStdString(id.error().message);
        (void)conversations_->rename(conversationId, fallback);
        emit conversationChanged(userId, conversationId);
        return;
    }
    generation->requestId = *id;
    generation->prefix = fallback;  // kept for finishTitle
    titling_.insert(conversationId);
    generations_.insert(generation->streamId, generation);
}

void ChatWorker::finishTitle(Generation& generation, const serving::StreamEvent& event) {
    titling_.remove(generation.conversationId);
    recordUsage(generation, event, QStringLiteral("title"));
    QString title = generation.text.section(QLatin1Char('\n'), 0, 0).simplified();
    title.remove(QLatin1Char('"'));
    if (title.startsWith(QLatin1String("Title:"), Qt::CaseInsensitive)) {
        title = title.mid(6).trimmed();
    }
    title = title.left(kTitleChars);
    if (title.isEmpty() || event.reason == serving::CompletionReason::Error ||
        event.reason == serving::CompletionReason::Cancelled) {
        title = generation.prefix;
    }
    Result<store::Conversation> c = conversations_->get(generation.conversationId);
    if (!c || !c->title.isEmpty()) {
        return;  // deleted, or named by the user meanwhile
    }
    if (Status renamed = conversations_->rename(generation.conversationId, title); !renamed) {
        qCWarning(lcChat).noquote() << QString::fromStdString(renamed.error().message);
        return;
    }
    emit conversationChanged(generation.userId, generation.conversationId);
}

void ChatWorker::startSummary(const QString& userId, const QString& conversationId,
                              const QString& throughMessageId) {
    if (summarizing_.contains(conversationId)) {
        return;
    }
    Result<std::vector<store::Message>> path = messages_->pathTo(throughMessageId);
    if (!path) {
        return;
    }
    auto generation = std::make_shared<Generation>();
    generation->purpose = Generation::Purpose::Summary;
    generation->streamId = newId();
    generation->userId = userId;
    generation->conversationId = conversationId;
    generation->model = config_.models ? config_.models->find({}) : nullptr;
    if (!generation->model) {
        return;
    }
    // Rolling: the newest earlier summary on this path plus the turns after it.
    QString previous;
    int from = 0;
    Result<std::vector<store::Summary>> summaries = summaries_->listForConversation(conversationId);
    if (summaries) {
        for (const store::Summary& s : *summaries) {
            const auto at = std::find_if(path->begin(), path->end(), [&](const store::Message& m) {
                return m.id == s.lastMessageId;
            });
            if (at != path->end() && int(at - path->begin()) + 1 > from) {
                from = int(at - path->begin()) + 1;
                previous = s.content;
            }
        }
    }
    const std::vector<ContextTurn> turns =
        turnsOf(std::vector<store::Message>(path->begin() + from, path->end()));
    if (turns.empty()) {
        return;
    }
    const int window = contextWindow(*generation->model, config_.settings.contextTokens);
    const int budget = window - config_.settings.summaryMaxTokens - 64;
    // Newest turns are kept when the transcript is too long for one prompt; the previous
    // summary stands for what came before them.
    QStringList lines;
    int used = countTokens(*generation->model->loaded, previous);
    for (auto t = turns.rbegin(); t != turns.rend(); ++t) {
        const QString line =
            QStringLiteral("%1: %2").arg(t->role, t->content.left(kSummaryTurnChars));
        const int tokens = countTokens(*generation->model->loaded, line) + 2;
        if (used + tokens > budget) {
            break;
        }
        used += tokens;
        lines.prepend(line);
    }
    QString request = QStringLiteral(
        "Summarise the conversation below in a few sentences. Keep names, facts, numbers and "
        "decisions.\n\n");
    if (!previous.isEmpty()) {
        request += QStringLiteral("Summary of what came before:\n%1\n\n").arg(previous);
    }
    request += lines.join(QLatin1Char('\n'));
    auto prompt = generation->model->loaded->promptTokens(
        {{"system", "You summarise conversations."}, {"user", request.toStdString()}});
    Result<serving::RequestId> id =
        prompt ? submitBackground(*generation, *prompt, config_.settings.summaryMaxTokens)
               : Result<serving::RequestId>(prompt.error());
    if (!id) {
        qCInfo(lcChat).noquote() << "no summary for" << conversationId << ":"
                                 << QString::fromStdString(id.error().message);
        return;
    }
    generation->requestId = *id;
    generation->firstMessageId = path->front().id;
    generation->lastMessageId = throughMessageId;
    generation->messageCount = int(turnsOf(*path).size());
    summarizing_.insert(conversationId);
    generations_.insert(generation->streamId, generation);
    qCInfo(lcChat).noquote() << "summarising" << generation->messageCount << "messages of"
                             << conversationId;
}

void ChatWorker::finishSummary(Generation& generation, const serving::StreamEvent& event) {
    summarizing_.remove(generation.conversationId);
    recordUsage(generation, event, QStringLiteral("summary"));
    const QString summary = generation.text.trimmed();
    if (summary.isEmpty() || event.reason == serving::CompletionReason::Error ||
        event.reason == serving::CompletionReason::Cancelled) {
        return;
    }
    store::Summary s;
    s.conversationId = generation.conversationId;
    s.firstMessageId = generation.firstMessageId;
    s.lastMessageId = generation.lastMessageId;
    s.messageCount = generation.messageCount;
    s.content = summary;
    s.model = QString::fromStdString(generation.model->id);
    if (Result<store::Summary> stored = summaries_->add(s); !stored) {
        qCWarning(lcChat).noquote() << QString::fromStdString(stored.error().message);
        return;
    }
    emit summaryStored(generation.conversationId);
}

}  // namespace parley::chat
