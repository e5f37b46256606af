// Causal (optionally sliding-window) attention over the paged KV pool, two ways:
// - decode: split over the context (split-K / flash-decoding); each (row, head, split) block
//   scores up to kAttentionChunk positions and keeps a partial softmax (max, sum, weighted
//   values), and a second kernel merges a row's partials;
// - prefill: tiles of 16 consecutive rows of one sequence share each K/V tile read into shared
//   memory, with an online softmax (flash-style).
#include <cfloat>

#include "device_kernels.h"

namespace parley::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kMaxHeadDim = 256;

__device__ float blockMax(float v, float* shared) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    float m = shared[0];
    for (int w = 1; w < kThreads / 32; ++w)
        m = fmaxf(m, shared[w]);
    __syncthreads();
    return m;
}

__device__ float blockSum(float v, float* shared) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    float s = 0.0f;
    for (int w = 0; w < kThreads / 32; ++w)
        s += shared[w];
    __syncthreads();
    return s;
}

__global__ void __launch_bounds__(kThreads)
    attentionPartialKernel(const float* __restrict__ q, const int32_t* __restrict__ positions,
                           const int32_t* __restrict__ tableOffsets,
                           const int32_t* __restrict__ blockTables, const __half* __restrict__ keys,
                           const __half* __restrict__ values, int32_t blockSize, int32_t kvDim,
                           AttentionParams p, int32_t maxSplits, float* __restrict__ partials) {
    __shared__ float qs[kMaxHeadDim];
    __shared__ float scores[kAttentionChunk];
    __shared__ float reduce[kThreads / 32];
    const int32_t row = blockIdx.x / p.nHead, head = blockIdx.x % p.nHead;
    const int32_t kvHead = head / (p.nHead / p.nHeadKv);
    const int32_t split = blockIdx.y;
    const int32_t hd = p.headDim;
    float* partial = partials + ((int64_t(row) * p.nHead + head) * maxSplits + split) * (hd + 2);

    const int32_t position = positions[row];
    const int32_t lo = p.window > 0 ? max(0, position - p.window + 1) : 0;
    const int32_t begin = lo + split * kAttentionChunk;
    const int32_t end = min(begin + kAttentionChunk, position + 1);
    if (position < 0 || begin >= end) {
        for (int32_t d = threadIdx.x; d < hd + 2; d += kThreads)
            partial[d] = d == 0 ? -FLT_MAX : 0.0f;
        return;
    }

    // q scaled and rounded to f16 as the CPU stores it before the products.
    const float* qRow = q + int64_t(row) * p.nHead * hd + int64_t(head) * hd;
    for (int32_t d = threadIdx.x; d < hd; d += kThreads)
        qs[d] = __half2float(__float2half_rn(qRow[d] * p.queryScale));
    __syncthreads();

    const int32_t* table = blockTables + tableOffsets[row];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int32_t j = begin + warp; j < end; j += kThreads / 32) {
        const __half* k = keys +
                          (int64_t(table[j / blockSize]) * blockSize + j % blockSize) * kvDim +
                          int64_t(kvHead) * hd;
        float dot = 0.0f;
        for (int32_t d = lane; d < hd; d += 32)
            dot += qs[d] * __half2float(k[d]);
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2)
            dot += __shfl_xor_sync(0xffffffffu, dot, offset);
        if (lane == 0)
            scores[j - begin] = dot * p.scoreScale;
    }
    __syncthreads();

    const int32_t n = end - begin;
    float localMax = -FLT_MAX;
    for (int32_t j = threadIdx.x; j < n; j += kThreads)
        localMax = fmaxf(localMax, scores[j]);
    const float m = blockMax(localMax, reduce);
    float localSum = 0.0f;
    for (int32_t j = threadIdx.x; j < n; j += kThreads) {
        const float e = __expf(scores[j] - m);
        scores[j] = e;
        localSum += e;
    }
    const float l = blockSum(localSum, reduce);  // its barrier publishes scores[]

    for (int32_t d = threadIdx.x; d < hd; d += kThreads) {
        float acc = 0.0f;
        for (int32_t j = 0; j < n; ++j) {
            const int32_t pos = begin + j;
            const __half* v =
                values + (int64_t(table[pos / blockSize]) * blockSize + pos % blockSize) * kvDim +
                int64_t(kvHead) * hd;
            acc += scores[j] * __half2float(v[d]);
        }
        partial[2 + d] = acc;
    }
    if (threadIdx.x == 0) {
        partial[0] = m;
        partial[1] = l;
    }
}

