// Server mode on the real app back end: the gateway started inside this process on the app's
// own data folder, database and ModelRegistry (the model loaded once), answering a real HTTP
// client with a key it created for sharing; the shared keys listed and one revoked, refused at
// once; a busy port or half a TLS pair reported with the reason; a port change restarting it;
// HTTPS with a certificate and key; turning it off closing the port.
#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include "app_settings.h"
#include "inference/catalog/model_catalog.h"
#include "local_backend.h"
#include "server_mode.h"

using namespace parley;
using app::ServerMode;

namespace {

const QString kModel = QStringLiteral("SmolLM2-135M-Instruct.Q4_1");

quint16 freePort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

bool accepts(quint16 port) {
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    return socket.waitForConnected(1000);
}

struct HttpAnswer {
    int status = 0;
    QJsonObject json;
};

HttpAnswer call(QNetworkAccessManager& network, const QString& url, const QString& key,
                const QJsonObject& body = {}) {
    QNetworkRequest request{QUrl(url)};
    if (!key.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply* reply =
        body.isEmpty() ? network.get(request) : network.post(request, QJsonDocument(body).toJson());
    // The TLS test's certificate is self-signed, made a moment ago.
    QObject::connect(reply, &QNetworkReply::sslErrors, reply,
                     [reply](const QList<QSslError>&) { reply->ignoreSslErrors(); });
    QSignalSpy finished(reply, &QNetworkReply::finished);
    finished.wait(60000);
    HttpAnswer answer{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                      QJsonDocument::fromJson(reply->readAll()).object()};
    reply->deleteLater();
    return answer;
}

}  // namespace

class TestServerMode : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<app::LocalBackend> backend_;
    std::unique_ptr<app::AppSettings> settings_;

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const auto model = catalog::defaultModelsDir() / (kModel.toStdString() + ".gguf");
        if (!std::filesystem::exists(model))
            QFAIL("the default models are not installed: run packaging/setup.sh");
        auto backend = app::LocalBackend::open(dir_.filePath("data"));
        QVERIFY2(backend.ok(), backend ? "" : backend.error().message.c_str());
        backend_ = std::move(backend.value());
        auto loaded = backend_->registry()->load(model, kModel.toStdString());
        QVERIFY2(loaded.ok(), loaded ? "" : loaded.error().message.c_str());
        settings_ = std::make_unique<app::AppSettings>(dir_.filePath("parley.ini"));
        settings_->setServerAddress(QStringLiteral("127.0.0.1"));
    }

    void servesTheAppsModelWithASharedKeyAndStops() {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        settings_->setServerPort(port);
        settings_->setServerEnabled(true);
        ServerMode server(backend_->registry(), settings_.get(), dir_.filePath("data"));
        QCOMPARE(server.state(), ServerMode::State::Off);  // nothing before the app starts it
        server.start();
        QCOMPARE(server.state(), ServerMode::State::Starting);  // returned before listening
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Listening, 20000);
        QCOMPARE(server.url(), QStringLiteral("http://127.0.0.1:%1").arg(port));
        // The gateway's store is the app's database.
        QCOMPARE(backend_->databasePath(), QDir(dir_.filePath("data")).filePath("parley.db"));
        QVERIFY(QFile::exists(QDir(dir_.filePath("data")).filePath("bootstrap-admin-key")));

        QNetworkAccessManager network;
        QCOMPARE(call(network, server.url() + "/v1/models", {}).status, 401);

        server.createSharedKey(QStringLiteral("Test client"));
        QTRY_VERIFY_WITH_TIMEOUT(!server.sharedKey().isEmpty(), 10000);
        QVERIFY(server.sharedKeyError().isEmpty());
        const QString key = server.sharedKey();
        QVERIFY(key.startsWith(QStringLiteral("parley-")));

        const HttpAnswer models = call(network, server.url() + "/v1/models", key);
        QCOMPARE(models.status, 200);
        QStringList ids;
        for (const auto& entry : models.json.value("data").toArray())
            ids.append(entry.toObject().value("id").toString());
        QCOMPARE(ids, QStringList{kModel});

        const HttpAnswer chat = call(
            network, server.url() + "/v1/chat/completions", key,
            QJsonObject{
                {"model", kModel},
                {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Say hello."}}}},
                {"max_tokens", 8},
                {"temperature", 0}});
        QCOMPARE(chat.status, 200);
        QCOMPARE(chat.json.value("model").toString(), kModel);
        const QString content = chat.json.value("choices")
                                    .toArray()
                                    .first()
                                    .toObject()
                                    .value("message")
                                    .toObject()
                                    .value("content")
                                    .toString();
        QVERIFY2(!content.trimmed().isEmpty(), qPrintable(QJsonDocument(chat.json).toJson()));
        QVERIFY(chat.json.value("usage").toObject().value("completion_tokens").toInt() > 0);
        QCOMPARE(backend_->registry()->models().size(), size_t(1));  // shared, not loaded again

        // A key that does not belong to this server is refused.
        QCOMPARE(call(network, server.url() + "/v1/models", key + "x").status, 401);

        // The keys shared are listed (not the admin's), and one revoked stops working at once.
        app::SharedKeyListModel* keys = server.sharedKeys();
        QAbstractItemModelTester tester(keys,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTRY_COMPARE_WITH_TIMEOUT(keys->rowCount(), 1, 10000);
        const auto keyRole = [keys](int row, int role) {
            return keys->data(keys->index(row), role);
        };
        QCOMPARE(keyRole(0, app::SharedKeyListModel::NameRole).toString(), "Test client");
        const QString prefix = keyRole(0, app::SharedKeyListModel::PrefixRole).toString();
        QVERIFY(prefix.size() >= 8);
        QVERIFY(key.startsWith(prefix));
        QVERIFY(keyRole(0, app::SharedKeyListModel::CreatedAtRole).toDateTime().isValid());
        const QString firstId = keyRole(0, app::SharedKeyListModel::KeyIdRole).toString();

        server.createSharedKey(QStringLiteral("Second client"));
        QTRY_COMPARE_WITH_TIMEOUT(keys->rowCount(), 2, 10000);
        QTRY_VERIFY(server.sharedKey() != key && !server.sharedKey().isEmpty());
        const QString secondKey = server.sharedKey();
        QCOMPARE(keyRole(0, app::SharedKeyListModel::KeyIdRole).toString(), firstId);
        QCOMPARE(keyRole(1, app::SharedKeyListModel::NameRole).toString(), "Second client");

        server.revokeSharedKey(firstId);
        QTRY_COMPARE_WITH_TIMEOUT(keys->rowCount(), 1, 10000);
        QCOMPARE(keyRole(0, app::SharedKeyListModel::NameRole).toString(), "Second client");
        QVERIFY(server.sharedKeyError().isEmpty());
        QCOMPARE(server.sharedKey(), secondKey);  // another key's revocation leaves it shown
        QCOMPARE(call(network, server.url() + "/v1/models", key).status, 401);
        QCOMPARE(call(network, server.url() + "/v1/models", secondKey).status, 200);
        server.revokeSharedKey(firstId);  // no longer listed
        QCOMPARE(server.sharedKeyError(), "No such key to revoke.");

        settings_->setServerEnabled(false);
        QCOMPARE(server.state(), ServerMode::State::Stopping);
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Off, 10000);
        QVERIFY(server.sharedKey().isEmpty());
        QCOMPARE(keys->rowCount(), 0);
        QVERIFY(!accepts(port));
    }

    void reportsABusyPortAndRetriesWhenAskedAgain() {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        const quint16 port = squatter.serverPort();
        settings_->setServerPort(port);
        settings_->setServerEnabled(true);
        ServerMode server(backend_->registry(), settings_.get(), dir_.filePath("data"));
        server.start();
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Failed, 20000);
        QVERIFY2(server.errorText().contains(QString::number(port)),
                 qPrintable(server.errorText()));
        QVERIFY(server.url().isEmpty());

        squatter.close();
        settings_->setServerEnabled(false);
        QCOMPARE(server.state(), ServerMode::State::Off);
        settings_->setServerEnabled(true);
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Listening, 20000);
        QVERIFY(accepts(port));

        // A new port while listening: it moves there.
        const quint16 next = freePort();
        settings_->setServerPort(next);
        QTRY_COMPARE_WITH_TIMEOUT(server.url(), QStringLiteral("http://127.0.0.1:%1").arg(next),
                                  20000);
        QCOMPARE(server.state(), ServerMode::State::Listening);
        QVERIFY(accepts(next));
        QVERIFY(!accepts(port));
        settings_->setServerEnabled(false);
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Off, 10000);
    }

    void servesHttpsWithTheGivenCertificate() {
        const QString certificate = dir_.filePath("cert.pem");
        const QString key = dir_.filePath("key.pem");
        QProcess openssl;
        openssl.setProcessChannelMode(QProcess::MergedChannels);
        openssl.start(
            QStringLiteral("openssl"),
            {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", certificate});
        QVERIFY2(openssl.waitForFinished(20000) && openssl.exitCode() == 0,
                 openssl.readAll().constData());
        const quint16 port = freePort();
        settings_->setServerPort(port);
        settings_->setServerCertificate(certificate);
        settings_->setServerKey(key);
        settings_->setServerEnabled(true);
        ServerMode server(backend_->registry(), settings_.get(), dir_.filePath("data"));
        server.start();
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Listening, 20000);
        QCOMPARE(server.url(), QStringLiteral("https://127.0.0.1:%1").arg(port));
        server.createSharedKey({});
        QTRY_VERIFY_WITH_TIMEOUT(!server.sharedKey().isEmpty(), 10000);
        QNetworkAccessManager network;
        const HttpAnswer models = call(network, server.url() + "/v1/models", server.sharedKey());
        QCOMPARE(models.status, 200);
        QCOMPARE(models.json.value("data").toArray().size(), 1);
        settings_->setServerEnabled(false);
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Off, 10000);
        settings_->setServerCertificate({});
        settings_->setServerKey({});
    }

    void refusesBadSettingsWithTheReason() {
        settings_->setServerPort(freePort());
        settings_->setServerCertificate(dir_.filePath("missing-cert.pem"));
        settings_->setServerEnabled(true);
        ServerMode server(backend_->registry(), settings_.get(), dir_.filePath("data"));
        server.start();
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Failed, 10000);
        QVERIFY2(server.errorText().contains(QStringLiteral("go together")),
                 qPrintable(server.errorText()));

        settings_->setServerKey(dir_.filePath("missing-key.pem"));
        QTRY_COMPARE_WITH_TIMEOUT(server.state(), ServerMode::State::Failed, 10000);
        QTRY_VERIFY(server.errorText().contains(QStringLiteral("missing-cert.pem")));

        settings_->setServerCertificate({});
        settings_->setServerKey({});
        settings_->setServerAddress(QStringLiteral("not-an-address"));
        QTRY_VERIFY(server.errorText().contains(QStringLiteral("not an IP address")));
        QCOMPARE(server.state(), ServerMode::State::Failed);

        server.setUnavailable(QStringLiteral("remote mode"));
        settings_->setServerAddress(QStringLiteral("127.0.0.1"));
        QCOMPARE(server.state(), ServerMode::State::Failed);
        QCOMPARE(server.errorText(), QStringLiteral("remote mode"));
        settings_->setServerEnabled(false);
        QCOMPARE(server.state(), ServerMode::State::Off);
    }

    void cleanupTestCase() {
        settings_.reset();
        backend_.reset();
    }
};

QTEST_GUILESS_MAIN(TestServerMode)
#include "test_server_mode.moc"
