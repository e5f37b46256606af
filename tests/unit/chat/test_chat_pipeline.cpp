// The in-process pipeline behind LocalChatService on the real SmolLM2 and real SQLite files:
// attachments in the prompt, checkpoints while streaming, the context budget with summaries on a
// long thread, the prefix cache on regenerate, reports after a restart, and a full database
// failing requests (and a stream) cleanly.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include "chat_fixture.h"
#include "chat_service_conformance.h"

using namespace parley;
using namespace parley::chat;
using testing::await;
using testing::ChatFixture;
using testing::loadSmolLM2;
using testing::quietSettings;
using testing::StreamRecorder;

namespace {

// A Parley export of one conversation with `turns` alternating messages of distinct text.
QByteArray longThread(int turns, const QString& title) {
    QJsonArray messages;
    QString parent;
    for (int i = 0; i < turns; ++i) {
        const QString id = QStringLiteral("m%1").arg(i);
        const bool user = i % 2 == 0;
        messages.append(QJsonObject{
            {"id", id},
            {"parentId", parent.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(parent)},
            {"role", user ? "user" : "assistant"},
            {"content", user ? QStringLiteral("Question %1: tell me about the river town number "
                                              "%1, its bridges, markets and the people there.")
                                   .arg(i)
                             : QStringLiteral("Answer %1: the river town number %1 has three "
                                              "stone bridges, a busy fish market on Saturdays "
                                              "and about four thousand people who grow apples.")
                                   .arg(i)},
            {"status", "complete"},
            {"createdAt", double(1700000000000 + i)},
        });
        parent = id;
    }
    QJsonObject conversation{
        {"title", title}, {"messages", messages}, {"activeLeafMessageId", parent}};
    return QJsonDocument(QJsonObject{{"format", "parley.conversations"},
                                     {"version", 1},
                                     {"conversations", QJsonArray{conversation}}})
        .toJson();
}

QString importedId(LocalChatService& s, const QString& title) {
    auto list =
        await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
            s.listConversations(true, std::move(r));
        });
    if (!list) {
        return {};
    }
    for (const auto& c : *list) {
        if (c.title == title) {
            return c.id;
        }
    }
    return {};
}

QString randomWords(int chars) {
    QString text;
    auto* random = QRandomGenerator::global();
    while (text.size() < chars) {
        for (int i = 0, n = 3 + int(random->bounded(6)); i < n; ++i) {
            text += QChar(u'a' + char16_t(random->bounded(26)));
        }
        text += QLatin1Char(' ');
    }
    return text;
}

// Imports conversations, coarse to fine, until not even a small one fits; returns how many fit
// and the last error.
std::pair<int, QString> fillDatabase(ChatService& s) {
    int fillers = 0;
    QString lastError;
    for (int chars : {60000, 8000, 1000, 200}) {
        for (;;) {
            QJsonObject message{{"id", "x"},
                                {"role", "user"},
                                {"content", randomWords(chars)},
                                {"status", "complete"}};
            QJsonObject conversation{{"title", QStringLiteral("filler %1").arg(fillers)},
                                     {"messages", QJsonArray{message}}};
            const QByteArray json =
                QJsonDocument(QJsonObject{{"format", "parley.conversations"},
                                          {"version", 1},
                                          {"conversations", QJsonArray{conversation}}})
                    .toJson();
            auto added =
                await<int>([&](Reply<int> r) { s.importConversations(json, std::move(r)); });
            if (!added) {
                lastError = testing::errorText(added.error());
                break;
            }
            ++fillers;
        }
    }
    return {fillers, lastError};
}

bool databaseIntact(const QString& path) {
    bool ok = false;
    {
        QSqlDatabase checker = QSqlDatabase::addDatabase("QSQLITE", "integrity");
        checker.setDatabaseName(path);
        if (checker.open()) {
            QSqlQuery q(checker);
            ok = q.exec("PRAGMA integrity_check") && q.next() &&
                 q.value(0).toString() == QLatin1String("ok");
        }
    }
    QSqlDatabase::removeDatabase("integrity");
    return ok;
}

}  // namespace

class TestChatPipeline : public QObject {
    Q_OBJECT

  private:
    std::unique_ptr<serving::ModelRegistry> registry_;

  private slots:
    void initTestCase() {
        auto registry = loadSmolLM2();
        QVERIFY2(registry.ok(), registry.ok() ? "" : registry.error().message.c_str());
        registry_ = std::move(registry.value());
    }

