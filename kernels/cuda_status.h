// Turns CUDA and cuBLAS failures into error messages with context instead of aborting: every call
// of the plug-in's host code goes through these, and the first failure ends the operation.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace parley::cuda {

// Empty when the call succeeded; otherwise "<what>: <CUDA's message>".
struct DeviceError {
    std::string message;
    explicit operator bool() const { return !message.empty(); }
};

inline DeviceError check(cudaError_t status, const char* what) {
    if (status == cudaSuccess)
        return {};
    return {std::string(what) + ": " + cudaGetErrorName(status) + " (" +
            cudaGetErrorString(status) + ")"};
}

inline DeviceError check(cublasStatus_t status, const char* what) {
    if (status == CUBLAS_STATUS_SUCCESS)
        return {};
    return {std::string(what) + ": " + cublasGetStatusName(status) + " (" +
            cublasGetStatusString(status) + ")"};
}

// A kernel launch reports configuration errors only through the last-error slot.
inline DeviceError checkLaunch(const char* kernel) {
    return check(cudaGetLastError(), kernel);
}

}  // namespace parley::cuda

// Returns the error from the enclosing function (whose return type is DeviceError).
#define PARLEY_CUDA_TRY(call, what)                                                 \
    do {                                                                            \
        if (::parley::cuda::DeviceError e_ = ::parley::cuda::check((call), (what))) \
            return e_;                                                              \
    } while (0)

#define PARLEY_CUDA_TRY_LAUNCH(kernel)                                            \
    do {                                                                          \
        if (::parley::cuda::DeviceError e_ = ::parley::cuda::checkLaunch(kernel)) \
            return e_;                                                            \
    } while (0)
