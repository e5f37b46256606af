#include <QElapsedTimer>
#include <QGuiApplication>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QtQml/QQmlExtensionPlugin>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "app_logging.h"
#include "app_session.h"
#include "app_settings.h"
#include "frame_log.h"
#include "gateway/remote_chat_service.h"
#include "inference/catalog/model_catalog.h"
#include "local_backend.h"

Q_IMPORT_QML_PLUGIN(ParleyPlugin)
Q_IMPORT_QML_PLUGIN(Parley_CorePlugin)

namespace {

// Qt aborts with a terse xcb message when there is no display; say what to do instead.
bool haveDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform != nullptr && *platform != '\0')
        return true;
    const char* x11 = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    return (x11 != nullptr && *x11 != '\0') || (wayland != nullptr && *wayland != '\0');
}

}  // namespace

int main(int argc, char** argv) {
    QElapsedTimer sinceStart;
    sinceStart.start();
    if (!haveDisplay()) {
        std::fprintf(stderr,
                     "parley: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n"
                     "On a machine without a desktop, run the headless server instead:\n"
                     "  build/bin/parley-server --host 127.0.0.1 --port 8765\n"
                     "or start a virtual display: xvfb-run build/bin/parley\n");
        return 3;
    }
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName("Parley");
    QGuiApplication::setOrganizationName("Parley");
    QGuiApplication::setApplicationVersion(PARLEY_VERSION);
    QGuiApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/parley.svg")));

    QQuickStyle::setStyle(QStringLiteral("Fusion"));  // follows the palette of the chosen theme

    parley::app::AppSettings settings;
    auto backend = parley::app::LocalBackend::open(settings.dataLocation());
    if (!backend) {
        std::fprintf(stderr, "parley: %s\nChoose another data folder in the settings file %s\n",
                     backend.error().message.c_str(),
                     qPrintable(QSettings(QSettings::IniFormat, QSettings::UserScope,
                                          QStringLiteral("Parley"), QStringLiteral("parley"))
                                    .fileName()));
        return 1;
    }
    // Remote mode: the same screens on a team server's conversations and models.
    std::unique_ptr<parley::gateway::RemoteChatService> remote;
    if (settings.remoteEnabled() && !settings.remoteUrl().isEmpty())
        remote = std::make_unique<parley::gateway::RemoteChatService>(
            parley::gateway::RemoteServerConfig{.url = QUrl(settings.remoteUrl()),
                                                .apiKey = settings.remoteApiKey()});
    parley::chat::ChatService* service = remote
                                             ? static_cast<parley::chat::ChatService*>(remote.get())
                                             : &backend.value()->service();
    parley::app::AppSession session(&settings, service, backend.value()->registry(),
                                    parley::catalog::defaultModelsDir(), sinceStart);
    if (remote) {
        session.setRemote(settings.remoteUrl());
        QObject::connect(remote.get(), &parley::gateway::RemoteChatService::connectedChanged,
                         &session,
                         [&session](bool connected) { session.setRemoteConnected(connected); });
        QObject::connect(
            remote.get(), &parley::gateway::RemoteChatService::connectionError, &session,
            [&session](const QString& error) { session.setRemoteConnected(false, error); });
    }

    QQmlApplicationEngine engine;
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.setInitialProperties({{QStringLiteral("session"), QVariant::fromValue(&session)}});
    engine.load(QUrl(QStringLiteral("qrc:/Parley/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    std::unique_ptr<parley::app::FrameLog> frameLog;
    if (auto* window = qobject_cast<QQuickWindow*>(engine.rootObjects().constFirst())) {
        if (const QString path = qEnvironmentVariable("PARLEY_FRAME_LOG"); !path.isEmpty())
            frameLog =
                std::make_unique<parley::app::FrameLog>(window, session.chat(), sinceStart, path);
        QObject::connect(
            window, &QQuickWindow::frameSwapped, &app,
            [&sinceStart] {
                qCInfo(lcApp) << "first frame" << sinceStart.elapsed() << "ms after start";
            },
            Qt::SingleShotConnection);
    }
    session.start();
    const int status = app.exec();
    if (frameLog)
        frameLog->write();
    session.threads()->commitDelete();
    return status;
}
