#include <QGuiApplication>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QtQml/QQmlExtensionPlugin>

#include <cstdio>
#include <cstdlib>

Q_IMPORT_QML_PLUGIN(ParleyPlugin)

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

    QQmlApplicationEngine engine;
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Parley/Main.qml")));
    return app.exec();
}
