// The ChatWorker's answer path: the stages of one request (see chat_worker.h) and its stream.
// The title and summary jobs that follow answers are in background_jobs.cpp.
#include <QRandomGenerator>

#include "chat/chat_worker.h"
#include "chat/context_builder.h"
#include "chat/context_report_json.h"
#include "chat/generation.h"
#include "chat/logging.h"
#include "chat/message_turns.h"
#include "chat/stage_span.h"

namespace parley::chat {

namespace {

constexpr int kMaxMessageChars = 200000;

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
    plan.requestId = newStreamId();
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
    plan.requestId = newStreamId();
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
    Result<std::vector<ContextContribution>> contributions = runHooks(plan);
    if (!contributions) {
        return contributions.error();
    }
    const int window = contextWindow(*plan.model, settings.contextTokens);
    const int maxTokens = std::clamp(options.maxTokens.value_or(settings.defaultMaxTokens), 1,
                                     std::max(1, window / 2));
    Result<BuiltContext> built =
        assemblePrompt(plan, options, std::move(contributions.value()), window, maxTokens);
    if (!built) {
        return built.error();
    }
    auto generation = std::make_shared<Generation>();
    generation->streamId = plan.requestId;
    generation->userId = plan.userId;
    generation->conversationId = plan.conversation.id;
    generation->model = plan.model;
    generation->summarizeThroughMessageId = built->summarizeThroughMessageId;
    Result<StreamStarted> started = persistQuestion(plan, built->report, *generation);
    if (!started) {
        return started.error();
    }
    if (Status submitted =
            submitAnswer(plan, options, maxTokens, std::move(built->tokens), *generation);
        !submitted) {
        return submitted.error();
    }
    generation->sinceCheckpoint.start();
    generation->checkpointedPrefixLength = generation->fullText().size();
    generations_.insert(generation->streamId, generation);
    checkpointTimer_->start();
    qCInfo(lcChat).noquote() << "stream" << started->streamId << "answers in conversation"
                             << plan.conversation.id << "with" << started->model << "prompt"
                             << built->report.promptTokens << "tokens";
    return started;
}

Result<std::vector<ContextContribution>> ChatWorker::runHooks(const AnswerPlan& plan) {
    StageSpan span("hooks", plan.requestId);
    const HookInput hookInput{plan.userId, plan.conversation.id,
                              plan.userContent.value_or(QString())};
    const PipelineHooks& hooks = config_.hooks;
    if (hooks.moderation != nullptr) {
        if (Status allowed = hooks.moderation->checkInput(hookInput); !allowed) {
            return allowed.error();
        }
    }
    std::vector<ContextContribution> contributions;
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
    return contributions;
}

Result<BuiltContext> ChatWorker::assemblePrompt(const AnswerPlan& plan,
                                                const GenerationOptions& options,
                                                std::vector<ContextContribution> contributions,
                                                int window, int maxTokens) {
    StageSpan span("prompt assembly", plan.requestId);
    ContextInput input;
    input.systemPrompt = options.systemPrompt.isEmpty() ? config_.settings.defaultSystemPrompt
                                                        : options.systemPrompt;
    input.contributions = std::move(contributions);
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
    Result<BuiltContext> built = buildContext(*plan.model->loaded, input);
    if (!built) {
        return built.error();
    }
    for (const Attachment& a : plan.attachments) {
        built->report.parts.push_back({ContextPart::Kind::Attachment, QString(), a.name,
                                       countTokens(*plan.model->loaded, a.text), true});
    }
    return built;
}

Result<StreamStarted> ChatWorker::persistQuestion(const AnswerPlan& plan, ContextReport report,
                                                  Generation& generation) {
    StageSpan span("persist question", plan.requestId);
    const QString modelId = QString::fromStdString(plan.model->id);
    StreamStarted started;
    started.streamId = generation.streamId;
    started.model = modelId;
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
        generation.messageId = stored->id;
    } else {
        generation.messageId = plan.continueMessageId;
        generation.prefix = plan.history.back().content;
        if (Status s =
                messages_->setStatus(plan.continueMessageId, store::MessageStatus::Streaming);
            !s) {
            return s.error();
        }
        // The branch goes on from this answer, so it becomes the one shown.
        if (Status s = conversations_->setActiveLeaf(plan.conversation.id, plan.continueMessageId);
            !s) {
            return s.error();
        }
    }
    started.assistantMessageId = generation.messageId;
    report.messageId = generation.messageId;
    report.model = modelId;
    Status kept = reports_->put(generation.messageId, contextReportToJson(report));
    if (kept && !plan.clientMessageId.isEmpty()) {
        kept = accepted_->record({plan.conversation.id, plan.clientMessageId, started.streamId,
                                  started.userMessageId, started.assistantMessageId, modelId});
    }
    if (!kept) {
        markAnswerFailed(generation);
        return kept.error();
    }
    return started;
}

Status ChatWorker::submitAnswer(const AnswerPlan& plan, const GenerationOptions& options,
                                int maxTokens, std::vector<model::TokenId> prompt,
                                Generation& generation) {
    StageSpan span("engine submit", plan.requestId);
    serving::ServingRequest request;
    request.user = plan.userId.toStdString();
    request.priority = serving::Priority::Interactive;
    request.prompt = std::move(prompt);
    request.maxNewTokens = maxTokens;
    request.sampling = samplingFor(options);
    for (const QString& stop : options.stop) {
        request.stopStrings.push_back(stop.toStdString());
    }
    request.onEvent = deliverTo(generation.streamId);
    serving::RequestHandle handle = plan.model->engine->submit(std::move(request));
    if (handle.status != serving::SubmitStatus::Accepted) {
        const QString modelId = QString::fromStdString(plan.model->id);
        const QString why = handle.status == serving::SubmitStatus::Overloaded
                                ? QStringLiteral(
                                      "model %1 is overloaded (too many requests are waiting); "
                                      "try again shortly")
                                      .arg(modelId)
                                : QStringLiteral("model %1 refused the request: %2")
                                      .arg(modelId, text(handle.error));
        markAnswerFailed(generation);
        return chatError(why);
    }
    generation.requestId = handle.id;
    return Ok{};
}

void ChatWorker::markAnswerFailed(const Generation& generation) {
    store::MessageCompletion failed;
    failed.status = store::MessageStatus::Failed;
    failed.content = generation.prefix;
    failed.finishReason = QStringLiteral("error");
    if (Status s = messages_->finish(generation.messageId, failed); !s) {
        qCWarning(lcChat).noquote() << QString::fromStdString(s.error().message);
    }
}

serving::StreamCallback ChatWorker::deliverTo(const QString& streamId) {
    return [box = mailbox_, self = this, streamId](serving::StreamEvent&& event) {
        box->post(
            [self, streamId, event = std::move(event)] { self->onEngineEvent(streamId, event); });
    };
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

}  // namespace parley::chat