__global__ void attentionMergeKernel(const float* __restrict__ partials, int32_t nHead,
                                     int32_t headDim, int32_t maxSplits, float* __restrict__ out) {
    const int64_t rowHead = blockIdx.x;
    const float* base = partials + rowHead * maxSplits * (headDim + 2);
    float m = -FLT_MAX;
    for (int32_t s = 0; s < maxSplits; ++s)
        m = fmaxf(m, base[s * (headDim + 2)]);
    float l = 0.0f;
    for (int32_t s = 0; s < maxSplits; ++s) {
        const float* part = base + s * (headDim + 2);
        if (part[1] > 0.0f)
            l += __expf(part[0] - m) * part[1];
    }
    float* o = out + rowHead * headDim;
    for (int32_t d = threadIdx.x; d < headDim; d += blockDim.x) {
        float acc = 0.0f;
        for (int32_t s = 0; s < maxSplits; ++s) {
            const float* part = base + s * (headDim + 2);
            if (part[1] > 0.0f)
                acc += __expf(part[0] - m) * part[2 + d];
        }
        o[d] = l > 0.0f ? acc / l : 0.0f;
    }
}

constexpr int kKeyTile = 32;  // positions per shared-memory tile: one per lane when scoring
constexpr int kRowsPerWarp = kPrefillTileRows / (kThreads / 32);

// One block per (tile of consecutive rows of one sequence, head). Q (f16-rounded, as the CPU),
// K and V tiles live in shared memory as f16: about 8 + 16 + 16 KB. Each warp owns
// kRowsPerWarp query rows; lane j scores position j of the K tile, and lane l accumulates output
// dimensions l, l + 32, ... with an online softmax (running max and sum per row).
__global__ void __launch_bounds__(kThreads)
    tiledAttentionKernel(const float* __restrict__ q, const int32_t* __restrict__ positions,
                         const int32_t* __restrict__ tableOffsets,
                         const int32_t* __restrict__ blockTables,
                         const int32_t* __restrict__ tileFirstRows,
                         const int32_t* __restrict__ tileCounts, const __half* __restrict__ keys,
                         const __half* __restrict__ values, int32_t blockSize, int32_t kvDim,
                         AttentionParams p, float* __restrict__ out) {
    __shared__ __half qs[kPrefillTileRows][kMaxHeadDim];
    // K rows padded by one 4-byte bank: lane j reads row j, so unpadded rows would all start in
    // the same bank.
    __shared__ __half ks[kKeyTile][kMaxHeadDim + 2];
    __shared__ __half vs[kKeyTile][kMaxHeadDim];
    constexpr int kDimsPerLane = kMaxHeadDim / 32;
    const int32_t head = blockIdx.y, kvHead = head / (p.nHead / p.nHeadKv), hd = p.headDim;
    const int32_t firstRow = tileFirstRows[blockIdx.x], count = tileCounts[blockIdx.x];
    const int32_t firstPosition = positions[firstRow];
    const int32_t lastPosition = firstPosition + count - 1;
    const int32_t* table = blockTables + tableOffsets[firstRow];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

    for (int32_t i = threadIdx.x; i < kPrefillTileRows * hd; i += kThreads) {
        const int32_t r = i / hd, d = i % hd;
        const float v =
            r < count ? q[(int64_t(firstRow) + r) * p.nHead * hd + int64_t(head) * hd + d] : 0.0f;
        qs[r][d] = __float2half_rn(v * p.queryScale);
    }

    float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][kDimsPerLane];
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
        m[r] = -FLT_MAX;
        l[r] = 0.0f;
