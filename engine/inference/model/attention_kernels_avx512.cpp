#include "inference/model/attention_kernels_x86.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace parley::model::detail {
namespace {

// Lane l's partial sums of R queries' dots with the 16 keys of kT (kT[d * 16 + c]), as one vector
// per query: Lanes16's lane l, or Lanes64's lanes l, l+16, l+32, l+48 over its whole-64 body,
// folded as (l + l+32) + (l+16 + l+48).
template <int R, ops::LaneOrder kOrder>
PARLEY_AVX512 inline void keyLane512(const float* q, int32_t headDim, const float* kT, int l,
                                     __m512* lane) {
    if constexpr (kOrder == ops::LaneOrder::Lanes16) {
        for (int r = 0; r < R; ++r)
            lane[r] = _mm512_setzero_ps();
        for (int32_t d = l; d < headDim; d += 16) {
            const __m512 k = _mm512_load_ps(kT + int64_t(d) * 16);
            for (int r = 0; r < R; ++r)
                lane[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[r * headDim + d]), k, lane[r]);
        }
    } else {
        __m512 a[R][4];
        for (int r = 0; r < R; ++r)
            for (int s = 0; s < 4; ++s)
                a[r][s] = _mm512_setzero_ps();
        for (int32_t d0 = 0; d0 + 64 <= headDim; d0 += 64) {
            for (int s = 0; s < 4; ++s) {
                const int32_t d = d0 + l + 16 * s;
                const __m512 k = _mm512_load_ps(kT + int64_t(d) * 16);
                for (int r = 0; r < R; ++r)
                    a[r][s] = _mm512_fmadd_ps(_mm512_set1_ps(q[r * headDim + d]), k, a[r][s]);
            }
        }
        for (int r = 0; r < R; ++r) {
            lane[r] =
                _mm512_add_ps(_mm512_add_ps(a[r][0], a[r][2]), _mm512_add_ps(a[r][1], a[r][3]));
        }
    }
}

// (lane l + lane l+8) for R queries: the first step of the 16 lanes' pairwise combination.
template <int R, ops::LaneOrder kOrder>
PARLEY_AVX512 inline void keyLanePair512(const float* q, int32_t headDim, const float* kT, int l,
                                         __m512* sum) {
    __m512 low[R], high[R];
    keyLane512<R, kOrder>(q, headDim, kT, l, low);
    keyLane512<R, kOrder>(q, headDim, kT, l + 8, high);
    for (int r = 0; r < R; ++r)
        sum[r] = _mm512_add_ps(low[r], high[r]);
}

// Dots of R queries with the 16 keys of kT: the lanes are computed in the order of their pairwise
// combination ((0+8) + (4+12)) + ((2+10) + (6+14)), then the same for the odd lanes, so that only
// a few partial sums per query are live at a time.
template <int R, ops::LaneOrder kOrder>
PARLEY_AVX512 void scoreKeyTile512(const float* q, int32_t headDim, const float* kT,
                                   __m512* result) {
    __m512 a[R], b[R], even[R], odd[R];
    for (int half = 0; half < 2; ++half) {
        __m512* out = half == 0 ? even : odd;
        keyLanePair512<R, kOrder>(q, headDim, kT, half, a);
        keyLanePair512<R, kOrder>(q, headDim, kT, half + 4, b);
        for (int r = 0; r < R; ++r)
            out[r] = _mm512_add_ps(a[r], b[r]);
        keyLanePair512<R, kOrder>(q, headDim, kT, half + 2, a);
        keyLanePair512<R, kOrder>(q, headDim, kT, half + 6, b);
        for (int r = 0; r < R; ++r)
            out[r] = _mm512_add_ps(out[r], _mm512_add_ps(a[r], b[r]));
    }
    for (int r = 0; r < R; ++r)
        result[r] = _mm512_add_ps(even[r], odd[r]);
}

// Stores a query's dots with keys [j0, j0 + count) of kT, after adding Lanes64's tail (headDim %
// 64 terms, one by one in double after the lanes, as orderedDot).
PARLEY_AVX512 inline void storeKeyDots512(__m512 dots, const float* q, int32_t headDim,
                                          int32_t tail, const float* kT, int32_t count,
                                          float* scores) {
    const __mmask16 valid = __mmask16((1u << count) - 1);
    if (tail == 0) {
        _mm512_mask_storeu_ps(scores, valid, dots);
        return;
    }
    alignas(64) float d[16];
    _mm512_store_ps(d, dots);
    for (int c = 0; c < count; ++c) {
        double sum = d[c];
        for (int32_t e = headDim - tail; e < headDim; ++e)
            sum += double(q[e] * kT[int64_t(e) * 16 + c]);
        scores[c] = float(sum);
    }
}

