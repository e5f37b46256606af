// The forward pass's element-wise and row kernels: RMSNorm (with the residual add fused in),
// RoPE in both pairings, SwiGLU/GeGLU, bias and residual adds, embedding look-up, KV stores.
#include "device_kernels.h"
#include "quant_chunks.cuh"

namespace parley::cuda {
namespace {

constexpr int kRowThreads = 256;

__device__ float blockSum(float v, float* shared) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    v = lane < int(blockDim.x / 32) ? shared[lane] : 0.0f;
    if (warp == 0) {
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2)
            v += __shfl_xor_sync(0xffffffffu, v, offset);
        if (lane == 0)
            shared[0] = v;
    }
    __syncthreads();
    const float total = shared[0];
    __syncthreads();  // shared[] may be reused by the caller's next reduction
    return total;
}

__global__ void rmsNormKernel(float* x, const float* __restrict__ residual,
                              const float* __restrict__ w, int32_t n, float eps, float* out) {
    __shared__ float shared[32];
    float* xr = x + int64_t(blockIdx.x) * n;
    float* outRow = out + int64_t(blockIdx.x) * n;
    float sum = 0.0f;
    for (int32_t i = threadIdx.x; i < n; i += blockDim.x) {
        float v = xr[i];
        if (residual != nullptr) {
            v += residual[int64_t(blockIdx.x) * n + i];
            xr[i] = v;
        }
        sum += v * v;
    }
    const float inv = rsqrtf(blockSum(sum, shared) / float(n) + eps);
    for (int32_t i = threadIdx.x; i < n; i += blockDim.x)
        outRow[i] = xr[i] * inv * w[i];
}

// One thread per rotated pair of one head of one token. The angle is position * thetaScale^i in
// double, then rounded: the CPU's running product in float differs from it only in the last bits.
__global__ void ropeKernel(float* x, int32_t nTokens, int32_t rowStride, int32_t nHeads,
                           int32_t headDim, int32_t nRot, const int32_t* __restrict__ positions,
                           float thetaScale, int32_t style) {
    const int32_t half = nRot / 2;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= int64_t(nTokens) * nHeads * half)
        return;
    const int32_t pair = int32_t(i % half);
    const int32_t head = int32_t((i / half) % nHeads);
    const int32_t token = int32_t(i / (int64_t(half) * nHeads));
    const int32_t position = positions[token];
    if (position < 0)
        return;
    const float theta = float(double(position) * pow(double(thetaScale), double(pair)));
    float s, c;
    sincosf(theta, &s, &c);
    float* v = x + int64_t(token) * rowStride + int64_t(head) * headDim;
    const int32_t a = style == 0 ? 2 * pair : pair;
    const int32_t b = style == 0 ? 2 * pair + 1 : pair + half;
    const float x0 = v[a], x1 = v[b];
    v[a] = fmaf(x0, c, -(x1 * s));
    v[b] = fmaf(x0, s, x1 * c);
}

__global__ void gatedActivationKernel(float* gate, const float* __restrict__ up, int64_t n,
                                      int32_t activation) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const float z = gate[i];
    float g;
    if (activation == 0) {
        g = z / (1.0f + __expf(-z));
    } else {
        // The CPU (like ggml) evaluates GELU on the f16-rounded input and rounds the result.
        const float zh = __half2float(__float2half_rn(z));
        const float inner = fmaf(0.044715f * zh, zh, 1.0f);
        const float exact = 0.5f * zh * (1.0f + tanhf(0.7978845608028654f * zh * inner));
        g = z <= -10.0f ? 0.0f : z >= 10.0f ? z : __half2float(__float2half_rn(exact));
    }
    gate[i] = g * up[i];
}

__global__ void addRowsKernel(float* y, const float* __restrict__ x, int64_t total, int32_t n,
                              bool broadcast) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < total)
        y[i] += x[broadcast ? i % n : i];
}

__global__ void scaleKernel(float* y, float s, int64_t n) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n)
        y[i] *= s;
}

template <WeightType T>
__global__ void embedKernel(const uint8_t* __restrict__ table, int64_t rowBytes, int64_t cols,
                            const int32_t* __restrict__ tokens, float* x) {
    using F = Format<T>;
    constexpr int kChunksPerBlock = F::kElements / 8;
    const uint8_t* row = table + int64_t(tokens[blockIdx.x]) * rowBytes;
    float* out = x + int64_t(blockIdx.x) * cols;
    for (int64_t c = threadIdx.x; c < cols / 8; c += blockDim.x) {
        float v[8];
        F::chunk(row + (c / kChunksPerBlock) * F::kBytes, int(c % kChunksPerBlock), v);
#pragma unroll
        for (int j = 0; j < 8; ++j)
            out[8 * c + j] = v[j];
    }
}

