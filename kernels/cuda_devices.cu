#include "cuda_devices.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace parley::cuda {

int deviceCount() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess)
        return 0;
    return count;
}

std::string describeDevices() {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        return std::string("no usable device (") + cudaGetErrorString(err) + ")";
    }
    std::string out = std::to_string(count) + " device(s)";
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
            continue;
        out += "; " + std::to_string(i) + ": " + prop.name + " sm_" + std::to_string(prop.major) +
               std::to_string(prop.minor) + ", " +
               std::to_string(prop.totalGlobalMem / (1024 * 1024)) + " MiB";
    }
    int cublasVersion = 0;
    cublasHandle_t handle = nullptr;
    if (count > 0 && cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS) {
        cublasGetVersion(handle, &cublasVersion);
        cublasDestroy(handle);
        out += "; cuBLAS " + std::to_string(cublasVersion);
    }
    return out;
}

}  // namespace parley::cuda
