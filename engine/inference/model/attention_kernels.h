// The two long loops of attention over f16 cache rows, in the reference's summation orders
// (ops/ordered_sums.h): query.key products and probability-weighted sums of values. They read the
// cache rows where they lie and widen f16 to f32 in registers, or once into a buffer when many
// queries share the rows; widening is exact, so the bits are those of converting every row first.
// Each has a scalar version, an AVX2+F16C one and an AVX-512 one, following the instruction set
// matmul uses (cpu::activeIsa); all give the same bits.
#pragma once

#include <cstdint>

#include "inference/ops/ordered_sums.h"

namespace parley::model {

// scores[i * scoreStride + j] = orderedDot(queries + i * headDim, keyRows[j], headDim, order)
// for i < nQueries, j < nKeys; keyRows[j] points at headDim f16 values.
void keyScores(const float* queries, int32_t nQueries, int32_t headDim,
               const uint16_t* const* keyRows, int32_t nKeys, ops::LaneOrder order, float* scores,
               int64_t scoreStride);

// out[i * headDim + d] = sum over positions p < nPositions of weights[i * weightStride + p] *
// valueRows[p][d], position p's products chained in lane p % laneCount(order) (fused, zero weights
// skipped) and the lanes combined pairwise, as ops::combineLanes does. nPositions must be a
// multiple of laneCount(order); valueRows[p] may be null where every weight is zero.
// buffer: nullptr or room for weightedValuesBufferSize floats: the queries' lane sums, and the rows
// widened once when many queries share them.
void weightedValues(const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
                    const uint16_t* const* valueRows, int32_t nPositions, ops::LaneOrder order,
                    float* out, float* buffer);
int64_t weightedValuesBufferSize(int32_t nQueries, int32_t headDim, int32_t nPositions);

}  // namespace parley::model
