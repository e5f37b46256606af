// Conversation and message repositories against a real SQLite file: CRUD, ordering, the message
// tree (edit and regenerate as branches, the active path), streaming updates, search, isolation.
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"
#include "store/user_repository.h"
#include "store_test_support.h"

using namespace parley::store;
using parley::store::testing::draft;

namespace {

QStringList ids(const std::vector<Conversation>& list) {
    QStringList out;
    for (const Conversation& c : list) {
        out.append(c.id);
    }
    return out;
}

QStringList ids(const std::vector<Message>& list) {
    QStringList out;
    for (const Message& m : list) {
        out.append(m.id);
    }
    return out;
}

}  // namespace

class TestStoreRepositories : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dir_;
    std::unique_ptr<Database> db_;
    QString alice_;
    QString bob_;

  private slots:
    void init() {
        QVERIFY(dir_.isValid());
        auto db = testing::openTestDatabase(dir_);
        QVERIFY2(db, db ? "" : db.error().message.c_str());
        db_ = std::move(db.value());
        UserRepository users(*db_);
        auto alice = users.createUser("alice");
        auto bob = users.createUser("bob");
        QVERIFY(alice && bob);
        alice_ = *alice;
        bob_ = *bob;
    }

    void cleanup() { db_.reset(); }

    void conversationCrud() {
        ConversationRepository repo(*db_);
        auto created = repo.create(alice_, "First chat");
        QVERIFY(created);
        QCOMPARE(created->id.size(), 36);  // a uuid without braces
        auto read = repo.get(created->id);
        QVERIFY(read);
        QCOMPARE(read->title, QStringLiteral("First chat"));
        QCOMPARE(read->userId, alice_);
        QVERIFY(read->workspaceId.isEmpty());
        QVERIFY(!read->pinned);
        QVERIFY(!read->archived);
        QVERIFY(read->tags.isEmpty());
        QVERIFY(read->activeLeafMessageId.isEmpty());
        QCOMPARE(read->createdAt, created->createdAt);

        QVERIFY(repo.rename(created->id, "Renamed"));
        QVERIFY(repo.setPinned(created->id, true));
        QVERIFY(repo.setTags(created->id, {"work", "q\"uote"}));
        read = repo.get(created->id);
        QVERIFY(read);
        QCOMPARE(read->title, QStringLiteral("Renamed"));
        QVERIFY(read->pinned);
        QCOMPARE(read->tags, QStringList({"work", "q\"uote"}));
        QVERIFY(read->updatedAt > read->createdAt);

        QVERIFY(repo.setArchived(created->id, true));
        auto visible = repo.listForUser(alice_);
        QVERIFY(visible);
        QVERIFY(visible->empty());
        auto all = repo.listForUser(alice_, true);
        QVERIFY(all);
        QCOMPARE(ids(*all), QStringList{created->id});
        QVERIFY(all->front().archived);

        QVERIFY(repo.remove(created->id));
        auto gone = repo.get(created->id);
        QVERIFY(!gone);
        QVERIFY(QString::fromStdString(gone.error().message).contains(created->id));
        QVERIFY(!repo.remove(created->id));
        QVERIFY(!repo.rename("no-such-id", "x"));
        QVERIFY(!repo.setPinned("no-such-id", true));
    }

    void listIsPinnedFirstThenNewestFirst() {
        ConversationRepository repo(*db_);
        MessageRepository messages(*db_);
        auto first = repo.create(alice_, "first");
        auto second = repo.create(alice_, "second");
        auto third = repo.create(alice_, "third");
        QVERIFY(first && second && third);
        auto list = repo.listForUser(alice_);
        QVERIFY(list);
        QCOMPARE(ids(*list), QStringList({third->id, second->id, first->id}));

        // A new message makes a conversation the most recent one.
        QVERIFY(messages.append(draft(second->id, {}, "user", "bump")));
        list = repo.listForUser(alice_);
        QVERIFY(list);
        QCOMPARE(ids(*list), QStringList({second->id, third->id, first->id}));

        QVERIFY(repo.setPinned(first->id, true));
        list = repo.listForUser(alice_);
        QVERIFY(list);
        QCOMPARE(ids(*list), QStringList({first->id, second->id, third->id}));
    }

    void usersSeeOnlyTheirOwnConversations() {
        ConversationRepository repo(*db_);
        auto mine = repo.create(alice_, "alice's");
        auto theirs = repo.create(bob_, "bob's");
        QVERIFY(mine && theirs);
        auto aliceList = repo.listForUser(alice_);
        auto bobList = repo.listForUser(bob_);
        QVERIFY(aliceList && bobList);
        QCOMPARE(ids(*aliceList), QStringList{mine->id});
        QCOMPARE(ids(*bobList), QStringList{theirs->id});
    }

    // u1 -> a1 (streamed), then regenerate (a1b, sibling of a1), then edit (u2, sibling of u1)
    // with its own answer a2; the active branch follows the newest write and can be switched.
    void editAndRegenerateMakeBranches() {
        auto conversation = ConversationRepository(*db_).create(alice_, "tree");
        QVERIFY(conversation);
        const QString cid = conversation->id;
        MessageRepository messages(*db_);

        auto u1 = messages.append(draft(cid, {}, "user", "What is 2+2?"));
        QVERIFY(u1);
        auto a1 =
            messages.append(draft(cid, u1->id, "assistant", {}, MessageStatus::Streaming, "m1"));
        QVERIFY(a1);
        QCOMPARE(a1->parentId, u1->id);
        QVERIFY(messages.checkpoint(a1->id, "It is"));
        MessageCompletion done;
        done.content = "It is 4.";
        done.finishReason = "stop";
        done.promptTokens = 12;
        done.completionTokens = 4;
        done.ttftMs = 35;
        done.totalMs = 120;
        QVERIFY(messages.finish(a1->id, done));
        auto a1Read = messages.get(a1->id);
        QVERIFY(a1Read);
        QCOMPARE(statusName(a1Read->status), QStringLiteral("complete"));
        QCOMPARE(a1Read->content, QStringLiteral("It is 4."));
        QCOMPARE(a1Read->finishReason, QStringLiteral("stop"));
        QCOMPARE(a1Read->promptTokens, std::optional<qint64>(12));
        QCOMPARE(a1Read->completionTokens, std::optional<qint64>(4));
        QCOMPARE(a1Read->ttftMs, std::optional<qint64>(35));
        QCOMPARE(a1Read->totalMs, std::optional<qint64>(120));
        QCOMPARE(a1Read->model, QStringLiteral("m1"));
        QVERIFY(!messages.finish(a1->id, done));  // already finished
        QVERIFY(!messages.checkpoint(a1->id, "late"));

        auto u1Read = messages.get(u1->id);
        QVERIFY(u1Read);
        QVERIFY(!u1Read->promptTokens.has_value());
        QCOMPARE(u1Read->citationsJson, QStringLiteral("[]"));

        // Regenerate: a second answer to the same question.
        auto a1b = messages.append(draft(cid, u1->id, "assistant", "Four."));
        QVERIFY(a1b);
        auto answers = messages.children(cid, u1->id);
        QVERIFY(answers);
        QCOMPARE(ids(*answers), QStringList({a1->id, a1b->id}));
        auto branch = messages.activeBranch(cid);
        QVERIFY(branch);
        QCOMPARE(ids(*branch), QStringList({u1->id, a1b->id}));

        // Edit: a new root user message beside u1, answered on its own branch.
        auto u2 = messages.append(draft(cid, {}, "user", "What is 3+3?"));
        QVERIFY(u2);
        auto a2 = messages.append(draft(cid, u2->id, "assistant", "6"));
        QVERIFY(a2);
        auto roots = messages.children(cid, {});
        QVERIFY(roots);
        QCOMPARE(ids(*roots), QStringList({u1->id, u2->id}));
        branch = messages.activeBranch(cid);
        QVERIFY(branch);
        QCOMPARE(ids(*branch), QStringList({u2->id, a2->id}));

        auto path = messages.pathTo(a1->id);
        QVERIFY(path);
        QCOMPARE(ids(*path), QStringList({u1->id, a1->id}));

        // Switch back to the first answer.
        ConversationRepository conversations(*db_);
        QVERIFY(conversations.setActiveLeaf(cid, a1->id));
        QCOMPARE(conversations.get(cid)->activeLeafMessageId, a1->id);
        branch = messages.activeBranch(cid);
        QVERIFY(branch);
        QCOMPARE(ids(*branch), QStringList({u1->id, a1->id}));

        auto leaves = messages.children(cid, a1->id);
        QVERIFY(leaves);
        QVERIFY(leaves->empty());
        QVERIFY(!messages.pathTo("no-such-message"));
    }

    void treeRejectsCrossConversationLinks() {
        ConversationRepository conversations(*db_);
        MessageRepository messages(*db_);
        auto one = conversations.create(alice_, "one");
        auto two = conversations.create(alice_, "two");
        QVERIFY(one && two);
        auto inOne = messages.append(draft(one->id, {}, "user", "hello"));
        QVERIFY(inOne);
        QVERIFY(!messages.append(draft(two->id, inOne->id, "assistant", "wrong tree")));
        QVERIFY(!messages.append(draft(two->id, "no-such-parent", "assistant", "no parent")));
        QVERIFY(!conversations.setActiveLeaf(two->id, inOne->id));
        QVERIFY(!messages.append(draft(one->id, inOne->id, "narrator", "bad role")));
        auto branchOfTwo = messages.activeBranch(two->id);
        QVERIFY(branchOfTwo);
        QVERIFY(branchOfTwo->empty());
    }

    void statusCanBeSetOnAnyMessage() {
        auto conversation = ConversationRepository(*db_).create(alice_, "status");
        QVERIFY(conversation);
        MessageRepository messages(*db_);
        auto answer = messages.append(
            draft(conversation->id, {}, "assistant", "partial", MessageStatus::Streaming));
        QVERIFY(answer);
        QVERIFY(messages.setStatus(answer->id, MessageStatus::Cancelled));
        auto read = messages.get(answer->id);
        QVERIFY(read);
        QCOMPARE(statusName(read->status), QStringLiteral("cancelled"));
        QCOMPARE(read->content, QStringLiteral("partial"));
        QVERIFY(!messages.setStatus("no-such-message", MessageStatus::Failed));
    }

    void searchFindsMessagesOfTheUserOnly() {
        ConversationRepository conversations(*db_);
        MessageRepository messages(*db_);
        auto aliceChat = conversations.create(alice_, "animals");
        auto bobChat = conversations.create(bob_, "metals");
        QVERIFY(aliceChat && bobChat);
        auto fox = messages.append(draft(aliceChat->id, {}, "user", "The quick brown fox jumps"));
        QVERIFY(fox);
        QVERIFY(messages.append(draft(aliceChat->id, fox->id, "assistant", "over the lazy dog")));
        auto silver = messages.append(draft(bobChat->id, {}, "user", "quick silver is mercury"));
        QVERIFY(silver);

        auto hits = messages.search(alice_, "quick");
        QVERIFY(hits);
        QCOMPARE(hits->size(), size_t(1));
        QCOMPARE(hits->front().conversationId, aliceChat->id);
        QCOMPARE(hits->front().messageId, fox->id);
        QVERIFY2(hits->front().snippet.contains("[quick]"), qPrintable(hits->front().snippet));

        hits = messages.search(bob_, "QUICK");
        QVERIFY(hits);
        QCOMPARE(hits->size(), size_t(1));
        QCOMPARE(hits->front().messageId, silver->id);

        hits = messages.search(alice_, "lazy fox");  // every word, across messages: none
        QVERIFY(hits);
        QVERIFY(hits->empty());
        hits = messages.search(alice_, "brown fox");
        QVERIFY(hits);
        QCOMPARE(hits->size(), size_t(1));

        // FTS5 operators in user text are literal, not syntax errors.
        hits = messages.search(alice_, "quick\" OR (NEAR*");
        QVERIFY2(hits, hits ? "" : hits.error().message.c_str());
        QVERIFY(hits->empty());
        hits = messages.search(alice_, "   ");
        QVERIFY(hits);
        QVERIFY(hits->empty());

        QVERIFY(conversations.remove(aliceChat->id));
        hits = messages.search(alice_, "quick");
        QVERIFY(hits);
        QVERIFY(hits->empty());
    }

    void searchFollowsStreamingCheckpoints() {
        auto conversation = ConversationRepository(*db_).create(alice_, "stream");
        QVERIFY(conversation);
        MessageRepository messages(*db_);
        auto answer = messages.append(
            draft(conversation->id, {}, "assistant", "alpha draft", MessageStatus::Streaming));
        QVERIFY(answer);
        QCOMPARE(messages.search(alice_, "alpha")->size(), size_t(1));
        QVERIFY(messages.checkpoint(answer->id, "omega text"));
        QVERIFY(messages.search(alice_, "alpha")->empty());
        auto hits = messages.search(alice_, "omega");
        QVERIFY(hits);
        QCOMPARE(hits->size(), size_t(1));
        QCOMPARE(hits->front().messageId, answer->id);
    }
};

QTEST_GUILESS_MAIN(TestStoreRepositories)
#include "test_store_repositories.moc"
