// Behaviour every ChatService implementation must show, written against the interface only, so
// that LocalChatService (in-process) and RemoteChatService (a parley-server) run the same cases.
// Each case is a function taking the service(s) under test; call it from a QtTest slot. The
// services need a chat model loaded (answers are kept short: a few tokens each).
#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

#include "chat/chat_service.h"
#include "chat_test_support.h"

namespace parley::chat::conformance {

using testing::await;
using testing::errorText;
using testing::StreamRecorder;

inline GenerationOptions shortAnswer(int maxTokens = 6) {
    GenerationOptions o;
    o.temperature = 0;
    o.maxTokens = maxTokens;
    return o;
}

inline Result<store::Conversation> newConversation(ChatService& s, const QString& title) {
    return await<store::Conversation>(
        [&](Reply<store::Conversation> r) { s.createConversation(title, std::move(r)); });
}

inline Result<StreamStarted> sendText(ChatService& s, const QString& conversationId,
                                      const QString& text,
                                      GenerationOptions options = shortAnswer(),
                                      const QString& clientMessageId = {}) {
    SendRequest request;
    request.conversationId = conversationId;
    request.content = text;
    request.options = options;
    request.clientMessageId = clientMessageId;
    return await<StreamStarted>([&](Reply<StreamStarted> r) { s.send(request, std::move(r)); });
}

inline Result<ConversationView> viewOf(ChatService& s, const QString& conversationId) {
    return await<ConversationView>(
        [&](Reply<ConversationView> r) { s.conversation(conversationId, std::move(r)); });
}

inline Result<std::vector<store::SearchHit>> searchFor(ChatService& s, const QString& query) {
    return await<std::vector<store::SearchHit>>(
        [&](Reply<std::vector<store::SearchHit>> r) { s.search(query, std::move(r)); });
}

inline Result<StreamStarted> regenerateAnswer(ChatService& s, const QString& answerId,
                                              const GenerationOptions& options = shortAnswer()) {
    return await<StreamStarted>(
        [&](Reply<StreamStarted> r) { s.regenerate(answerId, options, std::move(r)); });
}

inline Result<ContextReport> contextReportOf(ChatService& s, const QString& answerId) {
    return await<ContextReport>(
        [&](Reply<ContextReport> r) { s.contextReport(answerId, std::move(r)); });
}

#define PARLEY_REQUIRE_OK(result) \
    QVERIFY2((result).ok(), (result).ok() ? "" : (result).error().message.c_str())

// Create, list (pinned first, archived hidden unless asked), rename, pin, archive, delete.
inline void conversationLifecycle(ChatService& s) {
    auto a = newConversation(s, QStringLiteral("first"));
    PARLEY_REQUIRE_OK(a);
    auto b = newConversation(s, QStringLiteral("second"));
    PARLEY_REQUIRE_OK(b);
    auto renamed = await<Ok>(
        [&](Reply<Ok> r) { s.renameConversation(a->id, QStringLiteral("renamed"), std::move(r)); });
    PARLEY_REQUIRE_OK(renamed);
    PARLEY_REQUIRE_OK(await<Ok>([&](Reply<Ok> r) { s.setPinned(a->id, true, std::move(r)); }));
    auto list =
        await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
            s.listConversations(false, std::move(r));
        });
    PARLEY_REQUIRE_OK(list);
    QVERIFY(list->size() >= 2);
    QCOMPARE(list->front().id, a->id);
    QCOMPARE(list->front().title, QStringLiteral("renamed"));
    QVERIFY(list->front().pinned);

    PARLEY_REQUIRE_OK(await<Ok>([&](Reply<Ok> r) { s.setArchived(b->id, true, std::move(r)); }));
    const auto contains = [](const std::vector<store::Conversation>& l, const QString& id) {
        return std::any_of(l.begin(), l.end(), [&](const auto& c) { return c.id == id; });
    };
    list = await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
        s.listConversations(false, std::move(r));
    });
    PARLEY_REQUIRE_OK(list);
    QVERIFY(!contains(*list, b->id));
    list = await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
        s.listConversations(true, std::move(r));
    });
    PARLEY_REQUIRE_OK(list);
    QVERIFY(contains(*list, b->id));

    PARLEY_REQUIRE_OK(await<Ok>([&](Reply<Ok> r) { s.deleteConversation(b->id, std::move(r)); }));
    QVERIFY(!viewOf(s, b->id).ok());
}