#pragma unroll
        for (int k = 0; k < kDimsPerLane; ++k)
            acc[r][k] = 0.0f;
    }

    const int32_t begin = p.window > 0 ? max(0, firstPosition - p.window + 1) : 0;
    for (int32_t j0 = begin; j0 <= lastPosition; j0 += kKeyTile) {
        __syncthreads();  // the previous tile's readers are done (and qs is written)
        for (int32_t i = threadIdx.x; i < kKeyTile * hd; i += kThreads) {
            const int32_t j = i / hd, d = i % hd, pos = j0 + j;
            __half kv = __float2half_rn(0.0f), vv = kv;
            if (pos <= lastPosition) {
                const int64_t slot =
                    (int64_t(table[pos / blockSize]) * blockSize + pos % blockSize) * kvDim +
                    int64_t(kvHead) * hd + d;
                kv = keys[slot];
                vv = values[slot];
            }
            ks[j][d] = kv;
            vs[j][d] = vv;
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < kRowsPerWarp; ++r) {
            const int32_t row = warp * kRowsPerWarp + r;
            if (row >= count)
                break;
            const int32_t position = firstPosition + row;
            const int32_t lo = p.window > 0 ? max(0, position - p.window + 1) : 0;
            const int32_t pos = j0 + lane;
            float s = -FLT_MAX;
            if (pos >= lo && pos <= position) {
                float dot = 0.0f;
                for (int32_t d = 0; d < hd; ++d)
                    dot += __half2float(qs[row][d]) * __half2float(ks[lane][d]);
                s = dot * p.scoreScale;
            }
            float tileMax = s;
#pragma unroll
            for (int offset = 16; offset > 0; offset /= 2)
                tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, offset));
            if (tileMax == -FLT_MAX)
                continue;  // no visible position in this tile for this row
            const float newMax = fmaxf(m[r], tileMax);
            const float rescale = __expf(m[r] - newMax);
            const float e = s == -FLT_MAX ? 0.0f : __expf(s - newMax);
            float sum = e;
#pragma unroll
            for (int offset = 16; offset > 0; offset /= 2)
                sum += __shfl_xor_sync(0xffffffffu, sum, offset);
            l[r] = l[r] * rescale + sum;
            m[r] = newMax;
#pragma unroll
            for (int k = 0; k < kDimsPerLane; ++k)
                acc[r][k] *= rescale;
            for (int j = 0; j < kKeyTile; ++j) {
                const float pj = __shfl_sync(0xffffffffu, e, j);
#pragma unroll
                for (int k = 0; k < kDimsPerLane; ++k) {
                    const int32_t d = lane + 32 * k;
                    if (d < hd)
                        acc[r][k] += pj * __half2float(vs[j][d]);
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
        const int32_t row = warp * kRowsPerWarp + r;
        if (row >= count)
            break;
        float* o = out + (int64_t(firstRow) + row) * p.nHead * hd + int64_t(head) * hd;
#pragma unroll
        for (int k = 0; k < kDimsPerLane; ++k) {
            const int32_t d = lane + 32 * k;
            if (d < hd)
                o[d] = l[r] > 0.0f ? acc[r][k] / l[r] : 0.0f;
        }
    }
}

}  // namespace

DeviceError tiledAttention(const float* q, const BatchRows& rows, const int32_t* tileFirstRows,
                           const int32_t* tileCounts, int32_t nTiles, PagedKv kv,
                           const AttentionParams& p, float* out, cudaStream_t stream) {
    if (p.headDim > kMaxHeadDim || p.nHeadKv <= 0 || p.nHead % p.nHeadKv != 0)
        return {"attention: head size " + std::to_string(p.headDim) + " or head counts " +
                std::to_string(p.nHead) + "/" + std::to_string(p.nHeadKv) + " not supported"};
    if (nTiles == 0)
        return {};
    tiledAttentionKernel<<<dim3(unsigned(nTiles), unsigned(p.nHead)), kThreads, 0, stream>>>(
        q, rows.positions, rows.tableOffsets, rows.blockTables, tileFirstRows, tileCounts, kv.keys,
        kv.values, kv.blockSize, kv.kvDim, p, out);
    return checkLaunch("tiled attention kernel");
}

DeviceError pagedAttention(const float* q, const BatchRows& rows, PagedKv kv,
                           const AttentionParams& p, int32_t maxSplits, float* partials, float* out,
                           cudaStream_t stream) {
    if (p.headDim > kMaxHeadDim || p.nHeadKv <= 0 || p.nHead % p.nHeadKv != 0)
        return {"attention: head size " + std::to_string(p.headDim) + " or head counts " +
                std::to_string(p.nHead) + "/" + std::to_string(p.nHeadKv) + " not supported"};
    const dim3 grid(unsigned(rows.nRows * p.nHead), unsigned(maxSplits));
    attentionPartialKernel<<<grid, kThreads, 0, stream>>>(
        q, rows.positions, rows.tableOffsets, rows.blockTables, kv.keys, kv.values, kv.blockSize,
        kv.kvDim, p, maxSplits, partials);
    PARLEY_CUDA_TRY_LAUNCH("attention kernel");
    attentionMergeKernel<<<unsigned(rows.nRows * p.nHead), kThreads, 0, stream>>>(
        partials, p.nHead, p.headDim, maxSplits, out);
    return checkLaunch("attention merge kernel");
}

}  // namespace parley::cuda