    // Attached text goes into the prompt (a report part of its own), is kept with the question
    // and goes with it again when the answer is regenerated.
    void attachmentsReachThePrompt() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        auto c = conformance::newConversation(*s, "files");
        QVERIFY(c.ok());
        SendRequest request;
        request.conversationId = c->id;
        request.content = "What is in the file?";
        request.options = conformance::shortAnswer();
        request.attachments.push_back(
            {"notes.txt", "text/plain", "The meeting moved to Thursday at nine in room 4B."});
        auto started =
            await<StreamStarted>([&](Reply<StreamStarted> r) { s->send(request, std::move(r)); });
        QVERIFY(started.ok());
        QVERIFY(recorder.waitFinished(started->streamId).has_value());
        auto report = conformance::contextReportOf(*s, started->assistantMessageId);
        QVERIFY(report.ok());
        const auto file = std::find_if(
            report->parts.begin(), report->parts.end(),
            [](const ContextPart& p) { return p.kind == ContextPart::Kind::Attachment; });
        QVERIFY(file != report->parts.end());
        QCOMPARE(file->label, QStringLiteral("notes.txt"));
        QVERIFY(file->tokens > 10);
        auto view = conformance::viewOf(*s, c->id);
        QVERIFY(view.ok());
        QVERIFY(view->messages[0].message.attachmentsJson.contains("room 4B"));
        QCOMPARE(view->messages[0].message.content, QStringLiteral("What is in the file?"));

