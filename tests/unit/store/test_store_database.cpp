// The store's database layer against real SQLite files: migrations, pragmas, crash recovery,
// foreign keys, and failed writes (read-only, disk full) that must leave the file intact.
#include <QFile>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include "store/conversation_repository.h"
#include "store/database.h"
#include "store/message_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "store_test_support.h"

using namespace parley::store;
using parley::store::testing::draft;

namespace {

QVariant scalar(Database& db, const QString& sql) {
    QSqlQuery query(db.connection());
    if (!query.exec(sql) || !query.next()) {
        return {};
    }
    return query.value(0);
}

int messageCount(Database& db) {
    return scalar(db, QStringLiteral("SELECT COUNT(*) FROM messages")).toInt();
}

}  // namespace

class TestStoreDatabase : public QObject {
    Q_OBJECT

  private:
    QString dbPath() const {
        return dir_.filePath(QString::fromLatin1(QTest::currentTestFunction()) + ".sqlite");
    }

    std::unique_ptr<Database> openOrFail(const QString& path) {
        auto db = Database::open(path);
        if (!db) {
            qWarning("%s", db.error().message.c_str());
            return nullptr;
        }
        return std::move(db.value());
    }

    QTemporaryDir dir_;

  private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void freshDatabaseIsMigratedWithWalAndForeignKeys() {
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        QCOMPARE(db->schemaVersion(), Database::latestSchemaVersion());
        QCOMPARE(scalar(*db, "SELECT COUNT(*) FROM schema_migrations").toInt(),
                 int(migrations().size()));
        QCOMPARE(scalar(*db, "SELECT MAX(version) FROM schema_migrations").toInt(),
                 Database::latestSchemaVersion());
        QCOMPARE(scalar(*db, "PRAGMA journal_mode").toString(), QStringLiteral("wal"));
        QCOMPARE(scalar(*db, "PRAGMA foreign_keys").toInt(), 1);
        QCOMPARE(scalar(*db, "PRAGMA busy_timeout").toInt(), 5000);
        QCOMPARE(scalar(*db, "SELECT sqlite_compileoption_used('ENABLE_FTS5')").toInt(), 1);
        const QStringList tables = db->connection().tables();
        for (const char* table : {"users", "workspaces", "conversations", "messages",
                                  "messages_fts", "schema_migrations"}) {
            QVERIFY2(tables.contains(QString::fromLatin1(table)), table);
        }
    }

    void reopeningIsANoOpAndKeepsData() {
        QString userId;
        qint64 appliedAt = 0;
        {
            auto db = openOrFail(dbPath());
            QVERIFY(db);
            auto user = UserRepository(*db).createUser("ada");
            QVERIFY(user);
            userId = *user;
            appliedAt = scalar(*db, "SELECT applied_at FROM schema_migrations WHERE version = 1")
                            .toLongLong();
            QVERIFY(appliedAt > 0);
        }
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        QCOMPARE(db->schemaVersion(), Database::latestSchemaVersion());
        QCOMPARE(scalar(*db, "SELECT COUNT(*) FROM schema_migrations").toInt(),
                 int(migrations().size()));
        QCOMPARE(
            scalar(*db, "SELECT applied_at FROM schema_migrations WHERE version = 1").toLongLong(),
            appliedAt);
        QCOMPARE(scalar(*db, "SELECT name FROM users WHERE id = '" + userId + "'").toString(),
                 QStringLiteral("ada"));
    }

    // Each open gets its own Qt connection; in WAL mode a reader sees the writer's commits.
    void twoConnectionsToOneFile() {
        auto writer = openOrFail(dbPath());
        auto reader = openOrFail(dbPath());
        QVERIFY(writer && reader);
        QVERIFY(writer->connection().connectionName() != reader->connection().connectionName());
        auto user = UserRepository(*writer).createUser("shared");
        QVERIFY(user);
        QCOMPARE(scalar(*reader, "SELECT name FROM users WHERE id = '" + *user + "'").toString(),
                 QStringLiteral("shared"));
    }

    void databaseFromANewerVersionIsRefused() {
        const int newer = Database::latestSchemaVersion() + 1;
        {
            auto db = openOrFail(dbPath());
            QVERIFY(db);
            QSqlQuery query(db->connection());
            QVERIFY(query.exec(QStringLiteral("INSERT INTO schema_migrations VALUES "
                                              "(%1, 'from the future', 1)")
                                   .arg(newer)));
        }
        auto refused = Database::open(dbPath());
        QVERIFY(!refused);
        const QString message = QString::fromStdString(refused.error().message);
        QVERIFY2(message.startsWith("store: "), qPrintable(message));
        QVERIFY2(message.contains(QString::number(newer)) && message.contains("newer"),
                 qPrintable(message));
        QVERIFY2(message.contains(dbPath()), qPrintable(message));
    }

