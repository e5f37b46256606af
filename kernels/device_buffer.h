// Owned device memory (plain cudaMalloc: the backend never uses managed memory, whose page
// migration would put host faults into the decode step).
#pragma once

#include <cstddef>
#include <utility>

#include "cuda_status.h"

namespace parley::cuda {

class DeviceBuffer {
  public:
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
        std::swap(ptr_, other.ptr_);
        std::swap(bytes_, other.bytes_);
        return *this;
    }
    ~DeviceBuffer() {
        if (ptr_ != nullptr)
            cudaFree(ptr_);
    }

    // Keeps the current allocation when it is large enough.
    DeviceError reserve(std::size_t bytes, const char* what) {
        if (bytes <= bytes_)
            return {};
        if (ptr_ != nullptr)
            cudaFree(ptr_);
        ptr_ = nullptr;
        bytes_ = 0;
        PARLEY_CUDA_TRY(cudaMalloc(&ptr_, bytes), what);
        bytes_ = bytes;
        return {};
    }

    DeviceError upload(const void* host, std::size_t bytes, const char* what) {
        if (DeviceError e = reserve(bytes, what))
            return e;
        return check(cudaMemcpy(ptr_, host, bytes, cudaMemcpyHostToDevice), what);
    }

    template <typename T>
    T* as() const {
        return static_cast<T*>(ptr_);
    }
    std::size_t bytes() const { return bytes_; }

  private:
    void* ptr_ = nullptr;
    std::size_t bytes_ = 0;
};

}  // namespace parley::cuda
