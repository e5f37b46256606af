// Shared by the CUDA tests: the plug-in beside the test binaries, and a main() that reports the
// whole program as skipped (exit code 77, SKIP_RETURN_CODE in CMakeLists.txt) with the reason when
// no device can run the kernels, so ctest shows "Skipped" instead of a pass.
#pragma once

#include <QTest>

#include <cstdio>
#include <memory>
#include <string>

#include "inference/backend/cuda_plugin.h"

namespace parley::cuda_test {

constexpr int kSkipExitCode = 77;

// Beside the running test, as for parley-cli: build/bin -> build/lib, and the same inside the
// device pack (tests/bench/cuda/pack_for_device.sh) wherever it is unpacked.
inline std::filesystem::path pluginPath() {
    std::error_code ec;
    return backend::CudaPlugin::besideExecutable(
        std::filesystem::read_symlink("/proc/self/exe", ec));
}

// The loaded plug-in, or null with the reason the tests cannot run.
inline std::shared_ptr<backend::CudaPlugin> usablePlugin(std::string& why) {
    auto plugin = backend::CudaPlugin::load(pluginPath());
    if (!plugin) {
        why = plugin.error().message;
        return nullptr;
    }
    auto devices = (*plugin)->describeDevices();
    if (!devices) {
        why = devices.error().message;
        return nullptr;
    }
    return plugin.value();
}

}  // namespace parley::cuda_test

// Each test case also QSKIPs on its own (plugin_ null), so running one case by name cannot pass
// without a device either.
#define PARLEY_CUDA_TEST_MAIN(TestClass)                    \
    int main(int argc, char** argv) {                       \
        std::string why;                                    \
        auto plugin = parley::cuda_test::usablePlugin(why); \
        if (!plugin) {                                      \
            std::printf("SKIP: %s\n", why.c_str());         \
            return parley::cuda_test::kSkipExitCode;        \
        }                                                   \
        TestClass test(plugin);                             \
        return QTest::qExec(&test, argc, argv);             \
    }