// An answer streams as Token events numbered 1, 2, ... and one Done; what streamed is what the
// store keeps, with usage and finish reason.
inline void sendStreamsAndPersists(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("streaming"));
    PARLEY_REQUIRE_OK(c);
    auto started = sendText(s, c->id, QStringLiteral("What is the capital of France?"));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(!started->streamId.isEmpty());
    QVERIFY(!started->userMessageId.isEmpty());
    QVERIFY(!started->assistantMessageId.isEmpty());
    QVERIFY(!started->model.isEmpty());

    auto done = recorder.waitFinished(started->streamId);
    QVERIFY(done.has_value());
    QCOMPARE(int(done->kind), int(StreamEvent::Kind::Done));
    QCOMPARE(done->status, store::MessageStatus::Complete);
    QVERIFY(done->finishReason == QLatin1String("stop") ||
            done->finishReason == QLatin1String("length"));
    QVERIFY(done->completionTokens > 0);
    QVERIFY(done->promptTokens > 0);
    const auto& events = recorder.events(started->streamId);
    for (size_t i = 0; i < events.size(); ++i) {
        QCOMPARE(events[i].sequence, qint64(i + 1));
        QCOMPARE(events[i].messageId, started->assistantMessageId);
        QCOMPARE(events[i].conversationId, c->id);
    }
    QVERIFY(recorder.tokenEvents(started->streamId) > 0);

    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
    const store::Message& question = view->messages[0].message;
    const store::Message& answer = view->messages[1].message;
    QCOMPARE(question.id, started->userMessageId);
    QCOMPARE(question.role, QStringLiteral("user"));
    QCOMPARE(question.content, QStringLiteral("What is the capital of France?"));
    QCOMPARE(answer.id, started->assistantMessageId);
    QCOMPARE(answer.status, store::MessageStatus::Complete);
    QCOMPARE(answer.content, recorder.text(started->streamId));
    QCOMPARE(answer.completionTokens.value_or(0), done->completionTokens);
    QCOMPARE(answer.finishReason, done->finishReason);
    QCOMPARE(answer.model, started->model);

    auto report = contextReportOf(s, started->assistantMessageId);
    PARLEY_REQUIRE_OK(report);
    QCOMPARE(report->messageId, started->assistantMessageId);
    QVERIFY(report->promptTokens > 0);
    QVERIFY(report->promptTokens + report->reservedTokens <= report->contextTokens);
    QVERIFY(std::any_of(report->parts.begin(), report->parts.end(), [](const ContextPart& p) {
        return p.kind == ContextPart::Kind::Turn && p.included;
    }));
}

// A send repeating a clientMessageId gets the first StreamStarted back and starts nothing.
inline void idempotentSend(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("retry"));
    PARLEY_REQUIRE_OK(c);
    auto first = sendText(s, c->id, QStringLiteral("Hello there"), shortAnswer(), "client-1");
    PARLEY_REQUIRE_OK(first);
    auto again = sendText(s, c->id, QStringLiteral("Hello there"), shortAnswer(), "client-1");
    PARLEY_REQUIRE_OK(again);
    QCOMPARE(again->streamId, first->streamId);
    QCOMPARE(again->userMessageId, first->userMessageId);
    QCOMPARE(again->assistantMessageId, first->assistantMessageId);
    QVERIFY(recorder.waitFinished(first->streamId).has_value());
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
    // After the answer finished, a retry still starts nothing.
    auto late = sendText(s, c->id, QStringLiteral("Hello there"), shortAnswer(), "client-1");
    PARLEY_REQUIRE_OK(late);
    QCOMPARE(late->assistantMessageId, first->assistantMessageId);
    view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
}