// Queries in the next register tile when `remaining` are left: up to `most`, but no tile of one or
// two after full tiles where tiles of three fit (a small tile keeps too few chains in flight).
int tileQueries(int32_t remaining, int most) {
    if (most == 4 && (remaining == 5 || remaining == 6 || remaining == 9))
        return 3;
    if (most == 3 && remaining == 4)
        return 2;
    return std::min<int32_t>(most, remaining);
}

// Queries per register tile of the AVX-512 value kernels: the weights of a tile of four are
// grouped with vector shuffles, the rest one by one.
int valueTileQueries(int32_t remaining) {
    return std::min<int32_t>(4, remaining);
}

template <int R, ops::LaneOrder kOrder>
PARLEY_AVX512 void scoreKeyRowTile512(const float* q, int32_t headDim, const float* kT,
                                      int32_t count, float* scores, int64_t scoreStride) {
    const int32_t tail = kOrder == ops::LaneOrder::Lanes64 ? headDim % 64 : 0;
    __m512 result[R];
    scoreKeyTile512<R, kOrder>(q, headDim, kT, result);
    for (int r = 0; r < R; ++r) {
        storeKeyDots512(result[r], q + int64_t(r) * headDim, headDim, tail, kT, count,
                        scores + r * scoreStride);
    }
}

template <ops::LaneOrder kOrder>
PARLEY_AVX512 void scoreKeyRows512(const float* queries, int32_t nQueries, int32_t headDim,
                                   const float* kT, int32_t count, float* scores,
                                   int64_t scoreStride) {
    // Lanes64 keeps four chains per query and lane: fewer queries a tile.
    constexpr int kMost = kOrder == ops::LaneOrder::Lanes16 ? 4 : 3;
    for (int32_t i = 0; i < nQueries;) {
        const int r = tileQueries(nQueries - i, kMost);
        const float* q = queries + int64_t(i) * headDim;
        float* s = scores + i * scoreStride;
        switch (r) {
            case 4:
                scoreKeyRowTile512<4, kOrder>(q, headDim, kT, count, s, scoreStride);
                break;
            case 3:
                scoreKeyRowTile512<3, kOrder>(q, headDim, kT, count, s, scoreStride);
                break;
            case 2:
                scoreKeyRowTile512<2, kOrder>(q, headDim, kT, count, s, scoreStride);
                break;
            default:
                scoreKeyRowTile512<1, kOrder>(q, headDim, kT, count, s, scoreStride);
                break;
        }
        i += r;
    }
}

}  // namespace

PARLEY_AVX512 void keyScoresAvx512(const float* queries, int32_t nQueries, int32_t headDim,
                                   const uint16_t* const* keyRows, int32_t nKeys,
                                   ops::LaneOrder order, float* scores, int64_t scoreStride) {
    alignas(64) float kT[kMaxVectorHeadDim * 16];
    for (int32_t j0 = 0; j0 < nKeys; j0 += 16) {
        const int32_t count = std::min(16, nKeys - j0);
        const uint16_t* rows[16];
        for (int c = 0; c < 16; ++c)
            rows[c] = keyRows[j0 + std::min(c, count - 1)];  // past the end: repeats, unused
        transposeKeys(rows, headDim, 16, kT);
        transposeKeys(rows + 8, headDim, 16, kT + 8);
        if (order == ops::LaneOrder::Lanes16) {
            scoreKeyRows512<ops::LaneOrder::Lanes16>(queries, nQueries, headDim, kT, count,
                                                     scores + j0, scoreStride);
        } else {
            scoreKeyRows512<ops::LaneOrder::Lanes64>(queries, nQueries, headDim, kT, count,
                                                     scores + j0, scoreStride);
        }
    }
}