    void openingAnUnreachablePathFailsWithContext() {
        const QString path = dir_.filePath("no/such/dir/store.sqlite");
        auto db = Database::open(path);
        QVERIFY(!db);
        const QString message = QString::fromStdString(db.error().message);
        QVERIFY2(message.startsWith("store: cannot open " + path), qPrintable(message));
    }

    void inMemoryDatabaseWorks() {
        auto db = openOrFail(QStringLiteral(":memory:"));
        QVERIFY(db);
        QCOMPARE(db->schemaVersion(), Database::latestSchemaVersion());
        QVERIFY(UserRepository(*db).createUser("mem"));
    }

    void foreignKeysAreEnforced() {
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        ConversationRepository conversations(*db);
        MessageRepository messages(*db);
        QVERIFY(!conversations.create("no-such-user", "orphan"));

        auto user = UserRepository(*db).createUser("bob");
        QVERIFY(user);
        QVERIFY(!conversations.create(*user, "bad workspace", "no-such-workspace"));
        auto workspace = UserRepository(*db).createWorkspace(*user, "work");
        QVERIFY(workspace);
        auto conversation = conversations.create(*user, "chat", *workspace);
        QVERIFY(conversation);
        QCOMPARE(conversations.get(conversation->id)->workspaceId, *workspace);

        QVERIFY(!messages.append(draft("no-such-conversation", {}, "user", "hi")));
        auto root = messages.append(draft(conversation->id, {}, "user", "hi"));
        QVERIFY(root);
        QVERIFY(messages.append(draft(conversation->id, root->id, "assistant", "hello")));
        QCOMPARE(messageCount(*db), 2);

        QVERIFY(conversations.remove(conversation->id));
        QCOMPARE(messageCount(*db), 0);
        QCOMPARE(scalar(*db, "SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'hello'")
                     .toInt(),
                 0);
    }

    void failedTransactionLeavesNoRows() {
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        UserRepository users(*db);
        QVERIFY(users.createUser("kept"));
        parley::Status result =
            db->inTransaction(QStringLiteral("two users"), [&]() -> parley::Status {
                if (auto user = users.createUser("discarded"); !user) {
                    return user.error();
                }
                return parley::makeError("store: second step failed");
            });
        QVERIFY(!result);
        QCOMPARE(QString::fromStdString(result.error().message),
                 QStringLiteral("store: second step failed"));
        QCOMPARE(scalar(*db, "SELECT COUNT(*) FROM users").toInt(), 1);
        QCOMPARE(scalar(*db, "SELECT name FROM users").toString(), QStringLiteral("kept"));
        // The connection is usable again after the rollback.
        QVERIFY(db->inTransaction(QStringLiteral("one user"), [&]() -> parley::Status {
            if (auto user = users.createUser("second"); !user) {
                return user.error();
            }
            return parley::Ok{};
        }));
        QCOMPARE(scalar(*db, "SELECT COUNT(*) FROM users").toInt(), 2);
    }

    // A crash mid-stream leaves the answer `streaming`; the next start marks it interrupted and
    // keeps the text of the last checkpoint.
    void streamingMessagesAreRecoveredAsInterrupted() {
        QString conversationId, userMessageId, answerId;
        {
            auto db = openOrFail(dbPath());
            QVERIFY(db);
            auto user = UserRepository(*db).createUser("carol");
            QVERIFY(user);
            auto conversation = ConversationRepository(*db).create(*user, "crash");
            QVERIFY(conversation);
            conversationId = conversation->id;
            MessageRepository messages(*db);
            auto question = messages.append(draft(conversationId, {}, "user", "tell me a story"));
            QVERIFY(question);
            userMessageId = question->id;
            auto answer = messages.append(draft(conversationId, userMessageId, "assistant", {},
                                                MessageStatus::Streaming, "smollm"));
            QVERIFY(answer);
            answerId = answer->id;
            QVERIFY(messages.checkpoint(answerId, "Once upon"));
            QVERIFY(messages.checkpoint(answerId, "Once upon a time"));
            // The database goes away here without finish(): the process "crashed".
        }
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        MessageRepository messages(*db);
        auto recovered = messages.recoverInterrupted();
        QVERIFY(recovered);
        QCOMPARE(*recovered, 1);
        auto answer = messages.get(answerId);
        QVERIFY(answer);
        QCOMPARE(statusName(answer->status), QStringLiteral("interrupted"));
        QCOMPARE(answer->content, QStringLiteral("Once upon a time"));
        QCOMPARE(answer->model, QStringLiteral("smollm"));
        auto question = messages.get(userMessageId);
        QVERIFY(question);
        QCOMPARE(statusName(question->status), QStringLiteral("complete"));
        QCOMPARE(question->content, QStringLiteral("tell me a story"));
        auto branch = messages.activeBranch(conversationId);
        QVERIFY(branch);
        QCOMPARE(branch->size(), size_t(2));
        QCOMPARE(branch->back().id, answerId);
        // An interrupted answer is no longer streaming: checkpoints are refused.
        QVERIFY(!messages.checkpoint(answerId, "more"));
        auto again = messages.recoverInterrupted();
        QVERIFY(again);
        QCOMPARE(*again, 0);
    }

