// The ChatWorker's background jobs that follow answers: a title for a conversation created
// without one, and a rolling summary of the turns an answer's prompt had to cut. Both run as
// Priority::Background requests with greedy sampling; their outcome is never shown as a stream.
#include "chat/chat_worker.h"
#include "chat/context_builder.h"
#include "chat/generation.h"
#include "chat/logging.h"
#include "chat/message_turns.h"

namespace parley::chat {

namespace {

constexpr int kSummaryTurnChars = 600;
constexpr int kTitleSourceChars = 500;
constexpr int kTitleChars = 60;

}  // namespace

Result<serving::RequestId> ChatWorker::submitBackground(Generation& generation,
                                                        const std::vector<model::TokenId>& prompt,
                                                        int maxTokens) {
    serving::ServingRequest request;
    request.user = generation.userId.toStdString();
    request.priority = serving::Priority::Background;
    request.prompt = prompt;
    request.maxNewTokens = maxTokens;
    request.sampling.temperature = 0;
    request.onEvent = deliverTo(generation.streamId);
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
    generation->streamId = newStreamId();
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
    generation->streamId = newStreamId();
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
