// The chat pipeline's store records against a real SQLite file: summaries with their range,
// context reports, accepted client message ids, usage rows, whole-conversation import, message
// attachments, and a size limit that fails writes cleanly.
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include "store/accepted_request_repository.h"
#include "store/context_report_repository.h"
#include "store/conversation_import.h"
#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"
#include "store/storage_limit.h"
#include "store/summary_repository.h"
#include "store/usage_repository.h"
#include "store/user_repository.h"
#include "store_test_support.h"

using namespace parley::store;
using parley::store::testing::draft;

class TestStoreChatRecords : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dir_;
    std::unique_ptr<Database> db_;
    QString user_;
    QString conversation_;
    QString question_;
    QString answer_;

  private slots:
    void init() {
        QVERIFY(dir_.isValid());
        auto db = testing::openTestDatabase(dir_);
        QVERIFY2(db, db ? "" : db.error().message.c_str());
        db_ = std::move(db.value());
        auto user = UserRepository(*db_).createUser("ada");
        QVERIFY(user);
        user_ = *user;
        auto c = ConversationRepository(*db_).create(user_, "records");
        QVERIFY(c);
        conversation_ = c->id;
        MessageRepository messages(*db_);
        auto q = messages.append(draft(conversation_, {}, "user", "question"));
        QVERIFY(q);
        auto a = messages.append(draft(conversation_, q->id, "assistant", "answer"));
        QVERIFY(a);
        question_ = q->id;
        answer_ = a->id;
    }

    void summariesKeepTheirRangeNewestFirst() {
        SummaryRepository summaries(*db_);
        Summary first;
        first.conversationId = conversation_;
        first.firstMessageId = question_;
        first.lastMessageId = question_;
        first.messageCount = 1;
        first.content = "asked a question";
        first.model = "m";
        QVERIFY(summaries.add(first));
        Summary second = first;
        second.lastMessageId = answer_;
        second.messageCount = 2;
        second.content = "asked and answered";
        auto added = summaries.add(second);
        QVERIFY(added);
        QVERIFY(!added->id.isEmpty());
        auto list = summaries.listForConversation(conversation_);
        QVERIFY(list);
        QCOMPARE(list->size(), size_t(2));
        QCOMPARE(list->front().content, QStringLiteral("asked and answered"));
        QCOMPARE(list->front().firstMessageId, question_);
        QCOMPARE(list->front().lastMessageId, answer_);
        QCOMPARE(list->front().messageCount, 2);
        // A summary must name real messages.
        Summary dangling = first;
        dangling.lastMessageId = "no-such-message";
        QVERIFY(!summaries.add(dangling));
        // Deleting the conversation takes its summaries along.
        QVERIFY(ConversationRepository(*db_).remove(conversation_));
        list = summaries.listForConversation(conversation_);
        QVERIFY(list && list->empty());
    }

    void contextReportsAreReplaced() {
        ContextReportRepository reports(*db_);
        QVERIFY(!reports.get(answer_));
        QVERIFY(reports.put(answer_, R"({"promptTokens": 10})"));
        QVERIFY(reports.put(answer_, R"({"promptTokens": 12})"));
        auto json = reports.get(answer_);
        QVERIFY(json);
        QCOMPARE(*json, QStringLiteral(R"({"promptTokens": 12})"));
        QVERIFY(!reports.put("no-such-message", "{}"));
    }

    void acceptedRequestsAreFoundOnce() {
        AcceptedRequestRepository accepted(*db_);
        auto none = accepted.find(conversation_, "c1");
        QVERIFY(none && !none->has_value());
        QVERIFY(accepted.record({conversation_, "c1", "stream-1", question_, answer_, "m"}));
        auto found = accepted.find(conversation_, "c1");
        QVERIFY(found && found->has_value());
        QCOMPARE((*found)->streamId, QStringLiteral("stream-1"));
        QCOMPARE((*found)->userMessageId, question_);
        QCOMPARE((*found)->assistantMessageId, answer_);
        QVERIFY(!accepted.record({conversation_, "c1", "stream-2", question_, answer_, "m"}));
    }

    void usageAddsUp() {
        UsageRepository usage(*db_);
        QVERIFY(usage.record({user_, conversation_, answer_, "answer", "m", 100, 20}));
        QVERIFY(usage.record({user_, conversation_, {}, "title", "m", 30, 5}));
        QVERIFY(!usage.record({user_, {}, {}, "bogus", "m", 1, 1}));
        auto totals = usage.totalsForUser(user_);
        QVERIFY(totals);
        QCOMPARE(totals->calls, qint64(2));
        QCOMPARE(totals->promptTokens, qint64(130));
        QCOMPARE(totals->completionTokens, qint64(25));
    }

    void importWritesAWholeTreeOrNothing() {
        ImportedConversation imported;
        imported.conversation.title = "imported";
        imported.conversation.tags = {"a"};
        Message q;
        q.id = "q";
        q.role = "user";
        q.content = "hello";
        q.createdAt = 1000;
        Message a1 = q;
        a1.id = "a1";
        a1.parentId = "q";
        a1.role = "assistant";
        a1.content = "one";
        a1.status = MessageStatus::Cancelled;
        a1.completionTokens = 3;
        a1.createdAt = 2000;
        Message a2 = a1;
        a2.id = "a2";
        a2.content = "two";
        a2.createdAt = 3000;
        imported.messages = {q, a1, a2};
        imported.activeLeafMessageId = "a1";
        auto id = importConversation(*db_, user_, imported);
        QVERIFY2(id, id ? "" : id.error().message.c_str());
        auto c = ConversationRepository(*db_).get(*id);
        QVERIFY(c);
        QCOMPARE(c->tags, QStringList{"a"});
        MessageRepository messages(*db_);
        auto branch = messages.activeBranch(*id);
        QVERIFY(branch);
        QCOMPARE(branch->size(), size_t(2));
        QCOMPARE(branch->back().content, QStringLiteral("one"));
        QCOMPARE(branch->back().status, MessageStatus::Cancelled);
        QCOMPARE(branch->back().completionTokens, std::optional<qint64>(3));
        QCOMPARE(branch->back().createdAt, qint64(2000));
        auto siblings = messages.children(*id, branch->front().id);
        QVERIFY(siblings);
        QCOMPARE(siblings->size(), size_t(2));

        // A child before its parent: refused, and nothing of it is written.
        imported.conversation.title = "broken";
        imported.messages = {a1, q};
        QVERIFY(!importConversation(*db_, user_, imported));
        auto list = ConversationRepository(*db_).listForUser(user_, true);
        QVERIFY(list);
        QCOMPARE(list->size(), size_t(2));
    }

    void attachmentsAreStoredWithTheMessage() {
        NewMessage m = draft(conversation_, answer_, "user", "see file");
        m.attachmentsJson = R"([{"name":"a.txt","text":"hi"}])";
        MessageRepository messages(*db_);
        auto stored = messages.append(m);
        QVERIFY(stored);
        auto read = messages.get(stored->id);
        QVERIFY(read);
        QCOMPARE(read->attachmentsJson, m.attachmentsJson);
    }

    void sizeLimitFailsWritesCleanly() {
        QVERIFY(limitDatabaseSize(*db_, 1));  // below the current size: no room to grow at all
        MessageRepository messages(*db_);
        const QString big(20000, QLatin1Char('x'));
        auto refused = messages.append(draft(conversation_, answer_, "user", big));
        QVERIFY(!refused);
        QVERIFY2(
            QString::fromStdString(refused.error().message).contains("database or disk is full"),
            refused.error().message.c_str());
        auto branch = messages.activeBranch(conversation_);
        QVERIFY(branch);
        QCOMPARE(branch->size(), size_t(2));
        QCOMPARE(branch->back().id, answer_);
        QSqlQuery check(db_->connection());
        QVERIFY(check.exec("PRAGMA integrity_check") && check.next());
        QCOMPARE(check.value(0).toString(), QStringLiteral("ok"));
    }
};

QTEST_GUILESS_MAIN(TestStoreChatRecords)
#include "test_store_chat_records.moc"
