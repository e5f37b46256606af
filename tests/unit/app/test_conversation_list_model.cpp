// ConversationListModel on the real LocalChatService and a real SQLite file: order (pinned
// first, newest first), date sections, rename, pin, delete with undo, full-text search.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "conversation_list_model.h"
#include "local_backend.h"
#include "unit/app/app_test_support.h"

using namespace parley;
using app::ConversationListModel;

class TestConversationListModel : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<app::LocalBackend> backend_;

    QString create(const QString& title) {
        QString id;
        backend_->service().createConversation(title, [&](Result<store::Conversation> c) {
            QVERIFY(c.ok());
            id = c->id;
        });
        [&] { QTRY_VERIFY(!id.isEmpty()); }();
        return id;
    }

    QStringList titles(const ConversationListModel& model) {
        QStringList out;
        for (int row = 0; row < model.rowCount(); ++row)
            out.append(model.data(model.index(row), ConversationListModel::TitleRole).toString());
        return out;
    }

    QStringList serviceIds() {
        std::optional<QStringList> ids;
        backend_->service().listConversations(false,
                                              [&](Result<std::vector<store::Conversation>> list) {
                                                  QStringList out;
                                                  for (const auto& c : list.value())
                                                      out.append(c.id);
                                                  ids = out;
                                              });
        [&] { QTRY_VERIFY(ids.has_value()); }();
        return ids.value_or(QStringList());
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        auto backend = app::LocalBackend::open(dir_.filePath("data"));
        QVERIFY2(backend.ok(), backend ? "" : backend.error().message.c_str());
        backend_ = std::move(backend.value());
    }

    void listsPinnedFirstThenNewest() {
        ConversationListModel model(&backend_->service());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString older = create("Older thread");
        create("Newer thread");
        model.refresh();
        QTRY_COMPARE(model.rowCount(), 2);
        QCOMPARE(titles(model), (QStringList{"Newer thread", "Older thread"}));
        QCOMPARE(model.data(model.index(0), ConversationListModel::SectionRole).toString(),
                 "Today");

        model.setPinned(older, true);
        QCOMPARE(titles(model), (QStringList{"Older thread", "Newer thread"}));
        QCOMPARE(model.data(model.index(0), ConversationListModel::SectionRole).toString(),
                 "Pinned");
        ConversationListModel reread(&backend_->service());
        reread.refresh();
        QTRY_COMPARE(reread.rowCount(), 2);
        QCOMPARE(reread.data(reread.index(0), ConversationListModel::PinnedRole).toBool(), true);
        model.setPinned(older, false);
    }

    void groupsByDate_data() {
        QTest::addColumn<int>("daysLater");
        QTest::addColumn<QString>("section");
        QTest::newRow("same day") << 0 << "Today";
        QTest::newRow("next day") << 1 << "Yesterday";
        QTest::newRow("five days") << 5 << "Previous 7 days";
        QTest::newRow("a month") << 30 << "Older";
    }
    void groupsByDate() {
        QFETCH(int, daysLater);
        QFETCH(QString, section);
        ConversationListModel model(&backend_->service());
        model.refresh();
        QTRY_VERIFY(model.rowCount() > 0);
        const QDateTime updated =
            model.data(model.index(0), ConversationListModel::UpdatedAtRole).toDateTime();
        model.setReferenceTime(updated.addDays(daysLater));
        QCOMPARE(model.data(model.index(0), ConversationListModel::SectionRole).toString(),
                 section);
    }

    void renamesInPlaceAndInTheStore() {
        ConversationListModel model(&backend_->service());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString id = create("Before");
        model.refresh();
        QTRY_VERIFY(model.rowOf(id) >= 0);
        QCOMPARE(model.titleOf(id), "Before");
        model.rename(id, "  After   rename ");
        QCOMPARE(
            model.data(model.index(model.rowOf(id)), ConversationListModel::TitleRole).toString(),
            "After rename");
        QCOMPARE(model.titleOf(id), "After rename");
        QCOMPARE(model.titleOf("no-such-thread"), QString());
        ConversationListModel reread(&backend_->service());
        reread.refresh();
        QTRY_VERIFY(reread.rowOf(id) >= 0);
        QCOMPARE(reread.data(reread.index(reread.rowOf(id)), ConversationListModel::TitleRole)
                     .toString(),
                 "After rename");
    }

    void deleteCanBeUndoneThenCommits() {
        ConversationListModel model(&backend_->service());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setUndoWindowMs(200);
        const QString id = create("To delete");
        model.refresh();
        QTRY_VERIFY(model.rowOf(id) >= 0);
        const int before = model.rowCount();

        model.remove(id);
        QCOMPARE(model.rowCount(), before - 1);
        QVERIFY(model.canUndoDelete());
        QCOMPARE(model.pendingDeleteTitle(), "To delete");
        model.undoDelete();
        QCOMPARE(model.rowCount(), before);
        QVERIFY(!model.canUndoDelete());
        QVERIFY(serviceIds().contains(id));

        QSignalSpy deleted(&model, &ConversationListModel::conversationDeleted);
        model.remove(id);
        QVERIFY(serviceIds().contains(id));  // still there during the undo window
        QTRY_COMPARE(deleted.count(), 1);
        QCOMPARE(deleted.first().first().toString(), id);
        QVERIFY(!serviceIds().contains(id));
        QVERIFY(!model.canUndoDelete());
    }

    void searchFindsThreadsByMessageText() {
        const QString userId = backend_->service().userId();
        auto seeded = app_test::seedThread(backend_->databasePath(), userId, "Volcanoes", 4);
        QVERIFY(seeded.ok());
        ConversationListModel model(&backend_->service());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.refresh();
        QTRY_VERIFY(model.rowOf(seeded.value()) >= 0);
        QVERIFY(model.rowCount() > 1);

        model.setSearchText("volcanoes");
        QTRY_COMPARE(model.rowCount(), 1);
        QCOMPARE(model.idAt(0), seeded.value());
        QCOMPARE(model.data(model.index(0), ConversationListModel::TitleRole).toString(),
                 "Volcanoes");
        QVERIFY2(
            model.data(model.index(0), ConversationListModel::SnippetRole)
                .toString()
                .contains("[Volcanoes]"),
            qPrintable(model.data(model.index(0), ConversationListModel::SnippetRole).toString()));

        model.setSearchText("nothingmatchesthis");
        QTRY_COMPARE(model.rowCount(), 0);
        model.setSearchText("");
        QVERIFY(model.rowCount() > 1);
    }

    void cleanupTestCase() { backend_.reset(); }
};

QTEST_GUILESS_MAIN(TestConversationListModel)
#include "test_conversation_list_model.moc"
