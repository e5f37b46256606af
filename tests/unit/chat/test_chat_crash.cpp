// Durability through ChatService across a real crash: a process streaming an answer with the
// real model is killed with SIGKILL; reopened, the store holds the question and the partial
// answer (marked interrupted) with everything checkpointed before the kill.
#include <QElapsedTimer>
#include <QProcess>
#include <QSqlQuery>
#include <QtTest>

#include "chat_fixture.h"
#include "support/sigkill_child.h"

using namespace parley;
using namespace parley::chat;

class TestChatCrash : public QObject {
    Q_OBJECT

  private slots:
    void partialAnswerSurvivesSigkill() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath("crash.sqlite");
        QProcess runner;
        QVERIFY2(parley::testing::startChild(runner, "chat_crash_runner", {path}),
                 qPrintable(runner.errorString()));

        QStringList ids;
        struct Seen {
            qint64 atMs;
            QString text;
        };
        std::vector<Seen> seen;
        QElapsedTimer clock;
        clock.start();
        qint64 firstTokenMs = -1;
        // Let it stream for a second: several checkpoints are due by then.
        while (firstTokenMs < 0 || clock.elapsed() - firstTokenMs < 1000) {
            if (!runner.canReadLine()) {
                QVERIFY2(runner.state() == QProcess::Running, "the runner stopped");
                QVERIFY2(runner.waitForReadyRead(60000), "the runner stopped reporting");
                continue;
            }
            const QString line = QString::fromUtf8(runner.readLine()).trimmed();
            if (line.startsWith(QLatin1String("ids "))) {
                ids = line.mid(4).split(QLatin1Char(' '));
            } else if (line.startsWith(QLatin1String("text "))) {
                seen.push_back({clock.elapsed(),
                                QString::fromUtf8(QByteArray::fromBase64(line.mid(5).toLatin1()))});
                if (firstTokenMs < 0) {
                    firstTokenMs = clock.elapsed();
                }
            }
        }
        const qint64 killedAt = clock.elapsed();
        QVERIFY(parley::testing::killWithSigkill(runner));
        // Lines written before the kill are still in the pipe: the full streamed text.
        for (const QByteArray& rest : runner.readAll().split('\n')) {
            if (rest.startsWith("text ")) {
                seen.push_back({killedAt, QString::fromUtf8(QByteArray::fromBase64(rest.mid(5)))});
            }
        }
        QCOMPARE(ids.size(), 4);
        // Text the runner had streamed 400 ms before the kill was checkpointed (250 ms at most).
        QString mustBeKept;
        for (const Seen& s : seen) {
            if (s.atMs <= killedAt - 400) {
                mustBeKept = s.text;
            }
        }
        QVERIFY(!mustBeKept.isEmpty());

        chat::testing::ChatFixture reopened(nullptr, {}, path);
        QVERIFY(reopened.ready().ok());
        LocalChatService chats(reopened.core(), ids[0]);
        auto view = chat::testing::await<ConversationView>(
            [&](Reply<ConversationView> r) { chats.conversation(ids[1], std::move(r)); });
        QVERIFY2(view.ok(), view.ok() ? "" : view.error().message.c_str());
        QCOMPARE(view->messages.size(), size_t(2));
        const store::Message& question = view->messages[0].message;
        const store::Message& answer = view->messages[1].message;
        QCOMPARE(question.id, ids[2]);
        QCOMPARE(question.content,
                 QStringLiteral("Write a very long story about a dragon and a knight."));
        QCOMPARE(question.status, store::MessageStatus::Complete);
        QCOMPARE(answer.id, ids[3]);
        QCOMPARE(answer.status, store::MessageStatus::Interrupted);
        QVERIFY2(answer.content.startsWith(mustBeKept),
                 qPrintable(answer.content + " | " + mustBeKept));
        // Nothing beyond what was streamed.
        QVERIFY2(seen.back().text.startsWith(answer.content), qPrintable(answer.content));

        QSqlDatabase check = QSqlDatabase::addDatabase("QSQLITE", "crash-check");
        check.setDatabaseName(path);
        QVERIFY(check.open());
        {
            QSqlQuery q(check);
            QVERIFY(q.exec("PRAGMA integrity_check") && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        }
        check.close();
        check = QSqlDatabase();
        QSqlDatabase::removeDatabase("crash-check");
    }
};

QTEST_GUILESS_MAIN(TestChatCrash)
#include "test_chat_crash.moc"
