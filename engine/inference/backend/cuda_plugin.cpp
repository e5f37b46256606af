#include "inference/backend/cuda_plugin.h"

#include <dlfcn.h>

namespace parley::backend {

Result<std::shared_ptr<CudaPlugin>> CudaPlugin::load(const std::filesystem::path& library) {
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        return makeError("cannot load the CUDA plug-in " + library.string() + ": " +
                         (why != nullptr ? why : "unknown dlopen error"));
    }
    auto entry = reinterpret_cast<ParleyCudaApiEntry>(dlsym(handle, PARLEY_CUDA_API_SYMBOL));
    if (entry == nullptr) {
        dlclose(handle);
        return makeError("the CUDA plug-in " + library.string() + " has no " +
                         PARLEY_CUDA_API_SYMBOL + " entry point");
    }
    const ParleyCudaApi* api = entry();
    if (api == nullptr || api->abiVersion != PARLEY_CUDA_ABI_VERSION) {
        dlclose(handle);
        return makeError("the CUDA plug-in " + library.string() + " speaks ABI version " +
                         (api != nullptr ? std::to_string(api->abiVersion) : "none") +
                         ", this program " + std::to_string(PARLEY_CUDA_ABI_VERSION));
    }
    return std::shared_ptr<CudaPlugin>(new CudaPlugin(handle, api));
}

CudaPlugin::~CudaPlugin() {
    dlclose(handle_);
}

Result<std::string> CudaPlugin::describeDevices() const {
    char text[1024] = {};
    const int status = api_->describeDevices(text, sizeof text);
    if (status != PARLEY_CUDA_OK)
        return makeError(text);
    return std::string(text);
}

std::filesystem::path CudaPlugin::besideExecutable(const std::filesystem::path& executable) {
    return executable.parent_path().parent_path() / "lib" / "libparley_cuda.so";
}

}  // namespace parley::backend