// Cancelling mid-stream keeps what was streamed, marked cancelled.
inline void cancelKeepsPartialAnswer(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("cancel"));
    PARLEY_REQUIRE_OK(c);
    auto started = sendText(s, c->id, QStringLiteral("Tell me a long story about a dragon."),
                            shortAnswer(400));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(testing::spinUntil([&] { return recorder.tokenEvents(started->streamId) >= 3; }));
    PARLEY_REQUIRE_OK(await<Ok>([&](Reply<Ok> r) { s.cancel(started->streamId, std::move(r)); }));
    auto done = recorder.waitFinished(started->streamId);
    QVERIFY(done.has_value());
    QCOMPARE(done->status, store::MessageStatus::Cancelled);
    QCOMPARE(done->finishReason, QStringLiteral("cancelled"));
    QVERIFY(done->completionTokens < 400);
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    const store::Message& answer = view->messages.back().message;
    QCOMPARE(answer.id, started->assistantMessageId);
    QCOMPARE(answer.status, store::MessageStatus::Cancelled);
    QVERIFY(!answer.content.isEmpty());
    QCOMPARE(answer.content, recorder.text(started->streamId));
    // A finished stream cannot be cancelled again.
    QVERIFY(!await<Ok>([&](Reply<Ok> r) { s.cancel(started->streamId, std::move(r)); }).ok());
}

// Deleting a conversation while its answer streams ends the stream (a final event arrives) and
// leaves nothing behind.
inline void deleteWhileStreaming(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("short-lived"));
    PARLEY_REQUIRE_OK(c);
    auto started = sendText(s, c->id, QStringLiteral("Tell me a long story about a dragon."),
                            shortAnswer(400));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(testing::spinUntil([&] { return recorder.tokenEvents(started->streamId) >= 2; }));
    PARLEY_REQUIRE_OK(await<Ok>([&](Reply<Ok> r) { s.deleteConversation(c->id, std::move(r)); }));
    auto end = recorder.waitFinished(started->streamId);
    QVERIFY(end.has_value());
    QVERIFY(end->completionTokens < 400);
    QVERIFY(!viewOf(s, c->id).ok());
    auto hits = searchFor(s, QStringLiteral("dragon"));
    PARLEY_REQUIRE_OK(hits);
    QVERIFY(hits->empty());
}

// Regenerate and edit make siblings; switchBranch shows a branch down to its newest leaf.
inline void branchesAndSwitching(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("branches"));
    PARLEY_REQUIRE_OK(c);
    auto first = sendText(s, c->id, QStringLiteral("Name a colour."));
    PARLEY_REQUIRE_OK(first);
    QVERIFY(recorder.waitFinished(first->streamId).has_value());

    GenerationOptions varied = shortAnswer();
    varied.temperature = 1.0;
    varied.seed = 7;
    auto again = regenerateAnswer(s, first->assistantMessageId, varied);
    PARLEY_REQUIRE_OK(again);
    QVERIFY(again->userMessageId.isEmpty());
    QVERIFY(again->assistantMessageId != first->assistantMessageId);
    QVERIFY(recorder.waitFinished(again->streamId).has_value());
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
    QCOMPARE(view->messages[1].message.id, again->assistantMessageId);
    QCOMPARE(view->messages[1].siblingCount, 2);
    QCOMPARE(view->messages[1].siblingIndex, 1);
    QCOMPARE(view->messages[1].siblingIds,
             (QStringList{first->assistantMessageId, again->assistantMessageId}));

    auto edited = await<StreamStarted>([&](Reply<StreamStarted> r) {
        s.edit(first->userMessageId, QStringLiteral("Name an animal."), shortAnswer(),
               std::move(r));
    });
    PARLEY_REQUIRE_OK(edited);
    QVERIFY(!edited->userMessageId.isEmpty());
    QVERIFY(edited->userMessageId != first->userMessageId);
    QVERIFY(recorder.waitFinished(edited->streamId).has_value());
    view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
    QCOMPARE(view->messages[0].message.id, edited->userMessageId);
    QCOMPARE(view->messages[0].message.content, QStringLiteral("Name an animal."));
    QCOMPARE(view->messages[0].siblingCount, 2);
    QCOMPARE(view->messages[0].siblingIndex, 1);
    QCOMPARE(view->messages[1].message.id, edited->assistantMessageId);

    // Back to the first question: down to its newest answer (the regenerated one).
    auto switched = await<ConversationView>(
        [&](Reply<ConversationView> r) { s.switchBranch(first->userMessageId, std::move(r)); });
    PARLEY_REQUIRE_OK(switched);
    QCOMPARE(switched->messages.size(), size_t(2));
    QCOMPARE(switched->messages[0].message.id, first->userMessageId);
    QCOMPARE(switched->messages[0].siblingIndex, 0);
    QCOMPARE(switched->messages[1].message.id, again->assistantMessageId);
    switched = await<ConversationView>([&](Reply<ConversationView> r) {
        s.switchBranch(first->assistantMessageId, std::move(r));
    });
    PARLEY_REQUIRE_OK(switched);
    QCOMPARE(switched->messages[1].message.id, first->assistantMessageId);
    QCOMPARE(switched->messages[1].siblingIndex, 0);
    // The choice persists.
    view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->conversation.activeLeafMessageId, first->assistantMessageId);

    // A new message goes under the branch shown.
    auto next = sendText(s, c->id, QStringLiteral("Another one."));
    PARLEY_REQUIRE_OK(next);
    QVERIFY(recorder.waitFinished(next->streamId).has_value());
    view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(4));
    QCOMPARE(view->messages[1].message.id, first->assistantMessageId);
    QCOMPARE(view->messages[2].message.id, next->userMessageId);
}

