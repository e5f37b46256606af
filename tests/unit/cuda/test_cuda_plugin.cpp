// Runs on every machine: the plug-in loads with dlopen, its one entry point resolves to a table of
// the host's ABI version with every entry filled, and without a usable device each call that
// needs one fails with a clear "no usable device" error instead of crashing or aborting.
#include <QTest>

#include "cuda_test_support.h"

using namespace parley;

class TestCudaPlugin : public QObject {
    Q_OBJECT

  private slots:
    void loadsAndResolvesItsEntryPoints() {
        auto plugin = backend::CudaPlugin::load(cuda_test::pluginPath());
        QVERIFY2(plugin, plugin ? "" : plugin.error().message.c_str());
        const ParleyCudaApi& api = (*plugin)->api();
        QCOMPARE(api.abiVersion, uint32_t(PARLEY_CUDA_ABI_VERSION));
        QVERIFY(api.describeDevices && api.createModel && api.destroyModel && api.forward &&
                api.forwardSample && api.copyKvBlock && api.matmul && api.rmsNorm && api.rope &&
                api.gatedActivation && api.attention && api.sample && api.timeMatmul);
    }

    void withoutDeviceEveryCallSaysSo() {
        auto plugin = backend::CudaPlugin::load(cuda_test::pluginPath());
        QVERIFY(plugin);
        const ParleyCudaApi& api = (*plugin)->api();
        auto devices = (*plugin)->describeDevices();
        if (devices) {
            // A machine with a GPU: the description names it and its architecture.
            QVERIFY2(devices->find("sm_") != std::string::npos, devices->c_str());
            return;
        }
        QVERIFY2(devices.error().message.rfind("no usable device", 0) == 0,
                 devices.error().message.c_str());

        char error[512] = {};
        ParleyCudaModelDesc desc{};
        ParleyCudaModel* model = nullptr;
        QCOMPARE(api.createModel(&desc, &model, error, sizeof error), int(PARLEY_CUDA_NO_DEVICE));
        QVERIFY(model == nullptr);
        QVERIFY2(QByteArray(error).startsWith("no usable device"), error);

        const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        float y[1] = {};
        const ParleyCudaWeight w{1 /* F16 */, x, 8, 1, 16};
        error[0] = '\0';
        QCOMPARE(api.matmul(&w, x, 1, y, error, sizeof error), int(PARLEY_CUDA_NO_DEVICE));
        QVERIFY2(QByteArray(error).startsWith("no usable device"), error);
    }

    void refusesWhatIsNotThePlugin() {
        auto missing = backend::CudaPlugin::load("/nonexistent/libparley_cuda.so");
        QVERIFY(!missing);
        QVERIFY(missing.error().message.find("cannot load the CUDA plug-in") != std::string::npos);
        // A real shared library without the entry point.
        auto other = backend::CudaPlugin::load("libm.so.6");
        QVERIFY(!other);
        QVERIFY2(other.error().message.find("parley_cuda_api") != std::string::npos,
                 other.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCudaPlugin)
#include "test_cuda_plugin.moc"
