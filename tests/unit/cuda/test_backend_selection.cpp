// Backend selection on the real SmolLM2, on any machine: cpu always gives the CPU backend (and
// its logits are Model::forward's); auto gives CUDA exactly when the plug-in finds a usable
// device and otherwise the CPU with the plug-in's reason; cuda fails with that reason instead of
// falling back.
#include <QTest>

#include "cuda_test_support.h"
#include "inference/backend/compute_backend.h"
#include "inference/catalog/model_catalog.h"

using namespace parley;

class TestBackendSelection : public QObject {
    Q_OBJECT

    std::unique_ptr<model::Model> model_;
    backend::BackendOptions options_;

  private slots:
    void initTestCase() {
        auto m =
            model::Model::load(catalog::defaultModelsDir() / "SmolLM2-135M-Instruct.Q4_1.gguf");
        QVERIFY2(m, m ? "" : m.error().message.c_str());
        model_ = std::move(m.value());
        options_.kvBlocks = 8;
        options_.maxBatchTokens = 32;
        options_.cpuThreads = 2;
        options_.cudaPluginPath = cuda_test::pluginPath().string();
    }

    void parsesChoices() {
        QCOMPARE(backend::parseBackendChoice("cpu"), backend::BackendChoice::Cpu);
        QCOMPARE(backend::parseBackendChoice("cuda"), backend::BackendChoice::Cuda);
        QCOMPARE(backend::parseBackendChoice("auto"), backend::BackendChoice::Auto);
        QVERIFY(!backend::parseBackendChoice("gpu"));
    }

    void cpuIsModelForward() {
        auto b = backend::makeBackend(backend::BackendChoice::Cpu, *model_, options_);
        QVERIFY(b);
        QCOMPARE((*b)->kind(), backend::BackendKind::Cpu);
        const std::vector<int32_t> tokens = {1, 504, 3458, 282, 1032};
        const std::vector<int32_t> table = {3};
        model::ForwardOutput viaBackend, direct;
        const model::SequenceStep step{tokens, 0, table, model::LogitsWanted::Last};
        QVERIFY((*b)->forward({&step, 1}, viaBackend));

        auto kv = model_->makeKvPool(8);
        cpu::ThreadPool pool(2);
        model::ForwardWorkspace ws;
        QVERIFY(model_->forward({&step, 1}, kv, pool, ws, direct));
        QCOMPARE(viaBackend.logits.size(), std::size_t(model_->hparams().nVocab));
        QCOMPARE(viaBackend.logits, direct.logits);
    }

    void autoAndCudaFollowThePlugin() {
        std::string why;
        const bool device = cuda_test::usablePlugin(why) != nullptr;
        std::string reason;
        auto automatic =
            backend::makeBackend(backend::BackendChoice::Auto, *model_, options_, &reason);
        QVERIFY2(automatic, automatic ? "" : automatic.error().message.c_str());
        auto cuda = backend::makeBackend(backend::BackendChoice::Cuda, *model_, options_);
        if (device) {
            QCOMPARE((*automatic)->kind(), backend::BackendKind::Cuda);
            QVERIFY2(cuda, cuda ? "" : cuda.error().message.c_str());
            return;
        }
        QCOMPARE((*automatic)->kind(), backend::BackendKind::Cpu);
        QVERIFY2(reason.find("no usable device") != std::string::npos, reason.c_str());
        QVERIFY(!cuda);
        QVERIFY2(cuda.error().message.find("no usable device") != std::string::npos,
                 cuda.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestBackendSelection)
#include "test_backend_selection.moc"
