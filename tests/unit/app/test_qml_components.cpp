// Qt Quick Test runner for the components of the Parley QML module (qml/tst_*.qml).
#include <QQmlEngine>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(ParleyPlugin)
Q_IMPORT_QML_PLUGIN(Parley_CorePlugin)

class Setup : public QObject {
    Q_OBJECT
  public slots:
    // The modules are linked in statically: their qmldir files are resources.
    void qmlEngineAvailable(QQmlEngine* engine) { engine->addImportPath(QStringLiteral("qrc:/")); }
};

QUICK_TEST_MAIN_WITH_SETUP(app_components, Setup)
#include "test_qml_components.moc"
