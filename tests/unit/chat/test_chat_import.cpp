// Import and export through LocalChatService without a model: a ChatGPT data export's
// conversations.json (branches, hidden and tool nodes, multimodal parts) and Parley's own JSON
// round trip of every field; bad input fails with a reason and adds nothing.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include "chat_fixture.h"

using namespace parley;
using namespace parley::chat;
using testing::await;

namespace {

std::vector<store::Conversation> listAll(ChatService& s) {
    auto list =
        await<std::vector<store::Conversation>>([&](Reply<std::vector<store::Conversation>> r) {
            s.listConversations(true, std::move(r));
        });
    return list ? *list : std::vector<store::Conversation>{};
}

const store::Conversation* byTitle(const std::vector<store::Conversation>& list,
                                   const QString& title) {
    for (const auto& c : list) {
        if (c.title == title) {
            return &c;
        }
    }
    return nullptr;
}

}  // namespace

class TestChatImport : public QObject {
    Q_OBJECT

  private slots:
    void importsChatGptExport() {
        testing::ChatFixture f(nullptr);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        QFile file(QStringLiteral(PARLEY_TEST_DATA_DIR "/chat/chatgpt_conversations.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        auto added =
            await<int>([&](Reply<int> r) { s->importConversations(file.readAll(), std::move(r)); });
        QVERIFY2(added.ok(), added.ok() ? "" : added.error().message.c_str());
        QCOMPARE(*added, 2);

        const auto list = listAll(*s);
        const store::Conversation* iceland = byTitle(list, "Packing for Iceland");
        QVERIFY(iceland);
        QCOMPARE(iceland->createdAt, qint64(1700000000500));
        QCOMPARE(iceland->updatedAt, qint64(1700000300250));
        auto view = await<ConversationView>(
            [&](Reply<ConversationView> r) { s->conversation(iceland->id, std::move(r)); });
        QVERIFY(view.ok());
        // current_node a3: u1 -> a2 -> (tool node skipped) u2 -> a3.
        QCOMPARE(view->messages.size(), size_t(4));
        QCOMPARE(view->messages[0].message.content,
                 QStringLiteral("What should I pack for Iceland in March?"));
        QVERIFY(view->messages[0].message.parentId.isEmpty());
        QCOMPARE(view->messages[1].message.content,
                 QStringLiteral("Thermal base layers,\na down jacket and good boots."));
        QCOMPARE(view->messages[1].message.model, QStringLiteral("gpt-4o"));
        QCOMPARE(view->messages[1].siblingCount, 2);
        QCOMPARE(view->messages[1].siblingIndex, 1);
        QCOMPARE(view->messages[2].message.role, QStringLiteral("user"));
        QCOMPARE(view->messages[2].message.content, QStringLiteral("And for the Blue Lagoon?"));
        QCOMPARE(view->messages[2].message.parentId, view->messages[1].message.id);
        QCOMPARE(view->messages[3].message.content, QStringLiteral("A swimsuit and a towel."));
        QCOMPARE(view->messages[3].message.createdAt, qint64(1700000050000));
        QCOMPARE(view->messages[3].message.status, store::MessageStatus::Complete);

        // The other branch is there to switch to.
        auto other = await<ConversationView>([&](Reply<ConversationView> r) {
            s->switchBranch(view->messages[1].siblingIds[0], std::move(r));
        });
        QVERIFY(other.ok());
        QCOMPARE(other->messages.size(), size_t(2));
        QCOMPARE(other->messages[1].message.content,
                 QStringLiteral("Warm layers, a waterproof shell and crampons."));

        auto hits = await<std::vector<store::SearchHit>>(
            [&](Reply<std::vector<store::SearchHit>> r) { s->search("sourdough", std::move(r)); });
        QVERIFY(hits.ok());
        QCOMPARE(hits->size(), size_t(1));
        QCOMPARE(hits->front().conversationId, byTitle(list, "Sourdough starter")->id);
    }

    void parleyRoundTripKeepsEveryField() {
        testing::ChatFixture f(nullptr);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        const QByteArray original = R"({"format": "parley.conversations", "version": 1,
          "conversations": [{"title": "All fields", "pinned": true, "archived": true,
            "tags": ["work", "ideas"], "createdAt": 1700000000000, "updatedAt": 1700000009000,
            "activeLeafMessageId": "b",
            "messages": [
              {"id": "q", "parentId": null, "role": "user", "content": "Question",
               "status": "complete", "createdAt": 1700000001000, "updatedAt": 1700000001000},
              {"id": "a", "parentId": "q", "role": "assistant", "content": "First answer",
               "status": "cancelled", "model": "m1", "promptTokens": 12, "completionTokens": 3,
               "ttftMs": 40, "totalMs": 90, "finishReason": "cancelled",
               "createdAt": 1700000002000, "updatedAt": 1700000003000,
               "citations": [{"source": "doc.pdf", "page": 2}], "toolCalls": [],
               "moderation": {"flagged": false}, "attachments": [{"name": "a.txt"}]},
              {"id": "b", "parentId": "q", "role": "assistant", "content": "Second answer",
               "status": "interrupted", "model": "m2", "promptTokens": 12, "completionTokens": 7,
               "ttftMs": 41, "totalMs": 120, "finishReason": "",
               "createdAt": 1700000004000, "updatedAt": 1700000005000}]}]})";
        auto added =
            await<int>([&](Reply<int> r) { s->importConversations(original, std::move(r)); });
        QVERIFY2(added.ok(), added.ok() ? "" : added.error().message.c_str());
        QCOMPARE(*added, 1);
        const auto list = listAll(*s);
        QCOMPARE(list.size(), size_t(1));
        QVERIFY(list[0].pinned);
        QVERIFY(list[0].archived);
        QCOMPARE(list[0].tags, (QStringList{"work", "ideas"}));

        auto exported = await<QByteArray>(
            [&](Reply<QByteArray> r) { s->exportConversations({}, std::move(r)); });
        QVERIFY(exported.ok());
        const QJsonObject in =
            QJsonDocument::fromJson(original).object()["conversations"].toArray()[0].toObject();
        const QJsonObject out =
            QJsonDocument::fromJson(*exported).object()["conversations"].toArray()[0].toObject();
        for (const char* key : {"title", "pinned", "archived", "tags", "createdAt", "updatedAt"}) {
            QCOMPARE(out.value(key), in.value(key));
        }
        const QJsonArray inMessages = in["messages"].toArray();
        const QJsonArray outMessages = out["messages"].toArray();
        QCOMPARE(outMessages.size(), 3);
        QHash<QString, QString> idOf;  // exported id -> original id, by position
        for (int i = 0; i < 3; ++i) {
            idOf.insert(outMessages[i].toObject()["id"].toString(),
                        inMessages[i].toObject()["id"].toString());
        }
        QCOMPARE(idOf.value(out["activeLeafMessageId"].toString()), QStringLiteral("b"));
        for (int i = 0; i < 3; ++i) {
            const QJsonObject a = inMessages[i].toObject();
            const QJsonObject b = outMessages[i].toObject();
            for (auto it = a.begin(); it != a.end(); ++it) {
                if (it.key() == QLatin1String("id")) {
                    continue;
                }
                if (it.key() == QLatin1String("parentId")) {
                    QCOMPARE(idOf.value(b.value("parentId").toString()), it.value().toString());
                    continue;
                }
                QVERIFY2(b.value(it.key()) == it.value(),
                         qPrintable(QStringLiteral("message %1 field %2").arg(i).arg(it.key())));
            }
        }
        // And once more through the exported document.
        auto again =
            await<int>([&](Reply<int> r) { s->importConversations(*exported, std::move(r)); });
        QVERIFY(again.ok());
        QCOMPARE(listAll(*s).size(), size_t(2));
    }

    void badInputFailsAndAddsNothing() {
        testing::ChatFixture f(nullptr);
        auto* s = f.addUser("ada");
        QVERIFY(s);
        for (const QByteArray& bad : {QByteArray("not json"), QByteArray(R"({"hello": 1})"),
                                      QByteArray(R"([{"title": "x", "mapping": {}}])"),
                                      QByteArray(R"({"format": "parley.conversations", "version": 1,
                                        "conversations": [{"title": "orphan", "messages": [
                                          {"id": "a", "parentId": "missing", "role": "user",
                                           "content": "x", "status": "complete"}]}]})")}) {
            auto added =
                await<int>([&](Reply<int> r) { s->importConversations(bad, std::move(r)); });
            QVERIFY(!added.ok());
            QVERIFY(!added.error().message.empty());
        }
        QVERIFY(listAll(*s).empty());
    }
};

QTEST_GUILESS_MAIN(TestChatImport)
#include "test_chat_import.moc"
