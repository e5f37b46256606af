// ModelListModel on the real models folder and the real ModelRegistry: the installed files with
// their metadata, the default model loaded off the UI thread, a bad file refused with the
// loader's error, default choice and unload; in remote mode a ChatService's models (here the
// in-process service of another back end) and nothing loaded locally.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "app_settings.h"
#include "inference/catalog/model_catalog.h"
#include "local_backend.h"
#include "model_list_model.h"

using namespace parley;
using app::ModelListModel;

class TestModelListModel : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QVariant role(const ModelListModel& model, const QString& id, int role) {
        return model.data(model.index(model.rowOf(id)), role);
    }

  private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        if (!std::filesystem::exists(catalog::defaultModelsDir() /
                                     "SmolLM2-135M-Instruct.Q4_1.gguf"))
            QFAIL("the default models are not installed: run packaging/setup.sh");
    }

    void listsLoadsAndSwitchesTheDefault() {
        auto registry = std::make_shared<serving::ModelRegistry>();
        app::AppSettings settings(dir_.filePath("a.ini"));
        ModelListModel models(registry, &settings, catalog::defaultModelsDir());
        QAbstractItemModelTester tester(&models,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&models, &ModelListModel::modelLoaded);

        models.loadDefault();
        QVERIFY(models.busy());
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        const QString smol = QStringLiteral("SmolLM2-135M-Instruct.Q4_1");
        QCOMPARE(loaded.first().first().toString(), smol);
        QVERIFY(models.rowCount() >= 2);
        QCOMPARE(role(models, smol, ModelListModel::ArchitectureRole).toString(), "llama");
        QVERIFY(role(models, smol, ModelListModel::FileSizeRole).toDouble() > 50e6);
        QVERIFY(role(models, smol, ModelListModel::TensorCountRole).toDouble() > 100);
        QVERIFY(role(models, smol, ModelListModel::LoadedRole).toBool());
        QVERIFY(role(models, smol, ModelListModel::IsDefaultRole).toBool());
        QCOMPARE(models.loadedModels(), QStringList{smol});
        QTRY_VERIFY(!models.busy());

        // Another chat model, made the default: loaded, then answering for "auto".
        QString other;
        for (int row = 0; row < models.rowCount(); ++row) {
            const QString id =
                models.data(models.index(row), ModelListModel::ModelIdRole).toString();
            if (id != smol &&
                models.data(models.index(row), ModelListModel::ArchitectureRole) != "bert")
                other = id;
        }
        QVERIFY2(!other.isEmpty(),
                 "a second chat model (Gemma 3) is expected in the models folder");
        models.setDefault(other);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
        QCOMPARE(settings.defaultModel(), other);
        QCOMPARE(QString::fromStdString(registry->defaultId()), other);
        QVERIFY(role(models, other, ModelListModel::IsDefaultRole).toBool());
        QVERIFY(!role(models, smol, ModelListModel::IsDefaultRole).toBool());

        models.unload(smol);
        QVERIFY(!role(models, smol, ModelListModel::LoadedRole).toBool());
        QCOMPARE(models.loadedModels(), QStringList{other});
        QVERIFY(models.errorText().isEmpty());
    }

    void aBadFileShowsTheLoadersError() {
        auto registry = std::make_shared<serving::ModelRegistry>();
        app::AppSettings settings(dir_.filePath("b.ini"));
        ModelListModel models(registry, &settings, dir_.filePath("empty-models").toStdString());
        const QString bad = dir_.filePath("broken.gguf");
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray("GGUF\x03\0\0\0\xff\xff\xff\xff\xff\xff\xff\x7f\0\0\0\0\0\0\0\0",
                              24));  // absurd tensor count
        file.close();
        QSignalSpy errors(&models, &ModelListModel::errorTextChanged);
        models.addFile(QUrl::fromLocalFile(bad));
        QTRY_VERIFY_WITH_TIMEOUT(!models.errorText().isEmpty(), 10000);
        QVERIFY2(models.errorText().startsWith("broken could not be loaded: "),
                 qPrintable(models.errorText()));
        QVERIFY(models.errorText().size() > QStringLiteral("broken could not be loaded: ").size());
        QVERIFY(models.loadedModels().isEmpty());
        QVERIFY(settings.extraModelPaths().isEmpty());
    }

    void anAddedFileIsLoadedAndRemembered() {
        auto registry = std::make_shared<serving::ModelRegistry>();
        app::AppSettings settings(dir_.filePath("c.ini"));
        ModelListModel models(registry, &settings, dir_.filePath("empty-models").toStdString());
        QAbstractItemModelTester tester(&models,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString path = QString::fromStdString(
            (catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf").string());
        QSignalSpy loaded(&models, &ModelListModel::modelLoaded);
        models.addFile(QUrl::fromLocalFile(path));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(settings.extraModelPaths(), QStringList{path});
        QTRY_COMPARE(models.rowCount(), 1);
        QCOMPARE(models.data(models.index(0), ModelListModel::LoadedRole).toBool(), true);
    }

    void remoteModeListsTheServicesModels() {
        auto other = app::LocalBackend::open(dir_.filePath("service-data"));
        QVERIFY2(other.ok(), other ? "" : other.error().message.c_str());
        const QString smol = QStringLiteral("SmolLM2-135M-Instruct.Q4_1");
        QVERIFY((*other)->registry()->load(
            catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf", smol.toStdString()));

        auto localRegistry = std::make_shared<serving::ModelRegistry>();
        app::AppSettings settings(dir_.filePath("d.ini"));
        ModelListModel models(localRegistry, &settings, catalog::defaultModelsDir());
        QAbstractItemModelTester tester(&models,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        models.showServiceModels(&(*other)->service());
        QVERIFY(models.remote());
        models.loadDefault();
        QTRY_COMPARE_WITH_TIMEOUT(models.rowCount(), 1, 10000);  // not the folder's 2+ files
        QCOMPARE(models.loadedModels(), QStringList{smol});
        QCOMPARE(models.defaultModel(), smol);
        QCOMPARE(models.data(models.index(0), ModelListModel::ModelIdRole).toString(), smol);
        QVERIFY(models.data(models.index(0), ModelListModel::LoadedRole).toBool());
        QVERIFY(models.data(models.index(0), ModelListModel::IsDefaultRole).toBool());
        QTRY_VERIFY(!models.busy());

        models.load(smol);
        QVERIFY(models.errorText().contains(QStringLiteral("remote server")));
        QVERIFY(!models.busy());
        QVERIFY(localRegistry->models().empty());  // nothing loaded on this side
    }
};

QTEST_GUILESS_MAIN(TestModelListModel)
#include "test_model_list_model.moc"