namespace {

// Adds R queries' products over n positions of one lane to their lane sums (C vectors of 16 values
// of the head each, sums[r * queryStride + 16 * c]): weights[k * weightStep + r] times the row at
// values + k * rowStride, one chain per query and vector.
template <int R, int C>
PARLEY_AVX512 void addLaneValues512(const float* weights, int64_t weightStep, const float* values,
                                    int64_t rowStride, int32_t n, float* sums,
                                    int64_t queryStride) {
    __m512 a[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            a[r][c] = _mm512_loadu_ps(sums + r * queryStride + 16 * c);
    for (int32_t k = 0; k < n; ++k) {
        const float* v = values + k * rowStride;
        __m512 row[C];
        for (int c = 0; c < C; ++c)
            row[c] = _mm512_load_ps(v + 16 * c);
        for (int r = 0; r < R; ++r) {
            const __m512 w = _mm512_set1_ps(weights[k * weightStep + r]);
            for (int c = 0; c < C; ++c)
                a[r][c] = _mm512_fmadd_ps(w, row[c], a[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            _mm512_storeu_ps(sums + r * queryStride + 16 * c, a[r][c]);
}

using LaneValuesKernel = void (*)(const float*, int64_t, const float*, int64_t, int32_t, float*,
                                  int64_t);

template <int R>
constexpr LaneValuesKernel laneValuesKernel(int c) {
    return c == 1   ? addLaneValues512<R, 1>
           : c == 2 ? addLaneValues512<R, 2>
           : c == 3 ? addLaneValues512<R, 3>
                    : addLaneValues512<R, 4>;
}

// [R - 1][C - 1]
constexpr LaneValuesKernel kLaneValuesKernels[4][4] = {
    {laneValuesKernel<1>(1), laneValuesKernel<1>(2), laneValuesKernel<1>(3),
     laneValuesKernel<1>(4)},
    {laneValuesKernel<2>(1), laneValuesKernel<2>(2), laneValuesKernel<2>(3),
     laneValuesKernel<2>(4)},
    {laneValuesKernel<3>(1), laneValuesKernel<3>(2), laneValuesKernel<3>(3),
     laneValuesKernel<3>(4)},
    {laneValuesKernel<4>(1), laneValuesKernel<4>(2), laneValuesKernel<4>(3),
     laneValuesKernel<4>(4)},
};

PARLEY_AVX512 inline __m512 combine16Avx512(const __m512* v) {
    __m512 t[8];
    for (int l = 0; l < 8; ++l)
        t[l] = _mm512_add_ps(v[l], v[l + 8]);
    __m512 u[4];
    for (int l = 0; l < 4; ++l)
        u[l] = _mm512_add_ps(t[l], t[l + 4]);
    return _mm512_add_ps(_mm512_add_ps(u[0], u[2]), _mm512_add_ps(u[1], u[3]));
}

// Rows of one lane per block: about 16 KiB, so that they stay in the L1 cache while every tile of
// queries passes over them.
int32_t laneBlockRows(int32_t headDim) {
    return std::max<int32_t>(1, 16384 / (wideRowStride(headDim) * int32_t(sizeof(float))));
}

// The weights of a tile of R queries, position-major with the R queries' weights of a position
// side by side: grouped[p * R + r] = weight of query r at position p, so that a lane's chain finds
// all the weights of one position in one cache line.
PARLEY_AVX512 void groupWeights(const float* weights, int64_t weightStride, int R,
                                int32_t nPositions, float* grouped) {
    int32_t p = 0;
    if (R == 4) {
        // Sixteen positions at a time: pairs of queries interleaved as floats, then the two pairs
        // as 64-bit units.
        const __m512i pairsLow =
            _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i pairsHigh =
            _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        const __m512i quadsLow = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
        const __m512i quadsHigh = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
        for (; p + 16 <= nPositions; p += 16) {
            const float* w = weights + p;
            const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + weightStride);
            const __m512 w2 = _mm512_loadu_ps(w + 2 * weightStride);
            const __m512 w3 = _mm512_loadu_ps(w + 3 * weightStride);
            const __m512d first[2] = {_mm512_castps_pd(_mm512_permutex2var_ps(w0, pairsLow, w1)),
                                      _mm512_castps_pd(_mm512_permutex2var_ps(w0, pairsHigh, w1))};
            const __m512d second[2] = {_mm512_castps_pd(_mm512_permutex2var_ps(w2, pairsLow, w3)),
                                       _mm512_castps_pd(_mm512_permutex2var_ps(w2, pairsHigh, w3))};
            float* dst = grouped + int64_t(p) * 4;
            for (int h = 0; h < 2; ++h) {
                _mm512_storeu_pd(reinterpret_cast<double*>(dst + 32 * h),
                                 _mm512_permutex2var_pd(first[h], quadsLow, second[h]));
                _mm512_storeu_pd(reinterpret_cast<double*>(dst + 32 * h + 16),
                                 _mm512_permutex2var_pd(first[h], quadsHigh, second[h]));
            }
        }
    }
    for (; p < nPositions; ++p) {
        for (int r = 0; r < R; ++r)
            grouped[int64_t(p) * R + r] = weights[r * weightStride + p];
    }
}

// out[i * headDim + d]: query i's lane sums laneSums[(i * lanes + l) * headDim + d] combined in
// the lane order.
PARLEY_AVX512 void combineLaneSums512(const float* laneSums, int32_t nQueries, int32_t headDim,
                                      int lanes, float* out) {
    const int64_t queryStride = int64_t(lanes) * headDim;
    for (int32_t i = 0; i < nQueries; ++i) {
        for (int32_t d = 0; d < headDim; d += 16) {
            __m512 s[64];
            // The first 16 lane sums always exist (GCC cannot see that through `lanes`).
            for (int l = 0; l < 16; ++l)
                s[l] = _mm512_loadu_ps(laneSums + i * queryStride + int64_t(l) * headDim + d);
            for (int l = 16; l < lanes; ++l)
                s[l] = _mm512_loadu_ps(laneSums + i * queryStride + int64_t(l) * headDim + d);
            if (lanes == 64) {
                for (int l = 0; l < 32; ++l)
                    s[l] = _mm512_add_ps(s[l], s[l + 32]);
                for (int l = 0; l < 16; ++l)
                    s[l] = _mm512_add_ps(s[l], s[l + 16]);
            }
            _mm512_storeu_ps(out + int64_t(i) * headDim + d, combine16Avx512(s));
        }
    }
}

// Like weightedWideValuesAvx2, with whole lane chains over blocks of rows: for every block and
// lane, each tile of queries adds the block's rows of that lane to its lane sums.
}  // namespace

PARLEY_AVX512 void weightedWideValuesAvx512(const float* weights, int64_t weightStride,
                                            int32_t nQueries, int32_t headDim, const float* values,
                                            int32_t nPositions, int lanes, float* laneSums,
                                            float* grouped, float* out) {
    const int64_t queryStride = int64_t(lanes) * headDim;
    const int64_t rowStride = wideRowStride(headDim);
    const int32_t perLane = nPositions / lanes;
    std::fill(laneSums, laneSums + nQueries * queryStride, 0.0f);
    for (int32_t i = 0; i < nQueries;) {
        const int r = valueTileQueries(nQueries - i);
        groupWeights(weights + i * weightStride, weightStride, r, nPositions,
                     grouped + int64_t(i) * nPositions);
        i += r;
    }
    const int32_t block = laneBlockRows(headDim);
    for (int32_t k0 = 0; k0 < perLane; k0 += block) {
        const int32_t n = std::min(block, perLane - k0);
        for (int l = 0; l < lanes; ++l) {
            const float* rows = values + (int64_t(k0) * lanes + l) * rowStride;
            for (int32_t d0 = 0; d0 < headDim; d0 += 64) {
                const int c = std::min<int32_t>(4, (headDim - d0) / 16);
                for (int32_t i = 0; i < nQueries; i += valueTileQueries(nQueries - i)) {
                    const int r = valueTileQueries(nQueries - i);
                    kLaneValuesKernels[r - 1][c - 1](
                        grouped + int64_t(i) * nPositions + (int64_t(k0) * lanes + l) * r,
                        lanes * r, rows + d0, lanes * rowStride, n,
                        laneSums + i * queryStride + int64_t(l) * headDim + d0, queryStride);
                }
            }
        }
    }
    combineLaneSums512(laneSums, nQueries, headDim, lanes, out);
}

namespace {

// 16 f16 values widened. (The masked form because GCC 12 warns that the unmasked one's
// undefined pass-through vector is used uninitialised.)
PARLEY_AVX512 inline __m512 widen16(const uint16_t* h) {
    return _mm512_maskz_cvtph_ps(__mmask16(0xffff),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h)));
}

// One lane's chain of products with f16 rows, widened in registers: like addLaneValues512 over
// positions l, l + lanes, ... < nPositions (rows that are null are skipped: all their weights are
// zero), weights[r * weightStride + p].
template <int R, int C>
PARLEY_AVX512 void addLaneHalfValues512(const float* weights, int64_t weightStride,
                                        const uint16_t* const* rows, int32_t nPositions, int lanes,
                                        int l, int32_t d0, float* sums, int64_t queryStride) {
    __m512 a[R][C];
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            a[r][c] = _mm512_setzero_ps();
    for (int32_t p = l; p < nPositions; p += lanes) {
        if (rows[p] == nullptr)
            continue;
        __m512 row[C];
        for (int c = 0; c < C; ++c) {
            row[c] = widen16(rows[p] + d0 + 16 * c);
        }
        for (int r = 0; r < R; ++r) {
            const __m512 w = _mm512_set1_ps(weights[r * weightStride + p]);
            for (int c = 0; c < C; ++c)
                a[r][c] = _mm512_fmadd_ps(w, row[c], a[r][c]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int c = 0; c < C; ++c)
            _mm512_storeu_ps(sums + r * queryStride + 16 * c, a[r][c]);
}

using LaneHalfValuesKernel = void (*)(const float*, int64_t, const uint16_t* const*, int32_t, int,
                                      int, int32_t, float*, int64_t);

template <int R>
constexpr LaneHalfValuesKernel laneHalfValuesKernel(int c) {
    return c == 1   ? addLaneHalfValues512<R, 1>
           : c == 2 ? addLaneHalfValues512<R, 2>
           : c == 3 ? addLaneHalfValues512<R, 3>
                    : addLaneHalfValues512<R, 4>;
}

// [R - 1][C - 1]
constexpr LaneHalfValuesKernel kLaneHalfValuesKernels[4][4] = {
    {laneHalfValuesKernel<1>(1), laneHalfValuesKernel<1>(2), laneHalfValuesKernel<1>(3),
     laneHalfValuesKernel<1>(4)},
    {laneHalfValuesKernel<2>(1), laneHalfValuesKernel<2>(2), laneHalfValuesKernel<2>(3),
     laneHalfValuesKernel<2>(4)},
    {laneHalfValuesKernel<3>(1), laneHalfValuesKernel<3>(2), laneHalfValuesKernel<3>(3),
     laneHalfValuesKernel<3>(4)},
    {laneHalfValuesKernel<4>(1), laneHalfValuesKernel<4>(2), laneHalfValuesKernel<4>(3),
     laneHalfValuesKernel<4>(4)},
};

// For few queries (nothing to widen once for): whole lane chains over the f16 rows, all the
// queries of a tile sharing each widened row. Without the zero-weight skip of weightedValuesAvx2,
// like the widened path; but with nothing known about the rows' values, a 0 * inf there would be
// a NaN the skip avoids: false when any result is infinite or NaN, for the caller to redo the
// products with the skip.
}  // namespace

PARLEY_AVX512 bool weightedValuesAvx512(const float* weights, int64_t weightStride,
                                        int32_t nQueries, int32_t headDim,
                                        const uint16_t* const* valueRows, int32_t nPositions,
                                        int lanes, float* laneSums, float* out) {
    const int64_t queryStride = int64_t(lanes) * headDim;
    for (int l = 0; l < lanes; ++l) {
        for (int32_t d0 = 0; d0 < headDim; d0 += 64) {
            const int c = std::min<int32_t>(4, (headDim - d0) / 16);
            for (int32_t i = 0; i < nQueries; i += valueTileQueries(nQueries - i)) {
                const int r = valueTileQueries(nQueries - i);
                kLaneHalfValuesKernels[r - 1][c - 1](
                    weights + i * weightStride, weightStride, valueRows, nPositions, lanes, l, d0,
                    laneSums + i * queryStride + int64_t(l) * headDim + d0, queryStride);
            }
        }
    }
    combineLaneSums512(laneSums, nQueries, headDim, lanes, out);
    const __m512 exponent = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    __mmask16 special = 0;
    for (int64_t e = 0; e < int64_t(nQueries) * headDim; e += 16) {
        const __m512i bits = _mm512_castps_si512(_mm512_loadu_ps(out + e));
        special |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(bits, _mm512_castps_si512(exponent)),
                                           _mm512_castps_si512(exponent));
    }
    return special == 0;
}

}  // namespace parley::model::detail
