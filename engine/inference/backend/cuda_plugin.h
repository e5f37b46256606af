// Loading the CUDA plug-in (libparley_cuda.so) with dlopen and checking its function table. The
// plug-in is never linked: a CPU-only process must not pay for the CUDA runtime and cuBLAS.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "inference/backend/cuda_plugin_abi.h"

namespace parley::backend {

class CudaPlugin {
  public:
    // Opens the library, finds parley_cuda_api and checks its ABI version. Does not touch any
    // device: that happens in the table's calls.
    static Result<std::shared_ptr<CudaPlugin>> load(const std::filesystem::path& library);
    ~CudaPlugin();
    CudaPlugin(const CudaPlugin&) = delete;
    CudaPlugin& operator=(const CudaPlugin&) = delete;

    const ParleyCudaApi& api() const { return *api_; }

    // The devices, or why none can be used; an error when no device is usable.
    Result<std::string> describeDevices() const;

    // Beside an executable in <prefix>/bin: <prefix>/lib/libparley_cuda.so.
    static std::filesystem::path besideExecutable(const std::filesystem::path& executable);

  private:
    CudaPlugin(void* handle, const ParleyCudaApi* api) : handle_(handle), api_(api) {}

    void* handle_;
    const ParleyCudaApi* api_;
};

}  // namespace parley::backend
