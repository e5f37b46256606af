#include "inference/model/attention_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/cpu/matmul.h"
#include "inference/model/attention_kernels_x86.h"
#include "inference/quant/dequantize.h"

namespace parley::model {
namespace {

using namespace detail;

// Lanes64 first halves the lanes twice: (l, l+32), then (l, l+16).
float combineLanes(float* v, ops::LaneOrder order) {
    if (order == ops::LaneOrder::Lanes64) {
        for (int l = 0; l < 32; ++l)
            v[l] += v[l + 32];
        for (int l = 0; l < 16; ++l)
            v[l] += v[l + 16];
    }
    return ops::sum16(v);
}

float dotScalar(const float* q, const uint16_t* k, int32_t n, ops::LaneOrder order) {
    const int lanes = ops::laneCount(order);
    const int32_t body = n - n % lanes;
    float acc[64] = {};
    for (int32_t d = 0; d < body; ++d)
        acc[d % lanes] = std::fma(q[d], quant::f16ToF32(k[d]), acc[d % lanes]);
    const float combined = combineLanes(acc, order);
    if (order == ops::LaneOrder::Lanes16)
        return combined;
    double sum = combined;
    for (int32_t d = body; d < n; ++d)
        sum += double(q[d] * quant::f16ToF32(k[d]));
    return float(sum);
}

void keyScoresScalar(const float* queries, int32_t nQueries, int32_t headDim,
                     const uint16_t* const* keyRows, int32_t nKeys, ops::LaneOrder order,
                     float* scores, int64_t scoreStride) {
    for (int32_t i = 0; i < nQueries; ++i) {
        for (int32_t j = 0; j < nKeys; ++j) {
            scores[i * scoreStride + j] =
                dotScalar(queries + int64_t(i) * headDim, keyRows[j], headDim, order);
        }
    }
}

void weightedValuesScalar(const float* weights, int64_t weightStride, int32_t nQueries,
                          int32_t headDim, const uint16_t* const* valueRows, int32_t nPositions,
                          ops::LaneOrder order, float* out) {
    const int lanes = ops::laneCount(order);
    for (int32_t i = 0; i < nQueries; ++i) {
        const float* w = weights + i * weightStride;
        for (int32_t d = 0; d < headDim; ++d) {
            float acc[64] = {};
            for (int32_t p = 0; p < nPositions; ++p) {
                if (w[p] != 0.0f)
                    acc[p % lanes] =
                        std::fma(w[p], quant::f16ToF32(valueRows[p][d]), acc[p % lanes]);
            }
            out[int64_t(i) * headDim + d] = combineLanes(acc, order);
        }
    }
}

enum class Kernels { Scalar, Avx2, Avx512 };

// Attention follows the instruction set matmul uses (cpu::activeIsa, which tests lower to compare
// the paths); the vector kernels take head sizes in 8s that fit their stack tiles.
Kernels kernelsFor(int32_t headDim) {
    if (headDim % 8 != 0 || headDim > kMaxVectorHeadDim)
        return Kernels::Scalar;
    switch (cpu::activeIsa()) {
        case cpu::Isa::Avx512Vnni:
            return Kernels::Avx512;
        case cpu::Isa::Avx2:
            return Kernels::Avx2;
        default:
            return Kernels::Scalar;
    }
}

}  // namespace

void keyScores(const float* queries, int32_t nQueries, int32_t headDim,
               const uint16_t* const* keyRows, int32_t nKeys, ops::LaneOrder order, float* scores,
               int64_t scoreStride) {
    switch (kernelsFor(headDim)) {
        case Kernels::Avx512:
            keyScoresAvx512(queries, nQueries, headDim, keyRows, nKeys, order, scores, scoreStride);
            break;
        case Kernels::Avx2:
            keyScoresAvx2(queries, nQueries, headDim, keyRows, nKeys, order, scores, scoreStride);
            break;
        case Kernels::Scalar:
            keyScoresScalar(queries, nQueries, headDim, keyRows, nKeys, order, scores, scoreStride);
            break;
    }
}

void weightedValues(const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
                    const uint16_t* const* valueRows, int32_t nPositions, ops::LaneOrder order,
                    float* out, float* buffer) {
    const Kernels kernels = kernelsFor(headDim);
    // The buffer's parts: lane sums of every query, then the widened rows from a 64-byte
    // boundary and (AVX-512) the weights grouped by tile.
    float* laneSums = buffer;
    // Many queries share each row: widen the rows once and let register tiles reuse them.
    if (buffer != nullptr && nQueries >= kWideningQueries && headDim % 16 == 0 &&
        kernels != Kernels::Scalar) {
        float* rows = reinterpret_cast<float*>(
            (reinterpret_cast<uintptr_t>(laneSums + int64_t(nQueries) * 64 * headDim) + 63) &
            ~uintptr_t(63));
        float* grouped = rows + int64_t(nPositions) * wideRowStride(headDim);
        if (widenRows(valueRows, nPositions, headDim, rows)) {
            if (kernels == Kernels::Avx512) {
                weightedWideValuesAvx512(weights, weightStride, nQueries, headDim, rows, nPositions,
                                         ops::laneCount(order), laneSums, grouped, out);
            } else {
                weightedWideValuesAvx2(weights, weightStride, nQueries, headDim, rows, nPositions,
                                       ops::laneCount(order), laneSums, out);
            }
            return;
        }
    }
    // Lane by lane pays from a few positions per lane on (below, combining the lanes costs more
    // than the products).
    if (buffer != nullptr && headDim % 16 == 0 && kernels == Kernels::Avx512 &&
        nPositions >= kLanePositions * ops::laneCount(order) &&
        weightedValuesAvx512(weights, weightStride, nQueries, headDim, valueRows, nPositions,
                             ops::laneCount(order), laneSums, out)) {
        return;
    }
    if (kernels != Kernels::Scalar) {
        weightedValuesAvx2(weights, weightStride, nQueries, headDim, valueRows, nPositions, order,
                           out);
    } else {
        weightedValuesScalar(weights, weightStride, nQueries, headDim, valueRows, nPositions, order,
                             out);
    }
}

int64_t weightedValuesBufferSize(int32_t nQueries, int32_t headDim, int32_t nPositions) {
    const int64_t laneSums = int64_t(nQueries) * 64 * headDim;
    if (nQueries < kWideningQueries)
        return laneSums;
    return laneSums + 16 + int64_t(nPositions) * wideRowStride(headDim) +
           int64_t(nQueries) * nPositions;
}

}  // namespace parley::model
