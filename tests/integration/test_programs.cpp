// The built programs as a user runs them: parley-cli and parley-server answer --help, reject bad
// input with clear errors, and the server answers real HTTP requests on loopback.
#include <QtNetwork>
#include <QtTest>

namespace {

const QString kBin = QStringLiteral(PARLEY_BIN_DIR);

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QString& program, const QStringList& args, const QProcessEnvironment& env = {}) {
    QProcess p;
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(kBin + "/" + program, args);
    if (!p.waitForFinished(60000)) {
        p.kill();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QJsonObject getJson(QNetworkAccessManager& nam, const QUrl& url, int* status,
                    const QByteArray& apiKey = {}) {
    QNetworkRequest request(url);
    if (!apiKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + apiKey);
    QNetworkReply* reply = nam.get(request);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!done.wait(10000))
        return {};
    *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const auto doc = QJsonDocument::fromJson(reply->readAll());
    reply->deleteLater();
    return doc.object();
}

}  // namespace

class TestPrograms : public QObject {
    Q_OBJECT
  private slots:
    void cliHelp() {
        const auto r = run("parley-cli", {"--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("inspect --model FILE"));
    }

    void cliRejectsUnknownCommand() {
        const auto r = run("parley-cli", {"frobnicate"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("unknown command 'frobnicate'"));
    }

    void cliInspectBadFile() {
        QTemporaryFile bad;
        QVERIFY(bad.open());
        bad.write("this is not a model file at all, just text");
        bad.close();
        const auto r = run("parley-cli", {"inspect", "--model", bad.fileName()});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith("error: " + bad.fileName() + ": not a GGUF file"),
                 qPrintable(r.err));
    }

    void cliInspectMissingFile() {
        const auto r = run("parley-cli", {"inspect", "--model", "/no/such/model.gguf"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.startsWith("error: /no/such/model.gguf: cannot open"), qPrintable(r.err));
    }

    // The engine end to end on the default chat model, as a user runs it.
    void cliWithDefaultModel() {
        const QString dir = QString::fromLocal8Bit(qgetenv("PARLEY_MODELS_DIR")).isEmpty()
                                ? QDir::homePath() + "/.local/share/parley/models"
                                : QString::fromLocal8Bit(qgetenv("PARLEY_MODELS_DIR"));
        const QString model = dir + "/SmolLM2-135M-Instruct.Q4_1.gguf";
        QVERIFY2(QFile::exists(model), "run packaging/setup.sh to fetch the default models");

        auto inspect = run("parley-cli", {"inspect", "--model", model});
        QCOMPARE(inspect.exitCode, 0);
        QVERIFY(inspect.out.contains("architecture: llama"));
        QVERIFY(inspect.out.contains("<|im_start|>"));  // the chat template is shown

        auto tokens = run("parley-cli", {"tokenize", "--model", model, "--text",
                                         "The capital of France is", "--json"});
        QCOMPARE(tokens.exitCode, 0);
        const auto ids = QJsonDocument::fromJson(tokens.out.toUtf8()).object()["ids"].toArray();
        QCOMPARE(ids, QJsonArray({504, 3575, 282, 4649, 314}));  // llama.cpp's ids

        auto raw = run("parley-cli", {"generate", "--model", model, "--raw", "--prompt",
                                      "The capital of France is", "--temperature", "0",
                                      "--max-tokens", "6", "--threads", "2"});
        QCOMPARE(raw.exitCode, 0);
        QVERIFY2(raw.out.startsWith(" Paris"), qPrintable(raw.out));
        QVERIFY(raw.err.contains("finish: length"));

        auto chat = run("parley-cli", {"generate", "--model", model, "--prompt",
                                       "Give me three tips for staying healthy.", "--temperature",
                                       "0.7", "--seed", "1", "--max-tokens", "120"});
        QCOMPARE(chat.exitCode, 0);
        QVERIFY2(chat.out.contains("1.") && chat.out.contains("2."), qPrintable(chat.out));
        // Sampled text: it may end by itself or at the token limit, but it must say which.
        QVERIFY2(QRegularExpression("finish: (stop|length);").match(chat.err).hasMatch(),
                 qPrintable(chat.err));
        auto again = run("parley-cli", {"generate", "--model", model, "--prompt",
                                        "Give me three tips for staying healthy.", "--temperature",
                                        "0.7", "--seed", "1", "--max-tokens", "120"});
        QCOMPARE(again.out, chat.out);  // same seed, same answer

        auto bench = run("parley-cli", {"bench", "--model", model, "--prompt-tokens", "32",
                                        "--gen-tokens", "8", "--repetitions", "1", "--json"});
        QCOMPARE(bench.exitCode, 0);
        const auto b = QJsonDocument::fromJson(bench.out.toUtf8()).object();
        QVERIFY(b["prefill_tokens_per_s"].toDouble() > 0);
        QVERIFY(b["decode_tokens_per_s"].toDouble() > 0);

        auto streams = run("parley-cli", {"bench", "--model", model, "--concurrency", "3",
                                          "--gen-tokens", "8", "--json"});
        QCOMPARE(streams.exitCode, 0);
        const auto lines = streams.out.trimmed().split('\n');
        const auto c = QJsonDocument::fromJson(lines.last().toUtf8()).object();
        QVERIFY2(c["aggregate_decode_tokens_per_s"].toDouble() > 0, qPrintable(streams.out));
        QVERIFY(c["ttft_ms_p50"].toDouble() > 0);
    }

    void cliGenerateRejectsBadInput() {
        auto r = run("parley-cli", {"generate", "--model", "/no/such.gguf", "--prompt", "hi"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.startsWith("error: /no/such.gguf: cannot open"));
        r = run("parley-cli",
                {"generate", "--prompt", "hi", "--model", "x", "--max-tokens", "many"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("--max-tokens 'many' is not a whole number"));
        r = run("parley-cli", {"generate", "--bogus"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("unknown option '--bogus'"));
    }

    void serverHelp() {
        const auto r = run("parley-server", {"--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("--port"));
        QVERIFY(r.out.contains("--models-dir"));
    }

    void serverRejectsBadHost() {
        const auto r = run("parley-server", {"--host", "not-an-ip"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("is not an IP address"));
    }

    void serverAnswersHttp() {
        // A models directory with a header-only GGUF (no weights: cannot be served) and a broken
        // file: the server starts, says why each is not served, and is not ready.
        QTemporaryDir models;
        QTemporaryDir data;
        QVERIFY(models.isValid() && data.isValid());
        QFile::copy(QStringLiteral(PARLEY_TEST_DATA_DIR) + "/fuzz/gguf/seed_llama.gguf",
                    models.filePath("tiny.gguf"));
        QFile broken(models.filePath("broken.gguf"));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("GGUF");
        broken.close();

        const QByteArray key = "test-programs-bootstrap-key-0123456789abcdef";
        QProcess server;
        server.start(kBin + "/parley-server",
                     {"--host", "127.0.0.1", "--port", "0", "--models-dir", models.path(),
                      "--data-dir", data.path(), "--bootstrap-api-key", QString::fromLatin1(key)});
        QVERIFY(server.waitForStarted());
        QRegularExpression portRe("listening on http://127\\.0\\.0\\.1:(\\d+)");
        QRegularExpressionMatch m;
        QTRY_VERIFY_WITH_TIMEOUT(
            (m = portRe.match(QString::fromUtf8(server.peek(8192)))).hasMatch(), 10000);
        const QString base = "http://127.0.0.1:" + m.captured(1);
        const QString log = QString::fromUtf8(server.readAllStandardError());
        QVERIFY2(log.contains("broken.gguf") && log.contains("tiny.gguf"), qPrintable(log));

        QNetworkAccessManager nam;
        int status = 0;
        auto health = getJson(nam, QUrl(base + "/healthz"), &status);
        QCOMPARE(status, 200);
        QCOMPARE(health["status"].toString(), QString("ok"));

        getJson(nam, QUrl(base + "/readyz"), &status);
        QCOMPARE(status, 503);

        // A key is required even on loopback.
        auto refused = getJson(nam, QUrl(base + "/v1/models"), &status);
        QCOMPARE(status, 401);
        QCOMPARE(refused["error"].toObject()["type"].toString(), QString("authentication_error"));

        auto list = getJson(nam, QUrl(base + "/v1/models"), &status, key);
        QCOMPARE(status, 200);
        QCOMPARE(list["object"].toString(), QString("list"));
        QCOMPARE(list["data"].toArray().size(), 0);  // neither file can be served

        auto missing = getJson(nam, QUrl(base + "/v1/nothing"), &status, key);
        QCOMPARE(status, 404);
        QCOMPARE(missing["error"].toObject()["type"].toString(), QString("invalid_request_error"));

        server.terminate();
        QVERIFY(server.waitForFinished(10000));
        QCOMPARE(server.exitCode(), 0);
    }

    void serverNotReadyWithoutModels() {
        QTemporaryDir empty;
        QTemporaryDir data;
        QProcess server;
        server.start(kBin + "/parley-server",
                     {"--port", "0", "--models-dir", empty.path(), "--data-dir", data.path()});
        QRegularExpression portRe("listening on http://127\\.0\\.0\\.1:(\\d+)");
        QRegularExpressionMatch m;
        QTRY_VERIFY_WITH_TIMEOUT(
            (m = portRe.match(QString::fromUtf8(server.peek(8192)))).hasMatch(), 10000);
        QNetworkAccessManager nam;
        int status = 0;
        auto ready = getJson(nam, QUrl("http://127.0.0.1:" + m.captured(1) + "/readyz"), &status);
        QCOMPARE(status, 503);
        QVERIFY(ready["reason"].toString().contains(empty.path()));
        // With no key given, the admin's first key is generated and kept in a 0600 file.
        const QFileInfo keyFile(data.filePath("bootstrap-admin-key"));
        QVERIFY(keyFile.exists());
        QCOMPARE(keyFile.permissions() & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void appWithoutDisplayExplains() {
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        env.remove("WAYLAND_DISPLAY");
        env.remove("QT_QPA_PLATFORM");
        const auto r = run("parley", {}, env);
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.err.contains("parley-server --host 127.0.0.1"));
    }
};

QTEST_GUILESS_MAIN(TestPrograms)
#include "test_programs.moc"
