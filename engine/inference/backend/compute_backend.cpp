#include "inference/backend/compute_backend.h"

#include "inference/backend/cpu_backend.h"
#include "inference/backend/cuda_backend.h"

namespace parley::backend {

std::optional<BackendChoice> parseBackendChoice(std::string_view text) {
    if (text == "cpu")
        return BackendChoice::Cpu;
    if (text == "cuda")
        return BackendChoice::Cuda;
    if (text == "auto")
        return BackendChoice::Auto;
    return std::nullopt;
}

const char* backendName(BackendKind kind) {
    return kind == BackendKind::Cuda ? "cuda" : "cpu";
}

Result<std::unique_ptr<ComputeBackend>> makeBackend(BackendChoice choice, const model::Model& model,
                                                    const BackendOptions& options,
                                                    std::string* fallbackReason) {
    if (choice == BackendChoice::Cpu)
        return std::unique_ptr<ComputeBackend>(new CpuBackend(model, options));
    auto cuda = [&]() -> Result<std::unique_ptr<ComputeBackend>> {
        if (options.cudaPluginPath.empty())
            return makeError("this build has no CUDA plug-in");
        auto plugin = CudaPlugin::load(options.cudaPluginPath);
        if (!plugin)
            return plugin.error();
        auto devices = (*plugin)->describeDevices();
        if (!devices)
            return devices.error();
        auto backend = CudaBackend::create(std::move(plugin.value()), model, options);
        if (!backend)
            return backend.error();
        return std::unique_ptr<ComputeBackend>(std::move(backend.value()));
    }();
    if (cuda || choice == BackendChoice::Cuda)
        return cuda;
    if (fallbackReason != nullptr)
        *fallbackReason = cuda.error().message;
    return std::unique_ptr<ComputeBackend>(new CpuBackend(model, options));
}

}  // namespace parley::backend
