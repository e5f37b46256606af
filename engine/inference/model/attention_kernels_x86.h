// The x86 attention kernels behind attention_kernels.h, one file per instruction set: AVX2 (+FMA,
// F16C) in attention_kernels_avx2.cpp, AVX-512 in attention_kernels_avx512.cpp. Each computes the
// same bits as the scalar versions in attention_kernels.cpp. Internal to engine/inference/model.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "inference/ops/ordered_sums.h"

// The AVX-512 kernels: 16 keys or 16 values of the head per vector, and 32 registers, so that the
// register tiles hold every independent chain they need without spilling. (Zen 4 splits each
// 512-bit operation in two 256-bit halves: the gain is fewer instructions and loads, with the same
// arithmetic.)
#define PARLEY_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma,f16c")))

namespace parley::model::detail {

// The widest head the vector kernels take (their key tile lives on the stack).
constexpr int32_t kMaxVectorHeadDim = 512;
// From this many queries on, widening the value rows once beats widening them in every product.
constexpr int32_t kWideningQueries = 8;

// Floats between widened rows: padded by 64 bytes, so that the rows one lane visits (16 or 64
// apart) do not all fall into the same few sets of the L1 cache, as 4 KiB multiples would; a
// whole number of cache lines, so that 64-byte aligned rows do not straddle lines.
constexpr int32_t wideRowStride(int32_t headDim) {
    return (headDim + 15) / 16 * 16 + 16;
}

// Positions per lane from which the AVX-512 lane-by-lane value kernel beats weightedValuesAvx2 for
// few queries (measured on Zen 4 with 3 queries: even at 3 positions per lane, twice as fast at 8).
constexpr int32_t kLanePositions = 4;

__attribute__((target("avx2,fma,f16c"))) void transposeKeys(const uint16_t* const* rows,
                                                            int32_t headDim, int32_t width,
                                                            float* kT);

__attribute__((target("avx2,fma,f16c"))) void keyScoresAvx2(const float* queries, int32_t nQueries,
                                                            int32_t headDim,
                                                            const uint16_t* const* keyRows,
                                                            int32_t nKeys, ops::LaneOrder order,
                                                            float* scores, int64_t scoreStride);

__attribute__((target("avx2,fma,f16c"))) void weightedValuesAvx2(
    const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
    const uint16_t* const* valueRows, int32_t nPositions, ops::LaneOrder order, float* out);

__attribute__((target("avx2,fma,f16c"))) bool widenRows(const uint16_t* const* rows, int32_t nRows,
                                                        int32_t headDim, float* buffer);

__attribute__((target("avx2,fma"))) void weightedWideValuesAvx2(
    const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
    const float* values, int32_t nPositions, int lanes, float* laneSums, float* out);

PARLEY_AVX512 void keyScoresAvx512(const float* queries, int32_t nQueries, int32_t headDim,
                                   const uint16_t* const* keyRows, int32_t nKeys,
                                   ops::LaneOrder order, float* scores, int64_t scoreStride);

PARLEY_AVX512 void weightedWideValuesAvx512(const float* weights, int64_t weightStride,
                                            int32_t nQueries, int32_t headDim, const float* values,
                                            int32_t nPositions, int lanes, float* laneSums,
                                            float* grouped, float* out);

PARLEY_AVX512 bool weightedValuesAvx512(const float* weights, int64_t weightStride,
                                        int32_t nQueries, int32_t headDim,
                                        const uint16_t* const* valueRows, int32_t nPositions,
                                        int lanes, float* laneSums, float* out);

}  // namespace parley::model::detail
