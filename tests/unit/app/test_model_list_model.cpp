// ModelListModel on the real models folder and the real ModelRegistry: the installed files with
// their metadata, the default model loaded off the UI thread with its progress, a bad file refused
// with the loader's error, default choice and unload; in remote mode a ChatService's models (here
// the in-process service of another back end) and nothing loaded locally.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <set>
#include <thread>
#include <vector>

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

        // Unloading runs off the UI thread too: the row says so until it is done.
        models.unload(smol);
        QVERIFY(models.busy());
        QVERIFY(role(models, smol, ModelListModel::LoadingRole).toBool());
        QCOMPARE(role(models, smol, ModelListModel::ProgressTextRole).toString(), "Unloading…");
        QTRY_VERIFY_WITH_TIMEOUT(!models.busy(), 10000);
        QVERIFY(!role(models, smol, ModelListModel::LoadedRole).toBool());
        QVERIFY(!role(models, smol, ModelListModel::LoadingRole).toBool());
        QCOMPARE(role(models, smol, ModelListModel::ProgressTextRole).toString(), QString());
        QCOMPARE(models.loadedModels(), QStringList{other});
        QVERIFY(models.errorText().isEmpty());
    }

    // The registry reports a load from the thread that runs it: the file first, then every
    // tensor's bytes read, in order, up to all of them.
    void theRegistryReportsLoadProgressFromTheLoadingThread() {
        serving::ModelRegistry registry;
        const auto path = catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf";
        std::vector<serving::LoadProgress> reports;
        std::set<std::thread::id> threads;
        std::thread::id loader;
        bool ok = false;
        std::thread loading([&] {
            loader = std::this_thread::get_id();
            ok = registry
                     .load(path, "smol",
                           [&](const serving::LoadProgress& progress) {
                               threads.insert(std::this_thread::get_id());
                               reports.push_back(progress);
                           })
                     .ok();
        });
        loading.join();
        QVERIFY(ok);
        QCOMPARE(threads.size(), size_t(1));
        QVERIFY(*threads.begin() == loader);
        QVERIFY(reports.size() > 100);  // one per tensor and more
        QCOMPARE(reports.front().stage, serving::LoadProgress::Stage::Mapping);
        const serving::LoadProgress& last = reports.back();
        QCOMPARE(last.stage, serving::LoadProgress::Stage::Reading);
        const auto& file = registry.find("smol")->loaded->model().file();
        QCOMPARE(last.tensorsTotal, static_cast<int>(file.tensors().size()));
        QCOMPARE(last.tensorsDone, last.tensorsTotal);
        QCOMPARE(last.bytesDone, last.bytesTotal);
        QVERIFY(last.bytesTotal > 50'000'000 && last.bytesTotal <= int64_t(file.fileSize()));
        for (size_t i = 2; i < reports.size(); ++i) {
            QCOMPARE(reports[i].stage, serving::LoadProgress::Stage::Reading);
            QCOMPARE(reports[i].tensorsDone, reports[i - 1].tensorsDone + 1);
            QVERIFY(reports[i].bytesDone >= reports[i - 1].bytesDone);
        }
    }

    // The model manager's row shows the load's progress, carried to the UI thread, and ends
    // loaded with no progress left; the UI thread is free meanwhile.
    void aLoadShowsItsProgressInTheRow() {
        auto registry = std::make_shared<serving::ModelRegistry>();
        app::AppSettings settings(dir_.filePath("p.ini"));
        ModelListModel models(registry, &settings, catalog::defaultModelsDir());
        QAbstractItemModelTester tester(&models,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        models.refresh();
        QTRY_VERIFY_WITH_TIMEOUT(models.rowCount() >= 2 && !models.busy(), 10000);
        const QString smol = QStringLiteral("SmolLM2-135M-Instruct.Q4_1");
        const int row = models.rowOf(smol);
        QVERIFY(row >= 0);

        std::vector<std::pair<double, QString>> seen;
        connect(&models, &QAbstractItemModel::dataChanged, this,
                [&](const QModelIndex& from, const QModelIndex& to) {
                    if (from.row() <= row && row <= to.row())
                        seen.emplace_back(
                            models.data(models.index(row), ModelListModel::ProgressRole).toDouble(),
                            models.data(models.index(row), ModelListModel::ProgressTextRole)
                                .toString());
                });
        QSignalSpy loaded(&models, &ModelListModel::modelLoaded);
        models.load(smol);
        QVERIFY(role(models, smol, ModelListModel::LoadingRole).toBool());
        QCOMPARE(role(models, smol, ModelListModel::ProgressRole).toDouble(), -1.0);
        QCOMPARE(role(models, smol, ModelListModel::ProgressTextRole).toString(),
                 "Opening the file…");
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);

        // Opening, then reading up to the whole file (the last report always arrives), then done.
        QVERIFY(seen.size() >= 3);
        QCOMPARE(seen.front().first, -1.0);
        const auto full =
            std::find_if(seen.begin(), seen.end(), [](const auto& s) { return s.first == 1.0; });
        QVERIFY(full != seen.end());
        QVERIFY2(
            full->second.startsWith("Reading the weights: ") && full->second.contains(" tensors, "),
            qPrintable(full->second));
        double before = -1;
        for (auto it = seen.begin(); it != seen.end() - 1; ++it) {
            QVERIFY(it->first >= before);
            before = it->first;
        }
        QCOMPARE(seen.back().second, QString());
        QVERIFY(role(models, smol, ModelListModel::LoadedRole).toBool());
        QCOMPARE(role(models, smol, ModelListModel::ProgressTextRole).toString(), QString());
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
