// Host-side launchers of the plug-in's kernels. Each enqueues work on `stream` and reports a launch
// error; none synchronises, so a decode step is one uninterrupted stream (and one CUDA graph).
#pragma once

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_status.h"

namespace parley::cuda {

// A weight matrix in device memory, in its GGUF layout.
struct DeviceWeight {
    uint32_t type = 0;
    const uint8_t* data = nullptr;
    int64_t cols = 0, rows = 0;
    int64_t rowBytes = 0;
};

bool weightTypeSupported(uint32_t type, int64_t cols);

// y[t * rows + r] = dot(row r of w, x[t * cols ...]) for t < nTokens, nTokens in 1..64.
DeviceError gemv(const DeviceWeight& w, const float* x, int32_t nTokens, float* y,
                 cudaStream_t stream);

// Rows [firstRow, firstRow + nRows) of w decoded to f16, row-major (nRows * cols halves).
DeviceError dequantizeToHalf(const DeviceWeight& w, int64_t firstRow, int64_t nRows, __half* out,
                             cudaStream_t stream);

// Large batches (prefill): w decoded to f16 a tile of rows at a time into `tile` (tileHalves
// long), x rounded to f16 into xHalf, and multiplied by cuBLAS with f32 accumulation.
DeviceError gemmPrefill(const DeviceWeight& w, const float* x, int32_t nTokens, float* y,
                        __half* xHalf, __half* tile, int64_t tileHalves, cublasHandle_t cublas,
                        cudaStream_t stream);

// Picks gemv for up to 64 tokens and gemmPrefill beyond.
DeviceError matmul(const DeviceWeight& w, const float* x, int32_t nTokens, float* y, __half* xHalf,
                   __half* tile, int64_t tileHalves, cublasHandle_t cublas, cudaStream_t stream);

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, for `rows` rows of n (out may alias x).
// With `residual` non-null, x[r] += residual[r] first and the sum is written back to x.
DeviceError rmsNorm(float* x, const float* residual, const float* w, int32_t rows, int32_t n,
                    float eps, float* out, cudaStream_t stream);

// Rotary embedding of nTokens rows of nHeads heads; positions[t] < 0 leaves row t alone.
DeviceError rope(float* x, int32_t nTokens, int32_t rowStride, int32_t nHeads, int32_t headDim,
                 int32_t nRot, const int32_t* positions, float thetaScale, int32_t style,
                 cudaStream_t stream);

// gate[i] = act(gate[i]) * up[i]
DeviceError gatedActivation(float* gate, const float* up, int64_t n, int32_t activation,
                            cudaStream_t stream);

// y[i] += x[i]; with bias rows (x of length n, broadcast over `rows`) when broadcast is true.
DeviceError addRows(float* y, const float* x, int32_t rows, int32_t n, bool broadcast,
                    cudaStream_t stream);
DeviceError scale(float* y, float s, int64_t n, cudaStream_t stream);

// x[t] = row tokens[t] of the embedding table, decoded to f32.
DeviceError embed(const DeviceWeight& table, const int32_t* tokens, int32_t nTokens, float* x,
                  cudaStream_t stream);

// out[i] = x[rows[i]] for nRows rows of n floats.
DeviceError gatherRows(const float* x, const int32_t* rows, int32_t nRows, int32_t n, float* out,
                       cudaStream_t stream);

// The paged KV pool of one layer: block b's slot s of K is keys + (b * blockSize + s) * kvDim.
struct PagedKv {
    __half* keys;
    __half* values;
    int32_t blockSize;
    int32_t kvDim;
};

// Per-row addressing of a batch: its position, and where its sequence's block table starts in
// blockTables. Rows with position < 0 are padding (graph buckets): no store, zero output.
struct BatchRows {
    const int32_t* positions;
    const int32_t* tableOffsets;
    const int32_t* blockTables;
    int32_t nRows;
};

// Writes rows' K and V (f32, kvDim each) into their slots of the pool as f16.
DeviceError storeKv(const float* k, const float* v, const BatchRows& rows, PagedKv kv,
                    cudaStream_t stream);

struct AttentionParams {
    int32_t nHead, nHeadKv, headDim;
    int32_t window;  // 0: full causal
    float queryScale, scoreScale;
};

// Causal attention of each row over its sequence's positions [.., position], read from the pool,
// split over the context in chunks of kAttentionChunk positions whose partial softmax sums are
// merged in a second pass. `partials` holds nRows * nHead * maxSplits * (headDim + 2) floats.
constexpr int32_t kAttentionChunk = 256;
DeviceError pagedAttention(const float* q, const BatchRows& rows, PagedKv kv,
                           const AttentionParams& p, int32_t maxSplits, float* partials, float* out,
                           cudaStream_t stream);

// Tiled (flash-style) causal attention for prefill: each block takes up to kPrefillTileRows
// consecutive rows of one sequence (tileFirstRows[i], tileCounts[i]) and one head, walks the
// tile's positions in shared-memory tiles of K and V with an online softmax, and writes the
// rows' outputs directly (no partials). Rows' ranges (causal, sliding window) come from rows.
constexpr int32_t kPrefillTileRows = 16;
DeviceError tiledAttention(const float* q, const BatchRows& rows, const int32_t* tileFirstRows,
                           const int32_t* tileCounts, int32_t nTiles, PagedKv kv,
                           const AttentionParams& p, float* out, cudaStream_t stream);

// Device sampling of nRows rows of logits (modified in place), one token id per row.
struct DeviceSampling {
    float temperature;
    int32_t topK;
    float topP, minP;
    float repeatPenalty, presencePenalty, frequencyPenalty;
    const int32_t* recent;  // nRows windows of recentStride tokens, recentCounts[r] of them used
    const int32_t* recentCounts;
    int32_t recentStride;
    uint64_t seed;
    uint64_t drawIndex;
};
DeviceError sampleRows(float* logits, int32_t nRows, int32_t nVocab, const DeviceSampling& s,
                       int32_t* tokens, cudaStream_t stream);

}  // namespace parley::cuda