// Continue goes on with the same answer after a length cut.
inline void continueAnswer(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("continue"));
    PARLEY_REQUIRE_OK(c);
    auto started =
        sendText(s, c->id, QStringLiteral("Count from one to twenty in words."), shortAnswer(4));
    PARLEY_REQUIRE_OK(started);
    auto done = recorder.waitFinished(started->streamId);
    QVERIFY(done.has_value());
    QCOMPARE(done->finishReason, QStringLiteral("length"));
    const QString before = recorder.text(started->streamId);
    auto more = await<StreamStarted>([&](Reply<StreamStarted> r) {
        s.continueAnswer(started->assistantMessageId, shortAnswer(4), std::move(r));
    });
    PARLEY_REQUIRE_OK(more);
    QCOMPARE(more->assistantMessageId, started->assistantMessageId);
    QVERIFY(more->streamId != started->streamId);
    auto moreDone = recorder.waitFinished(more->streamId);
    QVERIFY(moreDone.has_value());
    QCOMPARE(int(moreDone->kind), int(StreamEvent::Kind::Done));
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QCOMPARE(view->messages.size(), size_t(2));
    const store::Message& answer = view->messages[1].message;
    QCOMPARE(answer.content, before + recorder.text(more->streamId));
    QVERIFY(answer.content.size() > before.size());
    QCOMPARE(answer.status, store::MessageStatus::Complete);
}

// Full-text search over the user's own messages.
inline void searchFindsMessages(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("search"));
    PARLEY_REQUIRE_OK(c);
    auto started = sendText(s, c->id, QStringLiteral("My quokka named Brightwater likes leaves"));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(recorder.waitFinished(started->streamId).has_value());
    auto hits = searchFor(s, QStringLiteral("brightwater quokka"));
    PARLEY_REQUIRE_OK(hits);
    QCOMPARE(hits->size(), size_t(1));
    QCOMPARE(hits->front().conversationId, c->id);
    QCOMPARE(hits->front().messageId, started->userMessageId);
    QVERIFY(hits->front().snippet.contains(QStringLiteral("[quokka]")));
    hits = searchFor(s, QStringLiteral("nonexistentwordxyz"));
    PARLEY_REQUIRE_OK(hits);
    QVERIFY(hits->empty());
}

