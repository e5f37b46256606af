#include "cuda_devices.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

extern "C" int parley_cuda_device_count() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess)
        return 0;
    return count;
}

extern "C" void parley_cuda_describe_devices(char* buf, int size) {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    std::string out;
    if (err != cudaSuccess) {
        out = std::string("no usable device (") + cudaGetErrorString(err) + ")";
    } else {
        out = std::to_string(count) + " device(s)";
        for (int i = 0; i < count; ++i) {
            cudaDeviceProp prop{};
            if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
                continue;
            out += "; " + std::to_string(i) + ": " + prop.name + " sm_" +
                   std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
                   std::to_string(prop.totalGlobalMem / (1024 * 1024)) + " MiB";
        }
        cublasHandle_t handle = nullptr;
        if (count > 0 && cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS) {
            int version = 0;
            cublasGetVersion(handle, &version);
            cublasDestroy(handle);
            out += "; cuBLAS " + std::to_string(version);
        }
    }
    std::snprintf(buf, size, "%s", out.c_str());
}