    void writeToReadOnlyDatabaseFailsAndLeavesItIntact() {
        QString conversationId, leafId;
        {
            auto db = openOrFail(dbPath());
            QVERIFY(db);
            auto user = UserRepository(*db).createUser("dan");
            QVERIFY(user);
            auto conversation = ConversationRepository(*db).create(*user, "ro");
            QVERIFY(conversation);
            conversationId = conversation->id;
            auto root = MessageRepository(*db).append(draft(conversationId, {}, "user", "first"));
            QVERIFY(root);
            leafId = root->id;
        }
        // Root ignores file permissions, so the read-only file is also opened read-only.
        QVERIFY(QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::ReadGroup));
        {
            auto db = Database::open(dbPath(), Database::Access::ReadOnly);
            QVERIFY2(db, db ? "" : db.error().message.c_str());
            MessageRepository messages(**db);
            auto branch = messages.activeBranch(conversationId);
            QVERIFY(branch);
            QCOMPARE(branch->size(), size_t(1));
            auto appended = messages.append(draft(conversationId, leafId, "assistant", "second"));
            QVERIFY(!appended);
            const QString message = QString::fromStdString(appended.error().message);
            QVERIFY2(message.startsWith("store: cannot append message"), qPrintable(message));
            QVERIFY2(message.contains("readonly", Qt::CaseInsensitive), qPrintable(message));
            QVERIFY(!ConversationRepository(**db).rename(conversationId, "renamed"));
        }
        QVERIFY(QFile::setPermissions(dbPath(), QFile::ReadOwner | QFile::WriteOwner));
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        QCOMPARE(scalar(*db, "PRAGMA integrity_check").toString(), QStringLiteral("ok"));
        QCOMPARE(messageCount(*db), 1);
        auto conversation = ConversationRepository(*db).get(conversationId);
        QVERIFY(conversation);
        QCOMPARE(conversation->title, QStringLiteral("ro"));
        QCOMPARE(conversation->activeLeafMessageId, leafId);
    }

    // Disk full, simulated by capping the file at its current size: the append fails as a whole
    // (message row and active-leaf update are rolled back together).
    void diskFullFailsCleanlyAndRollsBack() {
        auto db = openOrFail(dbPath());
        QVERIFY(db);
        auto user = UserRepository(*db).createUser("eve");
        QVERIFY(user);
        auto conversation = ConversationRepository(*db).create(*user, "full");
        QVERIFY(conversation);
        MessageRepository messages(*db);
        auto root = messages.append(draft(conversation->id, {}, "user", "short question"));
        QVERIFY(root);

        const int pages = scalar(*db, "PRAGMA page_count").toInt();
        QVERIFY(pages > 0);
        QCOMPARE(scalar(*db, QStringLiteral("PRAGMA max_page_count = %1").arg(pages)).toInt(),
                 pages);
        const QString big(256 * 1024, QLatin1Char('x'));
        auto appended = messages.append(draft(conversation->id, root->id, "assistant", big));
        QVERIFY(!appended);
        const QString message = QString::fromStdString(appended.error().message);
        QVERIFY2(message.startsWith("store: cannot append message"), qPrintable(message));
        QVERIFY2(message.contains("full", Qt::CaseInsensitive), qPrintable(message));

        QCOMPARE(messageCount(*db), 1);
        QCOMPARE(ConversationRepository(*db).get(conversation->id)->activeLeafMessageId, root->id);
        QCOMPARE(scalar(*db, "PRAGMA integrity_check").toString(), QStringLiteral("ok"));

        // Room again: the same write now succeeds on the same connection.
        scalar(*db, "PRAGMA max_page_count = 1000000");
        auto retried = messages.append(draft(conversation->id, root->id, "assistant", big));
        QVERIFY2(retried, retried ? "" : retried.error().message.c_str());
        db.reset();

        auto reopened = openOrFail(dbPath());
        QVERIFY(reopened);
        QCOMPARE(scalar(*reopened, "PRAGMA integrity_check").toString(), QStringLiteral("ok"));
        QCOMPARE(messageCount(*reopened), 2);
        auto branch = MessageRepository(*reopened).activeBranch(conversation->id);
        QVERIFY(branch);
        QCOMPARE(branch->size(), size_t(2));
        QCOMPARE(branch->back().content.size(), big.size());
    }
};

QTEST_GUILESS_MAIN(TestStoreDatabase)
#include "test_store_database.moc"