// Export to Parley JSON and import it back: same titles, messages, fields and tree shape.
inline void exportImportRoundTrip(ChatService& s) {
    StreamRecorder recorder(s);
    auto c = newConversation(s, QStringLiteral("round trip"));
    PARLEY_REQUIRE_OK(c);
    auto first = sendText(s, c->id, QStringLiteral("Say hi."));
    PARLEY_REQUIRE_OK(first);
    QVERIFY(recorder.waitFinished(first->streamId).has_value());
    auto again = regenerateAnswer(s, first->assistantMessageId, shortAnswer());
    PARLEY_REQUIRE_OK(again);
    QVERIFY(recorder.waitFinished(again->streamId).has_value());

    auto exported = await<QByteArray>(
        [&](Reply<QByteArray> r) { s.exportConversations({c->id}, std::move(r)); });
    PARLEY_REQUIRE_OK(exported);
    const QJsonObject doc = QJsonDocument::fromJson(*exported).object();
    QCOMPARE(doc.value("format").toString(), QStringLiteral("parley.conversations"));
    const QJsonArray conversations = doc.value("conversations").toArray();
    QCOMPARE(conversations.size(), 1);
    const QJsonArray messages = conversations[0].toObject().value("messages").toArray();
    QCOMPARE(messages.size(), 3);  // one question, two sibling answers

    auto imported =
        await<int>([&](Reply<int> r) { s.importConversations(*exported, std::move(r)); });
    PARLEY_REQUIRE_OK(imported);
    QCOMPARE(*imported, 1);
    auto list =
        await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
            s.listConversations(true, std::move(r));
        });
    PARLEY_REQUIRE_OK(list);
    QString copyId;
    for (const auto& conversation : *list) {
        if (conversation.title == QLatin1String("round trip") && conversation.id != c->id) {
            copyId = conversation.id;
        }
    }
    QVERIFY(!copyId.isEmpty());
    auto original = viewOf(s, c->id);
    auto copy = viewOf(s, copyId);
    PARLEY_REQUIRE_OK(original);
    PARLEY_REQUIRE_OK(copy);
    QCOMPARE(copy->messages.size(), original->messages.size());
    for (size_t i = 0; i < copy->messages.size(); ++i) {
        const store::Message& a = original->messages[i].message;
        const store::Message& b = copy->messages[i].message;
        QVERIFY(a.id != b.id);
        QCOMPARE(b.role, a.role);
        QCOMPARE(b.content, a.content);
        QCOMPARE(b.status, a.status);
        QCOMPARE(b.model, a.model);
        QCOMPARE(b.promptTokens, a.promptTokens);
        QCOMPARE(b.completionTokens, a.completionTokens);
        QCOMPARE(b.ttftMs, a.ttftMs);
        QCOMPARE(b.totalMs, a.totalMs);
        QCOMPARE(b.finishReason, a.finishReason);
        QCOMPARE(b.createdAt, a.createdAt);
        QCOMPARE(copy->messages[i].siblingCount, original->messages[i].siblingCount);
        QCOMPARE(copy->messages[i].siblingIndex, original->messages[i].siblingIndex);
    }
    // Exporting the copy gives the same document apart from ids and the export time.
    auto reexported = await<QByteArray>(
        [&](Reply<QByteArray> r) { s.exportConversations({copyId}, std::move(r)); });
    PARLEY_REQUIRE_OK(reexported);
    const QJsonArray copyMessages = QJsonDocument::fromJson(*reexported)
                                        .object()
                                        .value("conversations")
                                        .toArray()[0]
                                        .toObject()
                                        .value("messages")
                                        .toArray();
    QCOMPARE(copyMessages.size(), messages.size());
    for (int i = 0; i < messages.size(); ++i) {
        QJsonObject a = messages[i].toObject();
        QJsonObject b = copyMessages[i].toObject();
        for (const char* key : {"id", "parentId"}) {
            a.remove(key);
            b.remove(key);
        }
        QCOMPARE(b, a);
    }
}