__global__ void storeKvKernel(const float* __restrict__ k, const float* __restrict__ v,
                              const int32_t* __restrict__ positions,
                              const int32_t* __restrict__ tableOffsets,
                              const int32_t* __restrict__ blockTables, __half* keys, __half* values,
                              int32_t blockSize, int32_t kvDim) {
    const int32_t row = blockIdx.x;
    const int32_t position = positions[row];
    if (position < 0)
        return;
    const int32_t block = blockTables[tableOffsets[row] + position / blockSize];
    const int64_t slot = (int64_t(block) * blockSize + position % blockSize) * kvDim;
    for (int32_t i = threadIdx.x; i < kvDim; i += blockDim.x) {
        keys[slot + i] = __float2half_rn(k[int64_t(row) * kvDim + i]);
        values[slot + i] = __float2half_rn(v[int64_t(row) * kvDim + i]);
    }
}

__global__ void gatherRowsKernel(const float* __restrict__ x, const int32_t* __restrict__ rows,
                                 int32_t n, float* __restrict__ out) {
    const float* src = x + int64_t(rows[blockIdx.x]) * n;
    for (int32_t i = threadIdx.x; i < n; i += blockDim.x)
        out[int64_t(blockIdx.x) * n + i] = src[i];
}

unsigned blocksFor(int64_t n, int threads) {
    return unsigned((n + threads - 1) / threads);
}

}  // namespace

DeviceError rmsNorm(float* x, const float* residual, const float* w, int32_t rows, int32_t n,
                    float eps, float* out, cudaStream_t stream) {
    rmsNormKernel<<<rows, kRowThreads, 0, stream>>>(x, residual, w, n, eps, out);
    return checkLaunch("rmsNorm kernel");
}

DeviceError rope(float* x, int32_t nTokens, int32_t rowStride, int32_t nHeads, int32_t headDim,
                 int32_t nRot, const int32_t* positions, float thetaScale, int32_t style,
                 cudaStream_t stream) {
    const int64_t n = int64_t(nTokens) * nHeads * (nRot / 2);
    ropeKernel<<<blocksFor(n, 256), 256, 0, stream>>>(x, nTokens, rowStride, nHeads, headDim, nRot,
                                                      positions, thetaScale, style);
    return checkLaunch("rope kernel");
}

DeviceError gatedActivation(float* gate, const float* up, int64_t n, int32_t activation,
                            cudaStream_t stream) {
    gatedActivationKernel<<<blocksFor(n, 256), 256, 0, stream>>>(gate, up, n, activation);
    return checkLaunch("gated activation kernel");
}

DeviceError addRows(float* y, const float* x, int32_t rows, int32_t n, bool broadcast,
                    cudaStream_t stream) {
    const int64_t total = int64_t(rows) * n;
    addRowsKernel<<<blocksFor(total, 256), 256, 0, stream>>>(y, x, total, n, broadcast);
    return checkLaunch("add kernel");
}

DeviceError scale(float* y, float s, int64_t n, cudaStream_t stream) {
    scaleKernel<<<blocksFor(n, 256), 256, 0, stream>>>(y, s, n);
    return checkLaunch("scale kernel");
}

DeviceError embed(const DeviceWeight& table, const int32_t* tokens, int32_t nTokens, float* x,
                  cudaStream_t stream) {
    if (!weightTypeSupported(table.type, table.cols))
        return {"embedding: unsupported type " + std::to_string(table.type)};
    dispatchWeightType(table.type, [&](auto tag) {
        constexpr WeightType T = decltype(tag)::value;
        embedKernel<T>
            <<<nTokens, 128, 0, stream>>>(table.data, table.rowBytes, table.cols, tokens, x);
    });
    return checkLaunch("embedding kernel");
}

DeviceError storeKv(const float* k, const float* v, const BatchRows& rows, PagedKv kv,
                    cudaStream_t stream) {
    storeKvKernel<<<rows.nRows, 128, 0, stream>>>(k, v, rows.positions, rows.tableOffsets,
                                                  rows.blockTables, kv.keys, kv.values,
                                                  kv.blockSize, kv.kvDim);
    return checkLaunch("KV store kernel");
}

DeviceError gatherRows(const float* x, const int32_t* rows, int32_t nRows, int32_t n, float* out,
                       cudaStream_t stream) {
    gatherRowsKernel<<<nRows, 256, 0, stream>>>(x, rows, n, out);
    return checkLaunch("gather kernel");
}

}  // namespace parley::cuda
