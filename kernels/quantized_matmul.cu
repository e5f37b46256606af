// Matrix products with quantised weights: a dequantising GEMV for decode batches (1-64 rows), and
// for prefill f16 tiles of the weights multiplied by cuBLAS.
#include <algorithm>

#include "device_kernels.h"
#include "quant_chunks.cuh"

namespace parley::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

// Each warp computes kRows consecutive weight rows; lanes stride over the rows' 8-element chunks.
// A pass covers up to kTokens rows of x: the decoded weights in registers are reused kTokens
// times, and each x chunk loaded is reused for the kRows weight rows.
template <WeightType T, int kTokens, int kRows>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    gemvKernel(const uint8_t* __restrict__ w, int64_t rowBytes, int64_t rows, int64_t cols,
               const float* __restrict__ x, int32_t nTokens, float* __restrict__ y) {
    using F = Format<T>;
    constexpr int kChunksPerBlock = F::kElements / 8;
    const int lane = threadIdx.x % 32;
    // Token groups vary fastest along the (1-D) grid: the blocks reading the same weight rows for
    // different tokens run side by side, so the rows come from HBM once and from L2 after.
    const int32_t tokenGroups = (nTokens + kTokens - 1) / kTokens;
    const int64_t rowBlock = blockIdx.x / tokenGroups;
    const int64_t row0 = (rowBlock * kWarpsPerBlock + threadIdx.x / 32) * kRows;
    const int32_t t0 = int32_t(blockIdx.x % tokenGroups) * kTokens;
    if (row0 >= rows)
        return;
    const int64_t nChunks = cols / 8;
    float acc[kRows][kTokens];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
#pragma unroll
        for (int t = 0; t < kTokens; ++t)
            acc[r][t] = 0.0f;
    }
    for (int64_t c = lane; c < nChunks; c += 32) {
        float wv[kRows][8];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            // Rows past the end repeat the last row; their sums are never stored.
            const int64_t row = min(row0 + r, rows - 1);
            F::chunk(w + row * rowBytes + (c / kChunksPerBlock) * F::kBytes,
                     int(c % kChunksPerBlock), wv[r]);
        }
#pragma unroll
        for (int t = 0; t < kTokens; ++t) {
            if (t0 + t >= nTokens)
                break;
            const float4* xp = reinterpret_cast<const float4*>(x + int64_t(t0 + t) * cols + 8 * c);
            const float4 a = xp[0], b = xp[1];
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                acc[r][t] += wv[r][0] * a.x + wv[r][1] * a.y + wv[r][2] * a.z + wv[r][3] * a.w +
                             wv[r][4] * b.x + wv[r][5] * b.y + wv[r][6] * b.z + wv[r][7] * b.w;
            }
        }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
#pragma unroll
        for (int t = 0; t < kTokens; ++t) {
            float v = acc[r][t];
#pragma unroll
            for (int offset = 16; offset > 0; offset /= 2)
                v += __shfl_xor_sync(0xffffffffu, v, offset);
            if (lane == 0 && t0 + t < nTokens && row0 + r < rows)
                y[int64_t(t0 + t) * rows + row0 + r] = v;
        }
    }
}

template <WeightType T>
__global__ void dequantizeKernel(const uint8_t* __restrict__ w, int64_t rowBytes, int64_t cols,
                                 int64_t firstRow, int64_t nRows, __half* __restrict__ out) {
    using F = Format<T>;
    constexpr int kChunksPerBlock = F::kElements / 8;
    const int64_t nChunks = cols / 8;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= nRows * nChunks)
        return;
    const int64_t r = i / nChunks, c = i % nChunks;
    float v[8];
    F::chunk(w + (firstRow + r) * rowBytes + (c / kChunksPerBlock) * F::kBytes,
             int(c % kChunksPerBlock), v);
    __half2 h[4];
#pragma unroll
    for (int j = 0; j < 4; ++j)
        h[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
    *reinterpret_cast<uint4*>(out + r * cols + 8 * c) = *reinterpret_cast<const uint4*>(h);
}

__global__ void toHalfKernel(const float* __restrict__ x, int64_t n, __half* __restrict__ out) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = __float2half_rn(x[i]);
}

}  // namespace

bool weightTypeSupported(uint32_t type, int64_t cols) {
    bool known = false;
    int elements = 0;
    dispatchWeightType(type, [&](auto tag) {
        constexpr WeightType T = decltype(tag)::value;
        known = true;
        elements = Format<T>::kElements;
    });
    return known && cols > 0 && cols % elements == 0;
}