// One user never sees another's conversations or messages; the answer is "not found".
inline void usersAreIsolated(ChatService& owner, ChatService& other) {
    StreamRecorder recorder(owner);
    auto c = newConversation(owner, QStringLiteral("private"));
    PARLEY_REQUIRE_OK(c);
    auto started = sendText(owner, c->id, QStringLiteral("my secret pelican"));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(recorder.waitFinished(started->streamId).has_value());

    auto peek = viewOf(other, c->id);
    QVERIFY(!peek.ok());
    QVERIFY2(errorText(peek.error()).contains(QStringLiteral("not found")),
             peek.error().message.c_str());
    QVERIFY(
        !await<Ok>([&](Reply<Ok> r) { other.renameConversation(c->id, "x", std::move(r)); }).ok());
    QVERIFY(!await<Ok>([&](Reply<Ok> r) { other.deleteConversation(c->id, std::move(r)); }).ok());
    QVERIFY(!sendText(other, c->id, QStringLiteral("hi")).ok());
    QVERIFY(!await<StreamStarted>([&](Reply<StreamStarted> r) {
                 other.regenerate(started->assistantMessageId, shortAnswer(), std::move(r));
             }).ok());
    QVERIFY(!await<ConversationView>([&](Reply<ConversationView> r) {
                 other.switchBranch(started->userMessageId, std::move(r));
             }).ok());
    QVERIFY(!await<ContextReport>([&](Reply<ContextReport> r) {
                 other.contextReport(started->assistantMessageId, std::move(r));
             }).ok());
    auto hits = await<std::vector<store::SearchHit>>([&](Reply<std::vector<store::SearchHit>> r) {
        other.search(QStringLiteral("pelican"), std::move(r));
    });
    PARLEY_REQUIRE_OK(hits);
    QVERIFY(hits->empty());
    QVERIFY(!await<QByteArray>([&](Reply<QByteArray> r) {
                 other.exportConversations({c->id}, std::move(r));
             }).ok());
    QVERIFY(viewOf(owner, c->id).ok());
}

// A conversation created without a title gets one in the background (conversationChanged).
inline void titleIsGenerated(ChatService& s) {
    StreamRecorder recorder(s);
    QSignalSpy changed(&s, &ChatService::conversationChanged);
    auto c = newConversation(s, QString());
    PARLEY_REQUIRE_OK(c);
    QVERIFY(c->title.isEmpty());
    auto started = sendText(s, c->id, QStringLiteral("How do I bake sourdough bread?"));
    PARLEY_REQUIRE_OK(started);
    QVERIFY(recorder.waitFinished(started->streamId).has_value());
    QVERIFY(testing::spinUntil([&] {
        return std::any_of(changed.begin(), changed.end(), [&](const QList<QVariant>& args) {
            return args.value(0).toString() == c->id;
        });
    }));
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QVERIFY(!view->conversation.title.isEmpty());
}

// Requests that cannot be served fail with a readable error and change nothing.
inline void invalidRequestsFail(ChatService& s) {
    auto c = newConversation(s, QStringLiteral("invalid"));
    PARLEY_REQUIRE_OK(c);
    auto empty = sendText(s, c->id, QStringLiteral("   "));
    QVERIFY(!empty.ok());
    QVERIFY(!errorText(empty.error()).isEmpty());
    SendRequest unknownModel;
    unknownModel.conversationId = c->id;
    unknownModel.content = QStringLiteral("hello");
    unknownModel.model = QStringLiteral("no-such-model");
    auto noModel =
        await<StreamStarted>([&](Reply<StreamStarted> r) { s.send(unknownModel, std::move(r)); });
    QVERIFY(!noModel.ok());
    QVERIFY2(errorText(noModel.error()).contains(QStringLiteral("no-such-model")),
             noModel.error().message.c_str());
    QVERIFY(!sendText(s, QStringLiteral("00000000-0000-0000-0000-000000000000"), "hi").ok());
    auto view = viewOf(s, c->id);
    PARLEY_REQUIRE_OK(view);
    QVERIFY(view->messages.empty());
    auto models = await<std::vector<ModelInfo>>(
        [&](Reply<std::vector<ModelInfo>> r) { s.models(std::move(r)); });
    PARLEY_REQUIRE_OK(models);
    QVERIFY(!models->empty());
    QCOMPARE(std::count_if(models->begin(), models->end(),
                           [](const ModelInfo& m) { return m.isDefault; }),
             qsizetype(1));
    QVERIFY(models->front().contextTokens > 0);
}

}  // namespace parley::chat::conformance
