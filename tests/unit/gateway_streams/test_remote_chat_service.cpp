// RemoteChatService against a real parley-server (started here on 127.0.0.1 with the real SmolLM2
// model) passes the same ChatService conformance cases as LocalChatService. Each case acts as
// fresh member users made through the server's admin API, so cases never see each other's data.
#include <QtNetwork>
#include <QtTest>

#include "gateway/remote_chat_service.h"
#include "inference/catalog/model_catalog.h"
#include "unit/chat/chat_service_conformance.h"

using namespace parley;
using namespace parley::chat;
using parley::gateway::RemoteChatService;
using parley::gateway::RemoteServerConfig;

namespace {

// A TCP relay between the service and the server whose connections can be cut, as a lost network
// would: the server sees its client go, the client sees its connection drop.
class CuttableRelay : public QObject {
  public:
    explicit CuttableRelay(quint16 serverPort) : serverPort_(serverPort) {
        connect(&listener_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* client = listener_.nextPendingConnection()) {
                auto* upstream = new QTcpSocket(client);
                upstream->connectToHost(QHostAddress::LocalHost, serverPort_);
                connect(client, &QTcpSocket::readyRead, upstream,
                        [client, upstream] { upstream->write(client->readAll()); });
                connect(upstream, &QTcpSocket::readyRead, client,
                        [client, upstream] { client->write(upstream->readAll()); });
                connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
                connect(upstream, &QTcpSocket::disconnected, client, &QTcpSocket::abort);
                clients_.append(client);
            }
        });
        listener_.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return listener_.serverPort(); }
    void cut() {
        for (const auto& client : std::as_const(clients_))
            if (client)
                client->abort();
        clients_.clear();
    }

  private:
    quint16 serverPort_;
    QTcpServer listener_;
    QList<QPointer<QTcpSocket>> clients_;
};

const QString kAdminKey = QStringLiteral("remote-test-admin-key-0123456789abcdefghijkl");

}  // namespace