        auto again = conformance::regenerateAnswer(*s, started->assistantMessageId,
                                                   conformance::shortAnswer());
        QVERIFY(again.ok());
        auto done = recorder.waitFinished(again->streamId);
        QVERIFY(done.has_value());
        QCOMPARE(done->promptTokens, qint64(report->promptTokens));
    }

    // While an answer streams, the store holds its text at most 250 ms behind: what had streamed
    // before a 400 ms pause is in the store after it.
    void streamingAnswerIsCheckpointed() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        auto c = conformance::newConversation(*s, "checkpoints");
        QVERIFY(c.ok());
        auto started = conformance::sendText(*s, c->id, "Tell me a long story about a dragon.",
                                             conformance::shortAnswer(300));
        QVERIFY(started.ok());
        int seenWhileStreaming = 0;
        {
            QSqlDatabase reader = QSqlDatabase::addDatabase("QSQLITE", "checkpoint-reader");
            reader.setDatabaseName(f.databasePath());
            reader.setConnectOptions("QSQLITE_OPEN_READONLY");
            QVERIFY(reader.open());
            QString streamedAtLastRead;
            while (!recorder.finished(started->streamId)) {
                const QString streamedBefore = recorder.text(started->streamId);
                testing::spinUntil([] { return false; }, 400);
                QSqlQuery q(reader);
                q.prepare("SELECT content, status FROM messages WHERE id = ?");
                q.addBindValue(started->assistantMessageId);
                QVERIFY(q.exec() && q.next());
                if (q.value(1).toString() != QLatin1String("streaming")) {
                    break;
                }
                const QString stored = q.value(0).toString();
                QVERIFY2(stored.startsWith(streamedBefore),
                         qPrintable(stored + " / " + streamedBefore));
                QVERIFY(recorder.text(started->streamId).startsWith(stored) ||
                        stored.size() > recorder.text(started->streamId).size());
                seenWhileStreaming += stored.isEmpty() ? 0 : 1;
            }
        }
        QSqlDatabase::removeDatabase("checkpoint-reader");
        QVERIFY(seenWhileStreaming >= 2);
        QVERIFY(recorder.waitFinished(started->streamId).has_value());
    }

    // A long thread in a small window: recent turns verbatim, older ones cut, then summarised in
    // the background; the next answer's prompt carries the summary and still fits.
    void contextBudgetOnLongThread() {
        ChatSettings settings = quietSettings();
        settings.contextTokens = 512;
        settings.summarize = true;
        ChatFixture f(registry_.get(), settings);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        bool summaryStored = false;
        connect(
            f.core().worker(), &ChatWorker::summaryStored, this,
            [&](const QString&) { summaryStored = true; }, Qt::QueuedConnection);
        auto imported = await<int>(
            [&](Reply<int> r) { s->importConversations(longThread(40, "long"), std::move(r)); });
        QVERIFY(imported.ok());
        const QString id = importedId(*s, "long");
        QVERIFY(!id.isEmpty());

        auto first =
            conformance::sendText(*s, id, "And the last town?", conformance::shortAnswer(16));
        QVERIFY2(first.ok(), first.ok() ? "" : first.error().message.c_str());
        QVERIFY(recorder.waitFinished(first->streamId).has_value());
        auto report = conformance::contextReportOf(*s, first->assistantMessageId);
        QVERIFY(report.ok());
        QCOMPARE(report->contextTokens, 512);
        QCOMPARE(report->reservedTokens, 16);
        QVERIFY(report->promptTokens <= 512 - 16);
        QVERIFY(report->promptTokens > 256);  // the window is used, not left empty
        int cut = 0, kept = 0;
        for (const ContextPart& p : report->parts) {
            QVERIFY(p.kind != ContextPart::Kind::Summary);
            if (p.kind == ContextPart::Kind::Turn) {
                (p.included ? kept : cut) += 1;
            }
        }
        QCOMPARE(cut + kept, 41);
        QVERIFY(cut > 20);
        QVERIFY(kept >= 2);
        QVERIFY(report->parts.back().included);  // the new question is always in
        QCOMPARE(report->parts.front().kind, ContextPart::Kind::SystemPrompt);

        QVERIFY2(testing::spinUntil([&] { return summaryStored; }, 60000), "no summary stored");
        {
            QSqlDatabase reader = QSqlDatabase::addDatabase("QSQLITE", "summary-reader");
            reader.setDatabaseName(f.databasePath());
            QVERIFY(reader.open());
            QSqlQuery q(reader);
            QVERIFY(
                q.exec("SELECT first_message_id, last_message_id, message_count, content "
                       "FROM summaries"));
            QVERIFY(q.next());
            QVERIFY(!q.value(3).toString().trimmed().isEmpty());
            QCOMPARE(q.value(2).toInt(), cut);
            QVERIFY(q.value(0).toString() != q.value(1).toString());
        }
        QSqlDatabase::removeDatabase("summary-reader");

        auto second = conformance::sendText(*s, id, "Thank you.", conformance::shortAnswer(16));
        QVERIFY(second.ok());
        QVERIFY(recorder.waitFinished(second->streamId).has_value());
        report = conformance::contextReportOf(*s, second->assistantMessageId);
        QVERIFY(report.ok());
        QVERIFY(report->promptTokens <= 512 - 16);
        const auto summary =
            std::find_if(report->parts.begin(), report->parts.end(),
                         [](const ContextPart& p) { return p.kind == ContextPart::Kind::Summary; });
        QVERIFY(summary != report->parts.end());
        QVERIFY(summary->included);
        QVERIFY(summary->tokens > 0);
        QCOMPARE(summary->label, QStringLiteral("summary of %1 earlier messages").arg(cut));
        int inSummary = 0;
        for (const ContextPart& p : report->parts) {
            if (p.kind == ContextPart::Kind::Turn &&
                p.label.endsWith(QStringLiteral("(in summary)"))) {
                QVERIFY(!p.included);
                ++inSummary;
            }
        }
        QCOMPARE(inSummary, cut);

        // The report survives a restart.
        auto services = f.reopen();
        auto afterRestart = conformance::contextReportOf(*services[0], second->assistantMessageId);
        QVERIFY(afterRestart.ok());
        QCOMPARE(afterRestart->promptTokens, report->promptTokens);
        QCOMPARE(afterRestart->parts.size(), report->parts.size());
    }

    // Regenerating sends the same prompt tokens again: the engine serves them from its prefix
    // cache.
    void regenerateReusesPrefixCache() {
        ChatFixture f(registry_.get(), quietSettings());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        auto c = conformance::newConversation(*s, "cache");
        QVERIFY(c.ok());
        auto first = conformance::sendText(
            *s, c->id,
            "Please explain in detail why the sky looks blue during the day and red at sunset.");
        QVERIFY(first.ok());
        QVERIFY(recorder.waitFinished(first->streamId).has_value());
        auto report = conformance::contextReportOf(*s, first->assistantMessageId);
        QVERIFY(report.ok());
        const auto engine = registry_->find({})->engine.get();
        const int64_t hitsBefore = engine->metrics().prefixCacheHits;
        auto again = conformance::regenerateAnswer(*s, first->assistantMessageId,
                                                   conformance::shortAnswer());
        QVERIFY(again.ok());
        auto done = recorder.waitFinished(again->streamId);
        QVERIFY(done.has_value());
        QCOMPARE(done->promptTokens, qint64(report->promptTokens));
        const int64_t hit = engine->metrics().prefixCacheHits - hitsBefore;
        // Every full 16-token block of the prompt except possibly the last one.
        QVERIFY2(hit >= (report->promptTokens / 16 - 1) * 16,
                 qPrintable(QStringLiteral("%1 of %2 prompt tokens from the cache")
                                .arg(hit)
                                .arg(report->promptTokens)));
    }

    // A database that cannot grow (its size limit reached, as on a full disk): the send fails
    // with the store's reason, nothing half-written remains and the file stays consistent.
    void fullDatabaseFailsCleanly() {
        ChatSettings settings = quietSettings();
        settings.maxDatabaseBytes = 1 << 20;
        ChatFixture f(registry_.get(), settings);
        QVERIFY(f.ready().ok());
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        auto c = conformance::newConversation(*s, "kept");
        QVERIFY(c.ok());
        auto first = conformance::sendText(*s, c->id, "Remember the word marmalade.");
        QVERIFY(first.ok());
        QVERIFY(recorder.waitFinished(first->streamId).has_value());
        auto before = conformance::viewOf(*s, c->id);
        QVERIFY(before.ok());

        const auto [fillers, lastError] = fillDatabase(*s);
        QVERIFY(fillers >= 3);
        QVERIFY2(lastError.contains(QStringLiteral("database or disk is full")),
                 qPrintable(lastError));

        auto refused = conformance::sendText(*s, c->id, randomWords(1200));
        QVERIFY(!refused.ok());
        QVERIFY2(testing::errorText(refused.error())
                     .contains(QStringLiteral("database or disk is full")),
                 refused.error().message.c_str());
        auto after = conformance::viewOf(*s, c->id);
        QVERIFY(after.ok());
        QCOMPARE(after->messages.size(), before->messages.size());
        QCOMPARE(after->messages.back().message.content, before->messages.back().message.content);
        QCOMPARE(after->conversation.activeLeafMessageId, before->conversation.activeLeafMessageId);
        auto list =
            await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
                s->listConversations(true, std::move(r));
            });
        QVERIFY(list.ok());
        QCOMPARE(int(list->size()), fillers + 1);
        QVERIFY(databaseIntact(f.databasePath()));
    }

    // The store fills up while an answer streams: a checkpoint fails, the stream ends with an
    // Error event naming the cause, the answer keeps its last saved text and the file stays
    // intact.
    void writeFailureMidStreamEndsTheStream() {
        ChatSettings settings = quietSettings();
        settings.maxDatabaseBytes = 1 << 20;
        ChatFixture f(registry_.get(), settings);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        StreamRecorder recorder(*s);
        auto c = conformance::newConversation(*s, "mid-stream");
        QVERIFY(c.ok());
        auto started =
            conformance::sendText(*s, c->id, "Write a very long story about a dragon and a knight.",
                                  conformance::shortAnswer(1000));
        QVERIFY(started.ok());
        // Fill the store only once a checkpoint has saved some of the answer, so that there is a
        // "last saved text" to keep (on a fast machine three tokens come before the first one).
        QVERIFY(testing::spinUntil([&] {
            auto saved = conformance::viewOf(*s, c->id);
            return saved.ok() && !saved->messages.back().message.content.isEmpty();
        }));
        const auto [fillers, lastError] = fillDatabase(*s);
        QVERIFY(fillers >= 3);
        auto end = recorder.waitFinished(started->streamId, 120000);
        QVERIFY(end.has_value());
        QCOMPARE(int(end->kind), int(StreamEvent::Kind::Error));
        QCOMPARE(end->status, store::MessageStatus::Failed);
        QCOMPARE(end->finishReason, QStringLiteral("error"));
        QVERIFY2(end->error.contains(QStringLiteral("database or disk is full")),
                 qPrintable(end->error));
        QVERIFY(end->completionTokens < 1000);

        auto view = conformance::viewOf(*s, c->id);
        QVERIFY(view.ok());
        const store::Message& answer = view->messages.back().message;
        QCOMPARE(answer.id, started->assistantMessageId);
        QCOMPARE(answer.status, store::MessageStatus::Failed);
        QVERIFY(!answer.content.isEmpty());
        QVERIFY(recorder.text(started->streamId).startsWith(answer.content));
        QVERIFY(databaseIntact(f.databasePath()));
    }
};

QTEST_GUILESS_MAIN(TestChatPipeline)
#include "test_chat_pipeline.moc"
