// The desktop app end to end, in a real window on a real X server (Xvfb, started by
// app_e2e_test.sh), driven by real input events delivered to that window (QTest key and mouse
// events, a drag-and-drop of a file): start with the default model, ask, watch the answer
// stream, stop it, regenerate, switch branches, attach a PDF and ask about it, switch to the
// dark theme, load and unload a model with its progress, share the app's server (server mode,
// called by a real HTTP client with the key it shows, the key then revoked), open and scroll a
// 2,000-message thread and pick its model, connect to a parley-server and see its models. A
// screenshot of each step goes to $PARLEY_SCREENSHOTS (or the build folder).
#include <QDir>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeData>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QtQml/QQmlExtensionPlugin>

#include "app_session.h"
#include "app_settings.h"
#include "gateway/remote_chat_service.h"
#include "inference/catalog/model_catalog.h"
#include "local_backend.h"
#include "unit/app/app_test_support.h"

Q_IMPORT_QML_PLUGIN(ParleyPlugin)
Q_IMPORT_QML_PLUGIN(Parley_CorePlugin)

using namespace parley;

class TestAppEndToEnd : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dir_;
    QString shots_;
    int shotNumber_ = 0;
    std::unique_ptr<app::AppSettings> settings_;
    std::unique_ptr<app::LocalBackend> backend_;
    std::unique_ptr<app::AppSession> session_;
    std::unique_ptr<QQmlApplicationEngine> engine_;
    QQuickWindow* window_ = nullptr;

    app::MessageListModel* messages() { return session_->chat()->messages(); }
    QVariant role(int row, int role) { return messages()->data(messages()->index(row), role); }

    void shoot(const QString& name) {
        QTest::qWait(150);  // let the scene graph draw the last change
        const QImage image = window_->grabWindow();
        const QString path = QDir(shots_).filePath(
            QStringLiteral("%1-%2.png").arg(++shotNumber_, 2, 10, QChar('0')).arg(name));
        QVERIFY2(image.save(path), qPrintable(path));
        qInfo("screenshot %s", qPrintable(path));
    }

    // The visible item with this objectName (the last one: the newest message's button).
    QQuickItem* visibleItem(const QString& objectName) {
        QQuickItem* found = nullptr;
        std::function<void(QQuickItem*)> walk = [&](QQuickItem* item) {
            if (!item->isVisible())
                return;
            if (item->objectName() == objectName && item->width() > 0)
                found = item;
            for (QQuickItem* child : item->childItems())
                walk(child);
        };
        walk(window_->contentItem());
        return found;
    }

    // The visible item at or under `root` (default: the window's) that `match` accepts; the
    // last one in tree order.
    QQuickItem* findItem(const std::function<bool(QQuickItem*)>& match,
                         QQuickItem* root = nullptr) {
        QQuickItem* found = nullptr;
        std::function<void(QQuickItem*)> walk = [&](QQuickItem* item) {
            if (!item->isVisible())
                return;
            if (match(item))
                found = item;
            for (QQuickItem* child : item->childItems())
                walk(child);
        };
        walk(root != nullptr ? root : window_->contentItem());
        return found;
    }
    static auto named(const QString& objectName) {
        return [objectName](QQuickItem* item) { return item->objectName() == objectName; };
    }

    // The sidebar's entry of a thread.
    QQuickItem* threadEntry(const QString& conversationId) {
        QQuickItem* list = visibleItem(QStringLiteral("threadList"));
        if (list == nullptr)
            return nullptr;
        return findItem(
            [&](QQuickItem* item) {
                return item->property("conversationId").toString() == conversationId;
            },
            list);
    }

    int visibleCount(const QString& objectName) {
        int count = 0;
        std::function<void(QQuickItem*)> walk = [&](QQuickItem* item) {
            if (!item->isVisible())
                return;
            if (item->objectName() == objectName && item->width() > 0)
                ++count;
            for (QQuickItem* child : item->childItems())
                walk(child);
        };
        walk(window_->contentItem());
        return count;
    }

    void click(QQuickItem* item) {
        QVERIFY(item != nullptr);
        const QPointF center = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
        QTest::mouseClick(window_, Qt::LeftButton, Qt::NoModifier, center.toPoint());
    }

    // Scrolls the settings dialog so that `item` shows.
    void scrollSettingsTo(QQuickItem* item) {
        QQuickItem* scroll = visibleItem(QStringLiteral("settingsScroll"));
        QVERIFY(scroll != nullptr);
        auto* flickable = scroll->property("contentItem").value<QQuickItem*>();
        QVERIFY(flickable != nullptr);
        const qreal top =
            item->mapToItem(flickable->property("contentItem").value<QQuickItem*>(), QPointF(0, 0))
                .y();
        const qreal maxY = flickable->property("contentHeight").toReal() - flickable->height();
        flickable->setProperty("contentY", std::clamp(top - 40.0, 0.0, std::max(0.0, maxY)));
        QTest::qWait(50);
    }

    // An HTTP call as any OpenAI client would make it; the answer's status and JSON body.
    std::pair<int, QJsonObject> httpCall(const QString& url, const QString& key,
                                         const QJsonObject& body = {}) {
        QNetworkAccessManager network;
        QNetworkRequest request{QUrl(url)};
        request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        std::unique_ptr<QNetworkReply> reply(
            body.isEmpty() ? network.get(request)
                           : network.post(request, QJsonDocument(body).toJson()));
        QSignalSpy finished(reply.get(), &QNetworkReply::finished);
        if (!reply->isFinished() && !finished.wait(60000))
            return {0, {}};
        return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                QJsonDocument::fromJson(reply->readAll()).object()};
    }

    void typeQuestion(const QString& text) {
        QQuickItem* input = visibleItem(QStringLiteral("composerInput"));
        QVERIFY(input != nullptr);
        click(input);
        QTRY_VERIFY(input->hasActiveFocus());
        for (QChar c : text)  // QTest::keyClicks takes only widgets
            QTest::keyClick(window_, c.toLatin1());
        QTest::keyClick(window_, Qt::Key_Return);
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const QByteArray fromEnv = qgetenv("PARLEY_SCREENSHOTS");
        shots_ = fromEnv.isEmpty() ? QStringLiteral(PARLEY_BIN_DIR "/../screenshots/e2e")
                                   : QString::fromLocal8Bit(fromEnv);
        QDir().mkpath(shots_);
        for (const QString& old : QDir(shots_).entryList({QStringLiteral("*.png")}))
            QFile::remove(QDir(shots_).filePath(old));
        const auto model = catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf";
        if (!std::filesystem::exists(model))
            QFAIL("the default models are not installed: run packaging/setup.sh");

        QQuickStyle::setStyle(QStringLiteral("Fusion"));
        QElapsedTimer sinceStart;
        sinceStart.start();
        settings_ = std::make_unique<app::AppSettings>(dir_.filePath("parley.ini"));
        settings_->setTheme(app::AppSettings::Theme::Light);
        settings_->setDefaultModel(QStringLiteral("SmolLM2-135M-Instruct.Q4_1"));
        settings_->setMaxTokens(400);
        settings_->setDataLocation(dir_.filePath("data"));  // where server mode opens the store
        auto backend = app::LocalBackend::open(settings_->dataLocation());
        QVERIFY2(backend.ok(), backend ? "" : backend.error().message.c_str());
        backend_ = std::move(backend.value());
        session_ = std::make_unique<app::AppSession>(settings_.get(), &backend_->service(),
                                                     backend_->registry(),
                                                     catalog::defaultModelsDir(), sinceStart);
        engine_ = std::make_unique<QQmlApplicationEngine>();
        engine_->setInitialProperties(
            {{QStringLiteral("session"), QVariant::fromValue(session_.get())}});
        engine_->load(QUrl(QStringLiteral("qrc:/Parley/Main.qml")));
        QVERIFY(!engine_->rootObjects().isEmpty());
        window_ = qobject_cast<QQuickWindow*>(engine_->rootObjects().constFirst());
        QVERIFY(window_ != nullptr);
        QVERIFY(QTest::qWaitForWindowExposed(window_));
        session_->start();
        QTRY_VERIFY_WITH_TIMEOUT(session_->ready(), 30000);
        qInfo("ready (model loaded) %d ms after start", session_->readyMs());
        shoot("started-with-default-model");
    }

    void askAndWatchTheAnswerStream() {
        typeQuestion(QStringLiteral("Write a long story about a robot who learns to paint."));
        QTRY_COMPARE_WITH_TIMEOUT(messages()->rowCount(), 2, 10000);
        QCOMPARE(role(0, app::MessageListModel::ContentRole).toString(),
                 QStringLiteral("Write a long story about a robot who learns to paint."));
        QVERIFY(session_->chat()->streaming());
        QTRY_VERIFY_WITH_TIMEOUT(role(1, app::MessageListModel::ContentRole).toString().size() > 40,
                                 30000);
        const int seen = role(1, app::MessageListModel::ContentRole).toString().size();
        QTRY_VERIFY_WITH_TIMEOUT(
            role(1, app::MessageListModel::ContentRole).toString().size() > seen, 10000);
        QVERIFY(role(1, app::MessageListModel::StreamingRole).toBool());
        shoot("answer-streaming");
    }

    void stopTheAnswer() {
        QQuickItem* stop = visibleItem(QStringLiteral("stopButton"));
        QVERIFY(stop != nullptr);
        click(stop);
        QTRY_VERIFY_WITH_TIMEOUT(!session_->chat()->streaming(), 10000);
        QCOMPARE(role(1, app::MessageListModel::StatusRole).toString(),
                 QStringLiteral("cancelled"));
        QVERIFY(role(1, app::MessageListModel::StoppedRole).toBool());
        QVERIFY(!role(1, app::MessageListModel::ContentRole).toString().isEmpty());
        QTRY_VERIFY(visibleItem(QStringLiteral("stoppedTag")) != nullptr);
        shoot("answer-stopped");
    }

    void regenerate() {
        settings_->setMaxTokens(48);
        const QString stoppedText = role(1, app::MessageListModel::ContentRole).toString();
        click(visibleItem(QStringLiteral("regenerateButton")));
        QTRY_VERIFY_WITH_TIMEOUT(session_->chat()->streaming(), 10000);
        QCOMPARE(role(1, app::MessageListModel::SiblingCountRole).toInt(), 2);
        QCOMPARE(role(1, app::MessageListModel::SiblingIndexRole).toInt(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(!session_->chat()->streaming(), 60000);
        QCOMPARE(role(1, app::MessageListModel::StatusRole).toString(), QStringLiteral("complete"));
        QVERIFY(role(1, app::MessageListModel::ContentRole).toString() != stoppedText);
        QVERIFY(role(1, app::MessageListModel::CompletionTokensRole).toInt() > 0);
        QVERIFY(role(1, app::MessageListModel::TtftMsRole).toInt() >= 0);
        QTRY_COMPARE(visibleItem(QStringLiteral("branchLabel"))->property("text").toString(),
                     QStringLiteral("2/2"));
        shoot("regenerated-branch-2-of-2");
    }

    void switchBranches() {
        click(visibleItem(QStringLiteral("previousBranch")));
        QTRY_COMPARE_WITH_TIMEOUT(role(1, app::MessageListModel::SiblingIndexRole).toInt(), 0,
                                  10000);
        QCOMPARE(role(1, app::MessageListModel::StatusRole).toString(),
                 QStringLiteral("cancelled"));
        QTRY_COMPARE(visibleItem(QStringLiteral("branchLabel"))->property("text").toString(),
                     QStringLiteral("1/2"));
        shoot("branch-1-of-2-the-stopped-answer");
        click(visibleItem(QStringLiteral("nextBranch")));
        QTRY_COMPARE_WITH_TIMEOUT(role(1, app::MessageListModel::SiblingIndexRole).toInt(), 1,
                                  10000);
        QCOMPARE(role(1, app::MessageListModel::StatusRole).toString(), QStringLiteral("complete"));
    }

    void composerKeys() {
        QQuickItem* input = visibleItem(QStringLiteral("composerInput"));
        QVERIFY(input != nullptr);
        click(input);
        QTRY_VERIFY(input->hasActiveFocus());
        const int rows = messages()->rowCount();
        QTest::keyClick(window_, 'a');
        QTest::keyClick(window_, Qt::Key_Return, Qt::ShiftModifier);
        QTest::keyClick(window_, 'b');
        QCOMPARE(input->property("text").toString(), QStringLiteral("a\nb"));
        QCOMPARE(messages()->rowCount(), rows);  // Shift+Enter did not send
        for (int i = 0; i < 3; ++i)
            QTest::keyClick(window_, Qt::Key_Backspace);
        QCOMPARE(input->property("text").toString(), QString());

        // Up in the empty box edits the last message; Esc gives up the edit.
        QTest::keyClick(window_, Qt::Key_Up);
        QCOMPARE(input->property("text").toString(),
                 QStringLiteral("Write a long story about a robot who learns to paint."));
        shoot("up-edits-the-last-message");
        QTest::keyClick(window_, Qt::Key_Escape);
        QCOMPARE(input->property("text").toString(), QString());
        QCOMPARE(messages()->rowCount(), rows);
    }

    void attachPdfByDropAndAskAboutIt() {
        const QString pdfPath = dir_.filePath("secret-note.pdf");
        QFile pdf(pdfPath);
        QVERIFY(pdf.open(QIODevice::WriteOnly));
        pdf.write(app_test::tinyPdf("The secret code word is PINEAPPLE."));
        pdf.close();

        QQuickItem* input = visibleItem(QStringLiteral("composerInput"));
        QVERIFY(input != nullptr);
        const QPoint target =
            input->mapToScene(QPointF(input->width() / 2, input->height() / 2)).toPoint();
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(pdfPath)});
        QDragEnterEvent enter(target, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window_, &enter);
        QDragMoveEvent move(target, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window_, &move);
        QDropEvent drop(target, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(window_, &drop);

        app::AttachmentListModel* files = session_->chat()->attachments();
        QTRY_COMPARE(files->rowCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(
            files->data(files->index(0), app::AttachmentListModel::StatusRole).toString(),
            QStringLiteral("ready"), 10000);
        QCOMPARE(files->data(files->index(0), app::AttachmentListModel::NameRole).toString(),
                 QStringLiteral("secret-note.pdf"));
        QTRY_VERIFY(visibleItem(QStringLiteral("composerChip")) != nullptr);
        shoot("pdf-attached-as-chip");

        typeQuestion(QStringLiteral("What is the secret code word in the note?"));
        QTRY_COMPARE_WITH_TIMEOUT(messages()->rowCount(), 4, 10000);
        QCOMPARE(role(2, app::MessageListModel::AttachmentsRole).toStringList(),
                 QStringList{QStringLiteral("secret-note.pdf")});
        QCOMPARE(files->rowCount(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!session_->chat()->streaming(), 60000);
        QCOMPARE(role(3, app::MessageListModel::StatusRole).toString(), QStringLiteral("complete"));

        // The PDF's text went into the prompt: the context report lists the file.
        QSignalSpy report(session_->chat(), &app::ChatController::contextReportChanged);
        QTRY_COMPARE(visibleCount(QStringLiteral("contextButton")), 2);
        QTest::qWait(200);  // the list settles at its end
        QQuickItem* contextButton = visibleItem(QStringLiteral("contextButton"));
        QVERIFY(contextButton != nullptr);
        const QRectF list =
            visibleItem(QStringLiteral("messageList"))
                ->mapRectToScene(QRectF(0, 0, visibleItem(QStringLiteral("messageList"))->width(),
                                        visibleItem(QStringLiteral("messageList"))->height()));
        const QPointF center = contextButton->mapToScene(
            QPointF(contextButton->width() / 2, contextButton->height() / 2));
        QVERIFY2(list.contains(center), "the newest answer's buttons are not in view");
        click(contextButton);
        // The reply may arrive while the click's events are processed: count, do not wait.
        QTRY_VERIFY_WITH_TIMEOUT(report.count() > 0, 10000);
        bool listed = false;
        for (const QVariant& part : session_->chat()->contextReport().value("parts").toList())
            listed = listed || (part.toMap().value("label").toString() == "secret-note.pdf" &&
                                part.toMap().value("included").toBool());
        QVERIFY2(listed, "the PDF is not in the answer's context");
        shoot("context-inspector-lists-the-pdf");
        QTest::keyClick(window_, Qt::Key_Escape);
        QTest::qWait(300);
        shoot("answer-about-the-pdf");
    }

    void switchToDarkTheme() {
        QVERIFY(!session_->darkTheme());
        click(visibleItem(QStringLiteral("themeButton")));
        QTRY_VERIFY(session_->darkTheme());
        QCOMPARE(settings_->theme(), app::AppSettings::Theme::Dark);
        QTRY_VERIFY(window_->color().lightness() < 80);
        QVERIFY(messages()->darkTheme());
        shoot("dark-theme");
    }

    void modelManagerAndSettingsOpen() {
        click(visibleItem(QStringLiteral("modelsButton")));
        QTRY_VERIFY(visibleItem(QStringLiteral("modelList")) != nullptr);
        QTRY_VERIFY(visibleItem(QStringLiteral("modelList"))->property("count").toInt() >= 2);
        shoot("model-manager");

        // Load the second model by its button: the row shows the load's progress at once (the
        // UI thread is not held by it), then "Loaded"; unloaded again, it leaves the registry.
        const QString gemmaId = QStringLiteral("gemma-3-270m-q4_k_m");
        QQuickItem* gemmaRow = findItem([&](QQuickItem* item) {
            return item->property("modelId").toString() == gemmaId &&
                   item->property("progressText").isValid();
        });
        QVERIFY(gemmaRow != nullptr);
        QVERIFY(!gemmaRow->property("loaded").toBool());
        QQuickItem* loadButton = findItem(named(QStringLiteral("loadButton")), gemmaRow);
        QVERIFY(loadButton != nullptr);
        click(loadButton);
        QVERIFY(gemmaRow->property("loading").toBool());
        QVERIFY(findItem(named(QStringLiteral("loadProgress")), gemmaRow) != nullptr);
        QVERIFY(!gemmaRow->property("progressText").toString().isEmpty());
        shoot("model-load-clicked");
        QTRY_VERIFY_WITH_TIMEOUT(
            gemmaRow->property("loaded").toBool() && !gemmaRow->property("loading").toBool(),
            30000);
        QVERIFY(findItem(named(QStringLiteral("loadProgress")), gemmaRow) == nullptr);
        QVERIFY(session_->models()->loadedModels().contains(gemmaId));
        shoot("model-loaded");
        click(loadButton);  // now "Unload"
        QTRY_VERIFY_WITH_TIMEOUT(
            !gemmaRow->property("loaded").toBool() && !gemmaRow->property("loading").toBool(),
            10000);
        QVERIFY(backend_->registry()->find(gemmaId.toStdString()) == nullptr);
        QTest::keyClick(window_, Qt::Key_Escape);
        QTRY_VERIFY(visibleItem(QStringLiteral("modelList")) == nullptr);

        click(visibleItem(QStringLiteral("settingsButton")));
        QTRY_VERIFY(visibleItem(QStringLiteral("themeCombo")) != nullptr);
        QCOMPARE(visibleItem(QStringLiteral("themeCombo"))->property("currentIndex").toInt(),
                 static_cast<int>(app::AppSettings::Theme::Dark));
        shoot("settings");
        QTest::keyClick(window_, Qt::Key_Escape);
        QTRY_VERIFY(visibleItem(QStringLiteral("themeCombo")) == nullptr);
    }

    // Settings → server mode, switched on by a click: the gateway starts inside the app, shows
    // its URL, creates a key to share; a real HTTP client gets the app's model and an answer
    // from it with that key; switched off, the port closes.
    void shareThisAppsServer() {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        settings_->setServerAddress(QStringLiteral("127.0.0.1"));
        settings_->setServerPort(port);
        app::ServerMode* server = session_->server();
        QCOMPARE(server->state(), app::ServerMode::State::Off);

        click(visibleItem(QStringLiteral("settingsButton")));
        QTRY_VERIFY(visibleItem(QStringLiteral("serverSwitch")) != nullptr);
        QQuickItem* serverSwitch = visibleItem(QStringLiteral("serverSwitch"));
        scrollSettingsTo(serverSwitch);
        click(serverSwitch);
        QVERIFY(settings_->serverEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(server->state(), app::ServerMode::State::Listening, 20000);
        QTRY_VERIFY(visibleItem(QStringLiteral("serverUrl")) != nullptr);
        const QString url = visibleItem(QStringLiteral("serverUrl"))->property("text").toString();
        QCOMPARE(url, QStringLiteral("http://127.0.0.1:%1").arg(port));

        click(visibleItem(QStringLiteral("createKeyButton")));
        QTRY_VERIFY_WITH_TIMEOUT(visibleItem(QStringLiteral("sharedKey")) != nullptr, 10000);
        const QString key = visibleItem(QStringLiteral("sharedKey"))->property("text").toString();
        QVERIFY(key.startsWith(QStringLiteral("parley-")));
        scrollSettingsTo(visibleItem(QStringLiteral("serverModePanel")));
        shoot("server-mode-listening");

        const auto [modelsStatus, models] = httpCall(url + "/v1/models", key);
        QCOMPARE(modelsStatus, 200);
        QStringList ids;
        for (const auto& entry : models.value("data").toArray())
            ids.append(entry.toObject().value("id").toString());
        QVERIFY2(ids.contains(QStringLiteral("SmolLM2-135M-Instruct.Q4_1")),
                 qPrintable(ids.join(',')));
        QCOMPARE(ids, session_->models()->loadedModels());
        const auto [chatStatus, chat] = httpCall(
            url + "/v1/chat/completions", key,
            QJsonObject{{"model", "SmolLM2-135M-Instruct.Q4_1"},
                        {"messages",
                         QJsonArray{QJsonObject{{"role", "user"}, {"content", "What is 2 + 2?"}}}},
                        {"max_tokens", 16},
                        {"temperature", 0}});
        QCOMPARE(chatStatus, 200);
        const QString answer = chat.value("choices")
                                   .toArray()
                                   .first()
                                   .toObject()
                                   .value("message")
                                   .toObject()
                                   .value("content")
                                   .toString();
        QVERIFY2(!answer.trimmed().isEmpty(), QJsonDocument(chat).toJson().constData());
        qInfo("server mode: %s answered over HTTP: %s", qPrintable(url), qPrintable(answer));

        // The key is listed under the shared keys; revoked there, it stops working at once.
        QTRY_COMPARE(visibleCount(QStringLiteral("sharedKeyRow")), 1);
        QQuickItem* revoke = visibleItem(QStringLiteral("revokeKeyButton"));
        QVERIFY(revoke != nullptr);
        scrollSettingsTo(revoke);
        click(revoke);
        QTRY_COMPARE_WITH_TIMEOUT(visibleCount(QStringLiteral("sharedKeyRow")), 0, 10000);
        QCOMPARE(httpCall(url + "/v1/models", key).first, 401);
        QVERIFY(visibleItem(QStringLiteral("sharedKey")) == nullptr);  // no use copying it now
        shoot("server-mode-key-revoked");

        scrollSettingsTo(serverSwitch);
        click(serverSwitch);
        QVERIFY(!settings_->serverEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(server->state(), app::ServerMode::State::Off, 10000);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!socket.waitForConnected(1000));
        QTRY_VERIFY(visibleItem(QStringLiteral("sharedKey")) == nullptr);  // shown once
        shoot("server-mode-off");
        QTest::keyClick(window_, Qt::Key_Escape);
        QTRY_VERIFY(visibleItem(QStringLiteral("serverSwitch")) == nullptr);
    }

    void openAndScrollALongThread() {
        auto seeded = app_test::seedThread(backend_->databasePath(), backend_->service().userId(),
                                           "Long thread", 2000);
        QVERIFY(seeded.ok());
        session_->threads()->refresh();
        QTRY_VERIFY(session_->threads()->rowOf(seeded.value()) >= 0);
        QQuickItem* list = visibleItem(QStringLiteral("threadList"));
        QVERIFY(list != nullptr);
        QQuickItem* entry = nullptr;
        const auto findEntry = [&]() -> QQuickItem* {
            QQuickItem* found = nullptr;
            std::function<void(QQuickItem*)> walk = [&](QQuickItem* item) {
                if (item->isVisible() &&
                    item->property("conversationId").toString() == seeded.value())
                    found = item;
                for (QQuickItem* child : item->childItems())
                    walk(child);
            };
            walk(list);
            return found;
        };
        QTRY_VERIFY((entry = findEntry()) != nullptr);

        // From the click on the thread to the first frame that shows its last messages.
        QElapsedTimer open;
        QSignalSpy frames(window_, &QQuickWindow::frameSwapped);
        QSignalSpy opened(session_->chat(), &app::ChatController::conversationOpened);
        open.start();
        click(entry);
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 10000);
        const int framesBefore = static_cast<int>(frames.count());
        QTRY_VERIFY_WITH_TIMEOUT(frames.count() > framesBefore, 5000);
        const qint64 openMs = open.elapsed();
        QCOMPARE(messages()->rowCount(), 2000);
        QCOMPARE(visibleItem(QStringLiteral("threadTitle"))->property("text").toString(),
                 "Long thread");
        qInfo("2,000-message thread: click to first frame of it %lld ms (service + model %d ms)",
              static_cast<long long>(openMs), session_->chat()->lastOpenMs());
        shoot("thread-of-2000-messages-opened");

        // Drag the scroll bar's handle up a pixel at a time (about half a page of this thread
        // each) with the mouse, and time each step to the next frame.
        QQuickItem* messageList = visibleItem(QStringLiteral("messageList"));
        QVERIFY(messageList != nullptr);
        QQuickItem* scrollBar = findItem(named(QStringLiteral("messageScrollBar")));
        QVERIFY(scrollBar != nullptr);
        auto* handle = scrollBar->property("contentItem").value<QQuickItem*>();
        QVERIFY(handle != nullptr);
        const QPoint grab =
            handle->mapToScene(QPointF(handle->width() / 2, handle->height() / 2)).toPoint();
        const qreal bottomY = messageList->property("contentY").toReal();
        QTest::mousePress(window_, Qt::LeftButton, Qt::NoModifier, grab);
        qint64 worstFrameMs = 0;
        QElapsedTimer frame;
        for (int step = 1; step <= 60; ++step) {
            const int before = static_cast<int>(frames.count());
            frame.start();
            QTest::mouseMove(window_, grab - QPoint(0, step));
            QTRY_VERIFY_WITH_TIMEOUT(frames.count() > before, 5000);
            worstFrameMs = std::max(worstFrameMs, frame.elapsed());
        }
        QTest::mouseRelease(window_, Qt::LeftButton, Qt::NoModifier, grab - QPoint(0, 60));
        const qreal movedUp = bottomY - messageList->property("contentY").toReal();
        qInfo(
            "dragging the scroll bar up 60 px (%.0f px of messages): slowest step took %lld ms "
            "to a new frame",
            movedUp, static_cast<long long>(worstFrameMs));
        // The view stays where the user took it, above the end.
        QVERIFY(movedUp > 60 * messageList->height() / 4);
        QVERIFY(!messageList->property("atYEnd").toBool());
        shoot("thread-of-2000-messages-scrolled-up");

        // The model picked for this thread is its own: another thread opens with the default
        // model, and this one with its choice again.
        const QString smol = QStringLiteral("SmolLM2-135M-Instruct.Q4_1");
        QQuickItem* picker = visibleItem(QStringLiteral("modelPicker"));
        QVERIFY(picker != nullptr);
        QObject* popup = picker->property("popup").value<QObject*>();
        click(picker);
        QTRY_VERIFY(popup->property("visible").toBool());
        QTest::keyClick(window_, Qt::Key_Down);
        QTest::keyClick(window_, Qt::Key_Return);
        QTRY_COMPARE(session_->chat()->model(), smol);
        QTRY_VERIFY(!popup->property("visible").toBool());
        QCOMPARE(picker->property("currentText").toString(), smol);
        QString otherThread;
        for (int row = 0; row < session_->threads()->rowCount(); ++row)
            if (session_->threads()->idAt(row) != seeded.value())
                otherThread = session_->threads()->idAt(row);
        QVERIFY(!otherThread.isEmpty());
        click(threadEntry(otherThread));
        QTRY_COMPARE(session_->chat()->conversationId(), otherThread);
        QTRY_COMPARE(opened.count(), 2);
        QCOMPARE(session_->chat()->model(), QString());
        QCOMPARE(picker->property("currentIndex").toInt(), 0);
        click(threadEntry(seeded.value()));
        QTRY_COMPARE(opened.count(), 3);
        QCOMPARE(session_->chat()->model(), smol);
        QCOMPARE(picker->property("currentText").toString(), smol);
        // Opened again, the thread shows its newest messages.
        const auto where = [messageList] {
            return QStringLiteral("contentY %1 originY %2 contentHeight %3 height %4")
                .arg(messageList->property("contentY").toReal())
                .arg(messageList->property("originY").toReal())
                .arg(messageList->property("contentHeight").toReal())
                .arg(messageList->height());
        };
        // (positionViewAtEnd() leaves out the bottom margin, so atYEnd stays false.)
        const auto lastPixelShown = [messageList] {
            return messageList->property("contentY").toReal() + messageList->height() >=
                   messageList->property("originY").toReal() +
                       messageList->property("contentHeight").toReal() - 0.5;
        };
        QTRY_VERIFY2(lastPixelShown(), qPrintable(where()));
        shoot("thread-opened-again-with-its-model");
    }

    // The same screens on a parley-server started here: connect with its URL and key, see the
    // server's models (not the local ones) in the picker and the model manager, ask, and watch
    // the answer stream in over the WebSocket channel.
    void connectToARemoteServer() {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close();
        const QString key = QStringLiteral("e2e-remote-key-0123456789abcdef-0123456789");
        // A second model the app has not loaded: the picker must show the server's list.
        const auto gemma = catalog::defaultModelsDir() / "gemma-3-270m-q4_k_m.gguf";
        QVERIFY(std::filesystem::exists(gemma));
        const QString gemmaId = QString::fromStdString(gemma.stem().string());
        QVERIFY(backend_->registry()->find(gemmaId.toStdString()) == nullptr);
        const size_t localModels = backend_->registry()->models().size();
        QProcess server;
        server.setProcessChannelMode(QProcess::MergedChannels);
        server.start(
            QStringLiteral(PARLEY_BIN_DIR "/parley-server"),
            {"--host", "127.0.0.1", "--port", QString::number(port), "--data-dir",
             dir_.filePath("server"), "--bootstrap-api-key", key, "--model",
             QString::fromStdString(
                 (catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf").string()),
             "--model", QString::fromStdString(gemma.string())});
        QVERIFY2(server.waitForStarted(5000), qPrintable(server.errorString()));
        const auto listening = [&] {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, port);
            return socket.waitForConnected(200);
        };
        QTRY_VERIFY_WITH_TIMEOUT(listening() || server.state() != QProcess::Running, 30000);
        QVERIFY2(server.state() == QProcess::Running, server.readAll().constData());

        // Close the local window; open the app again in remote mode.
        engine_.reset();
        session_.reset();
        settings_->setRemoteEnabled(true);
        settings_->setRemoteUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
        settings_->setRemoteApiKey(key);
        gateway::RemoteChatService remote(
            {.url = QUrl(settings_->remoteUrl()), .apiKey = settings_->remoteApiKey()});
        QElapsedTimer sinceStart;
        sinceStart.start();
        session_ = std::make_unique<app::AppSession>(settings_.get(), &remote, backend_->registry(),
                                                     catalog::defaultModelsDir(), sinceStart);
        session_->setRemote(settings_->remoteUrl());
        connect(&remote, &gateway::RemoteChatService::connectedChanged, session_.get(),
                [this](bool connected) { session_->setRemoteConnected(connected); });
        engine_ = std::make_unique<QQmlApplicationEngine>();
        engine_->setInitialProperties(
            {{QStringLiteral("session"), QVariant::fromValue(session_.get())}});
        engine_->load(QUrl(QStringLiteral("qrc:/Parley/Main.qml")));
        QVERIFY(!engine_->rootObjects().isEmpty());
        window_ = qobject_cast<QQuickWindow*>(engine_->rootObjects().constFirst());
        QVERIFY(QTest::qWaitForWindowExposed(window_));
        session_->start();
        QTRY_VERIFY_WITH_TIMEOUT(session_->ready(), 20000);
        QVERIFY(session_->remote());

        const QStringList serverModels{QStringLiteral("SmolLM2-135M-Instruct.Q4_1"), gemmaId};
        QTRY_COMPARE_WITH_TIMEOUT(session_->models()->loadedModels(), serverModels, 10000);
        QCOMPARE(session_->models()->defaultModel(), serverModels.first());
        QQuickItem* picker = visibleItem(QStringLiteral("modelPicker"));
        QVERIFY(picker != nullptr);
        QTRY_COMPARE(picker->property("count").toInt(), 1 + int(serverModels.size()));
        click(picker);
        QTRY_VERIFY(picker->property("popup").value<QObject*>()->property("visible").toBool());
        shoot("remote-model-picker");
        QTest::keyClick(window_, Qt::Key_Escape);
        QTRY_VERIFY(!picker->property("popup").value<QObject*>()->property("visible").toBool());
        click(visibleItem(QStringLiteral("modelsButton")));
        QTRY_VERIFY(visibleItem(QStringLiteral("modelList")) != nullptr);
        QTRY_COMPARE(visibleItem(QStringLiteral("modelList"))->property("count").toInt(),
                     int(serverModels.size()));
        shoot("remote-model-manager");
        QTest::keyClick(window_, Qt::Key_Escape);
        QTRY_VERIFY(visibleItem(QStringLiteral("modelList")) == nullptr);
        // Nothing was loaded locally for the remote session.
        QCOMPARE(backend_->registry()->models().size(), localModels);
        QVERIFY(backend_->registry()->find(gemmaId.toStdString()) == nullptr);

        typeQuestion(QStringLiteral("Hello from the remote app."));
        QTRY_COMPARE_WITH_TIMEOUT(messages()->rowCount(), 2, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!role(1, app::MessageListModel::ContentRole).toString().isEmpty(),
                                 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!session_->chat()->streaming(), 60000);
        QCOMPARE(role(1, app::MessageListModel::StatusRole).toString(), QStringLiteral("complete"));
        QTRY_VERIFY(session_->threads()->rowCount() == 1);
        shoot("remote-server-answer");

        engine_.reset();
        session_.reset();
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void cleanupTestCase() {
        engine_.reset();
        session_.reset();
        backend_.reset();
    }
};

QTEST_MAIN(TestAppEndToEnd)
#include "test_app_e2e.moc"
