// Durability across a real crash: a writer process is killed with SIGKILL mid-stream; the store
// reopened afterwards holds the question and every checkpoint the writer reported as committed,
// with the answer marked interrupted.
#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include "store/database.h"
#include "store/message_repository.h"
#include "support/sigkill_child.h"

using namespace parley::store;

class TestStoreCrash : public QObject {
    Q_OBJECT

  private slots:
    void streamingAnswerSurvivesSigkill() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath("crash.sqlite");
        QProcess writer;
        QVERIFY2(parley::testing::startChild(writer, "store_crash_writer", {path}),
                 qPrintable(writer.errorString()));

        QStringList ids;
        int lastCheckpoint = -1;
        while (lastCheckpoint < 20) {
            if (!writer.canReadLine()) {
                QVERIFY2(writer.waitForReadyRead(10000), "the writer stopped reporting");
                continue;
            }
            const QStringList fields =
                QString::fromUtf8(writer.readLine()).trimmed().split(QLatin1Char(' '));
            if (fields.value(0) == QLatin1String("ids")) {
                ids = fields.mid(1);
            } else if (fields.value(0) == QLatin1String("checkpoint")) {
                lastCheckpoint = fields.value(1).toInt();
            }
        }
        QVERIFY(parley::testing::killWithSigkill(writer));
        QCOMPARE(ids.size(), 3);

        auto db = Database::open(path);
        QVERIFY2(db, db ? "" : db.error().message.c_str());
        {
            QSqlQuery check((*db)->connection());
            QVERIFY(check.exec("PRAGMA integrity_check") && check.next());
            QCOMPARE(check.value(0).toString(), QStringLiteral("ok"));
        }
        MessageRepository messages(**db);
        auto recovered = messages.recoverInterrupted();
        QVERIFY(recovered);
        QCOMPARE(*recovered, 1);

        auto question = messages.get(ids[1]);
        QVERIFY(question);
        QCOMPARE(question->content, QStringLiteral("keep talking"));
        auto answer = messages.get(ids[2]);
        QVERIFY(answer);
        QCOMPARE(statusName(answer->status), QStringLiteral("interrupted"));
        // Every reported checkpoint is in the text; one more may have committed before the kill.
        QString reported;
        for (int step = 0; step <= lastCheckpoint; ++step) {
            reported += QStringLiteral("w%1 ").arg(step);
        }
        QVERIFY2(answer->content.startsWith(reported), qPrintable(answer->content));
        QVERIFY(answer->content.size() <= reported.size() + 5);
        auto branch = messages.activeBranch(ids[0]);
        QVERIFY(branch);
        QCOMPARE(branch->size(), size_t(2));
        QCOMPARE(branch->back().id, ids[2]);
    }
};

QTEST_GUILESS_MAIN(TestStoreCrash)
#include "test_store_crash.moc"