DeviceError gemv(const DeviceWeight& w, const float* x, int32_t nTokens, float* y,
                 cudaStream_t stream) {
    if (!weightTypeSupported(w.type, w.cols) || nTokens < 1 || nTokens > 64)
        return {"gemv: unsupported weight type " + std::to_string(w.type) + " or batch of " +
                std::to_string(nTokens)};
    const dim3 block(kWarpsPerBlock * 32);
    // One row per warp for a single token keeps every SM busy on small matrices; batches take
    // four rows per warp so each x chunk read serves four weight rows.
    constexpr int kBatchRows = 4;
    const unsigned singleBlocks = unsigned((w.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
    const int64_t rowsPerBlock = int64_t(kWarpsPerBlock) * kBatchRows;
    const unsigned batchBlocks = unsigned((w.rows + rowsPerBlock - 1) / rowsPerBlock);
    dispatchWeightType(w.type, [&](auto tag) {
        constexpr WeightType T = decltype(tag)::value;
        if (nTokens == 1) {
            gemvKernel<T, 1, 1><<<singleBlocks, block, 0, stream>>>(w.data, w.rowBytes, w.rows,
                                                                    w.cols, x, nTokens, y);
        } else {
            gemvKernel<T, 8, kBatchRows>
                <<<batchBlocks* unsigned((nTokens + 7) / 8), block, 0, stream>>>(
                    w.data, w.rowBytes, w.rows, w.cols, x, nTokens, y);
        }
    });
    return checkLaunch("gemv kernel");
}

DeviceError dequantizeToHalf(const DeviceWeight& w, int64_t firstRow, int64_t nRows, __half* out,
                             cudaStream_t stream) {
    if (!weightTypeSupported(w.type, w.cols))
        return {"dequantize: unsupported weight type " + std::to_string(w.type)};
    const int64_t chunks = nRows * (w.cols / 8);
    const unsigned blocks = unsigned((chunks + 255) / 256);
    dispatchWeightType(w.type, [&](auto tag) {
        constexpr WeightType T = decltype(tag)::value;
        dequantizeKernel<T>
            <<<blocks, 256, 0, stream>>>(w.data, w.rowBytes, w.cols, firstRow, nRows, out);
    });
    return checkLaunch("dequantize kernel");
}

DeviceError gemmPrefill(const DeviceWeight& w, const float* x, int32_t nTokens, float* y,
                        __half* xHalf, __half* tile, int64_t tileHalves, cublasHandle_t cublas,
                        cudaStream_t stream) {
    const int64_t n = int64_t(nTokens) * w.cols;
    toHalfKernel<<<unsigned((n + 255) / 256), 256, 0, stream>>>(x, n, xHalf);
    PARLEY_CUDA_TRY_LAUNCH("activations to f16");
    PARLEY_CUDA_TRY(cublasSetStream(cublas, stream), "cublasSetStream");
    const int64_t tileRows = std::min<int64_t>(w.rows, tileHalves / w.cols);
    if (tileRows < 1)
        return {"prefill GEMM: f16 tile smaller than one weight row"};
    const float one = 1.0f, zero = 0.0f;
    for (int64_t r0 = 0; r0 < w.rows; r0 += tileRows) {
        const int64_t nr = std::min(tileRows, w.rows - r0);
        if (DeviceError e = dequantizeToHalf(w, r0, nr, tile, stream))
            return e;
        // Column-major view: Y^T (rows x tokens, ld = w.rows) = W_tile (nr x cols) * X^T.
        PARLEY_CUDA_TRY(
            cublasGemmEx(cublas, CUBLAS_OP_T, CUBLAS_OP_N, int(nr), nTokens, int(w.cols), &one,
                         tile, CUDA_R_16F, int(w.cols), xHalf, CUDA_R_16F, int(w.cols), &zero,
                         y + r0, CUDA_R_32F, int(w.rows), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmEx (prefill)");
    }
    return {};
}

DeviceError matmul(const DeviceWeight& w, const float* x, int32_t nTokens, float* y, __half* xHalf,
                   __half* tile, int64_t tileHalves, cublasHandle_t cublas, cudaStream_t stream) {
    if (nTokens <= 64)
        return gemv(w, x, nTokens, y, stream);
    return gemmPrefill(w, x, nTokens, y, xHalf, tile, tileHalves, cublas, stream);
}

}  // namespace parley::cuda