class TestRemoteChatService : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dataDir_;
    QProcess server_;
    QUrl base_;
    QNetworkAccessManager network_;
    int users_ = 0;

    QJsonObject adminPost(const QString& path, const QJsonObject& body) {
        QNetworkRequest request(base_.resolved(QUrl(path)));
        request.setRawHeader("Authorization", "Bearer " + kAdminKey.toUtf8());
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        QNetworkReply* reply = network_.post(request, QJsonDocument(body).toJson());
        QSignalSpy finished(reply, &QNetworkReply::finished);
        finished.wait(10000);
        const QByteArray answer = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        if (status != 201)
            qWarning() << path << status << answer;
        return QJsonDocument::fromJson(answer).object();
    }

    // A new member with an API key, and a RemoteChatService acting as that member.
    std::unique_ptr<RemoteChatService> newMember(const QUrl& via = {}) {
        const QJsonObject user =
            adminPost("/v1/admin/users",
                      {{"name", QStringLiteral("member%1").arg(++users_)}, {"role", "member"}});
        const QString userId = user.value("id").toString();
        if (userId.isEmpty())
            return nullptr;
        const QJsonObject key = adminPost(QStringLiteral("/v1/admin/users/%1/api_keys").arg(userId),
                                          {{"name", "test"}});
        if (key.value("key").toString().isEmpty())
            return nullptr;
        return std::make_unique<RemoteChatService>(RemoteServerConfig{
            via.isEmpty() ? base_ : via, key.value("key").toString(), 60'000, 10'000});
    }

    // One conformance case for a new member.
    void runCase(void (*conformanceCase)(ChatService&)) {
        auto s = newMember();
        QVERIFY(s);
        conformanceCase(*s);
    }

  private slots:
    void initTestCase() {
        QVERIFY(dataDir_.isValid());
        const QString model = QString::fromStdString(
            (catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf").string());
        QVERIFY2(QFile::exists(model), qPrintable(model));
        server_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server_.start(QStringLiteral(PARLEY_BIN_DIR) + "/parley-server",
                      {"--listen", "127.0.0.1:0", "--data-dir", dataDir_.path() + "/data",
                       "--model", model, "--threads", "2", "--bootstrap-api-key", kAdminKey});
        QVERIFY2(server_.waitForStarted(10000), qPrintable(server_.errorString()));
        const QRegularExpression listening(R"(listening on (http://127\.0\.0\.1:\d+))");
        QString output;
        QElapsedTimer timer;
        timer.start();
        while (!base_.isValid() && timer.elapsed() < 60000 && server_.waitForReadyRead(1000)) {
            output += QString::fromUtf8(server_.readAllStandardOutput());
            const auto match = listening.match(output);
            if (match.hasMatch())
                base_ = QUrl(match.captured(1));
        }
        QVERIFY2(base_.isValid(), qPrintable("parley-server did not start:\n" + output));
    }

    void cleanupTestCase() {
        server_.terminate();
        QVERIFY(server_.waitForFinished(30000));
        QCOMPARE(server_.exitCode(), 0);
    }

    void connectsAndReportsIt() {
        auto s = newMember();
        QVERIFY(s);
        QSignalSpy connected(s.get(), &RemoteChatService::connectedChanged);
        QVERIFY(connected.wait(10000));
        QVERIFY(s->isConnected());
    }

    void badKeyFailsRequestsWithTheReason() {
        RemoteChatService s(RemoteServerConfig{base_, "not-a-key", 3000, 10'000});
        QSignalSpy errors(&s, &RemoteChatService::connectionError);
        auto list = testing::await<std::vector<store::Conversation>>(
            [&](Reply<std::vector<store::Conversation>> r) {
                s.listConversations(false, std::move(r));
            },
            10000);
        QVERIFY(!list.ok());
        QVERIFY2(testing::errorText(list.error()).contains("cannot reach"),
                 list.error().message.c_str());
        QVERIFY(!s.isConnected());
        QVERIFY(!errors.isEmpty());
    }

    // The connection drops mid-answer: the service reconnects and resumes the stream, and the
    // caller sees every event once, in order, and the whole answer (a drop never cancels).
    void resumesStreamsAfterADroppedConnection() {
        CuttableRelay relay(base_.port());
        QUrl via = base_;
        via.setPort(relay.port());
        auto s = newMember(via);
        QVERIFY(s);
        testing::StreamRecorder recorder(*s);
        QSignalSpy connection(s.get(), &RemoteChatService::connectedChanged);
        auto c = conformance::newConversation(*s, "drop");
        PARLEY_REQUIRE_OK(c);
        auto started = conformance::sendText(*s, c->id, "Tell me a long story about a dragon.",
                                             conformance::shortAnswer(200));
        PARLEY_REQUIRE_OK(started);
        QVERIFY(testing::spinUntil([&] { return recorder.tokenEvents(started->streamId) >= 2; }));
        QVERIFY(!recorder.finished(started->streamId));  // the drop comes mid-answer
        relay.cut();
        QVERIFY(testing::spinUntil([&] { return !s->isConnected(); }, 10000));
        QVERIFY(testing::spinUntil([&] { return s->isConnected(); }, 10000));
        const auto done = recorder.waitFinished(started->streamId);
        QVERIFY(done.has_value());
        QCOMPARE(done->status, store::MessageStatus::Complete);
        const auto& events = recorder.events(started->streamId);
        for (size_t i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].sequence, qint64(i + 1));
        auto view = conformance::viewOf(*s, c->id);
        PARLEY_REQUIRE_OK(view);
        QCOMPARE(view->messages.back().message.content, recorder.text(started->streamId));
        QVERIFY(connection.count() >= 3);  // connected, dropped, connected again
    }

    void conversationLifecycle() { runCase(conformance::conversationLifecycle); }
    void sendStreamsAndPersists() { runCase(conformance::sendStreamsAndPersists); }
    void idempotentSend() { runCase(conformance::idempotentSend); }
    void cancelKeepsPartialAnswer() { runCase(conformance::cancelKeepsPartialAnswer); }
    void branchesAndSwitching() { runCase(conformance::branchesAndSwitching); }
    void continueAnswer() { runCase(conformance::continueAnswer); }
    void searchFindsMessages() { runCase(conformance::searchFindsMessages); }
    void exportImportRoundTrip() { runCase(conformance::exportImportRoundTrip); }
    void usersAreIsolated() {
        auto ada = newMember();
        auto bob = newMember();
        QVERIFY(ada && bob);
        conformance::usersAreIsolated(*ada, *bob);
    }
    void titleIsGenerated() { runCase(conformance::titleIsGenerated); }
    void invalidRequestsFail() { runCase(conformance::invalidRequestsFail); }
};

QTEST_GUILESS_MAIN(TestRemoteChatService)
#include "test_remote_chat_service.moc"
