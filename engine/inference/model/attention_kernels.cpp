#include "inference/model/attention_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/cpu/matmul.h"
#include "inference/quant/dequantize.h"

namespace parley::model {
namespace {

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

// The widest head the vector kernels take (their key tile lives on the stack).
constexpr int32_t kMaxVectorHeadDim = 512;
// From this many queries on, widening the value rows once beats widening them in every product.
constexpr int32_t kWideningQueries = 8;

// Eight keys' values side by side in rows of `width` floats: kT[d * width + c] = value d of key c.
__attribute__((target("avx2,fma,f16c"))) void transposeKeys(const uint16_t* const* rows,
                                                            int32_t headDim, int32_t width,
                                                            float* kT) {
    for (int32_t d = 0; d < headDim; d += 8) {
        __m256 r[8];
        for (int c = 0; c < 8; ++c)
            r[c] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[c] + d)));
        __m256 t[8], s[8];
        for (int c = 0; c < 8; c += 2) {
            t[c] = _mm256_unpacklo_ps(r[c], r[c + 1]);
            t[c + 1] = _mm256_unpackhi_ps(r[c], r[c + 1]);
        }
        for (int h = 0; h < 8; h += 4) {
            s[h] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
            s[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
            s[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
            s[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
        }
        float* dst = kT + int64_t(d) * width;
        for (int e = 0; e < 4; ++e) {
            _mm256_store_ps(dst + e * width, _mm256_permute2f128_ps(s[e], s[e + 4], 0x20));
            _mm256_store_ps(dst + (e + 4) * width, _mm256_permute2f128_ps(s[e], s[e + 4], 0x31));
        }
    }
}

__attribute__((target("avx2,fma"))) inline __m256 combine16Avx2(const __m256* v) {
    __m256 t[8];
    for (int l = 0; l < 8; ++l)
        t[l] = _mm256_add_ps(v[l], v[l + 8]);
    __m256 u[4];
    for (int l = 0; l < 4; ++l)
        u[l] = _mm256_add_ps(t[l], t[l + 4]);
    return _mm256_add_ps(_mm256_add_ps(u[0], u[2]), _mm256_add_ps(u[1], u[3]));
}

// Dots of R queries with the eight keys of kT, one key per vector element, each lane's chain of
// fused multiply-adds kept in its own register (Lanes64: only its whole-64 body).
template <int R>
__attribute__((target("avx2,fma"))) void scoreKeyTile(const float* q, int32_t headDim,
                                                      const float* kT, ops::LaneOrder order,
                                                      __m256* result) {
    __m256 lanes[R][16];
    if (order == ops::LaneOrder::Lanes16) {
        for (int l = 0; l < 16; ++l) {
            __m256 a[R];
            for (int r = 0; r < R; ++r)
                a[r] = _mm256_setzero_ps();
            for (int32_t d = l; d < headDim; d += 16) {
                const __m256 k = _mm256_load_ps(kT + int64_t(d) * 8);
                for (int r = 0; r < R; ++r)
                    a[r] = _mm256_fmadd_ps(_mm256_set1_ps(q[r * headDim + d]), k, a[r]);
            }
            for (int r = 0; r < R; ++r)
                lanes[r][l] = a[r];
        }
    } else {
        const int32_t body = headDim - headDim % 64;
        for (int l = 0; l < 16; ++l) {
            // Lanes l, l+16, l+32, l+48, folded as (l + l+32) + (l+16 + l+48).
            __m256 a[R][4];
            for (int r = 0; r < R; ++r)
                for (int s = 0; s < 4; ++s)
                    a[r][s] = _mm256_setzero_ps();
            for (int32_t d0 = 0; d0 < body; d0 += 64) {
                for (int s = 0; s < 4; ++s) {
                    const int32_t d = d0 + l + 16 * s;
                    const __m256 k = _mm256_load_ps(kT + int64_t(d) * 8);
                    for (int r = 0; r < R; ++r)
                        a[r][s] = _mm256_fmadd_ps(_mm256_set1_ps(q[r * headDim + d]), k, a[r][s]);
                }
            }
            for (int r = 0; r < R; ++r) {
                lanes[r][l] =
                    _mm256_add_ps(_mm256_add_ps(a[r][0], a[r][2]), _mm256_add_ps(a[r][1], a[r][3]));
            }
        }
    }
    for (int r = 0; r < R; ++r)
        result[r] = combine16Avx2(lanes[r]);
}

__attribute__((target("avx2,fma,f16c"))) void keyScoresAvx2(const float* queries, int32_t nQueries,
                                                            int32_t headDim,
                                                            const uint16_t* const* keyRows,
                                                            int32_t nKeys, ops::LaneOrder order,
                                                            float* scores, int64_t scoreStride) {
    alignas(32) float kT[kMaxVectorHeadDim * 8];
    const int32_t tail = order == ops::LaneOrder::Lanes64 ? headDim % 64 : 0;
    for (int32_t j0 = 0; j0 < nKeys; j0 += 8) {
        const int32_t count = std::min(8, nKeys - j0);
        const uint16_t* rows[8];
        for (int c = 0; c < 8; ++c)
            rows[c] = keyRows[j0 + std::min(c, count - 1)];  // past the end: repeats, unused
        transposeKeys(rows, headDim, 8, kT);
        for (int32_t i = 0; i < nQueries;) {
            const int r = std::min(4, nQueries - i);
            const float* q = queries + int64_t(i) * headDim;
            __m256 result[4];
            switch (r) {
                case 4:
                    scoreKeyTile<4>(q, headDim, kT, order, result);
                    break;
                case 3:
                    scoreKeyTile<3>(q, headDim, kT, order, result);
                    break;
                case 2:
                    scoreKeyTile<2>(q, headDim, kT, order, result);
                    break;
                default:
                    scoreKeyTile<1>(q, headDim, kT, order, result);
                    break;
            }
            for (int k = 0; k < r; ++k) {
                alignas(32) float dots[8];
                _mm256_store_ps(dots, result[k]);
                if (tail != 0) {
                    // Lanes64's tail, term by term in double after the lanes, as orderedDot.
                    const float* qk = q + int64_t(k) * headDim;
                    for (int c = 0; c < count; ++c) {
                        double sum = dots[c];
                        for (int32_t d = headDim - tail; d < headDim; ++d)
                            sum += double(qk[d] * kT[int64_t(d) * 8 + c]);
                        dots[c] = float(sum);
                    }
                }
                std::copy_n(dots, count, scores + (i + k) * scoreStride + j0);
            }
            i += r;
        }
    }
}

__attribute__((target("avx2,fma,f16c"))) void weightedValuesAvx2(
    const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
    const uint16_t* const* valueRows, int32_t nPositions, ops::LaneOrder order, float* out) {
    const int lanes = ops::laneCount(order);
    for (int32_t i = 0; i < nQueries; ++i) {
        const float* w = weights + i * weightStride;
        for (int32_t d = 0; d < headDim; d += 8) {
            __m256 laneSums[64];
            // Eight lanes at a time, each a chain in its own register over its positions.
            for (int g = 0; g < lanes; g += 8) {
                __m256 a[8];
                for (auto& v : a)
                    v = _mm256_setzero_ps();
                for (int32_t base = g; base < nPositions; base += lanes) {
                    for (int l = 0; l < 8; ++l) {
                        const float weight = w[base + l];
                        if (weight == 0.0f)
                            continue;
                        const __m256 v = _mm256_cvtph_ps(_mm_loadu_si128(
                            reinterpret_cast<const __m128i*>(valueRows[base + l] + d)));
                        a[l] = _mm256_fmadd_ps(_mm256_set1_ps(weight), v, a[l]);
                    }
                }
                for (int l = 0; l < 8; ++l)
                    laneSums[g + l] = a[l];
            }
            if (lanes == 64) {
                for (int l = 0; l < 32; ++l)
                    laneSums[l] = _mm256_add_ps(laneSums[l], laneSums[l + 32]);
                for (int l = 0; l < 16; ++l)
                    laneSums[l] = _mm256_add_ps(laneSums[l], laneSums[l + 16]);
            }
            _mm256_storeu_ps(out + int64_t(i) * headDim + d, combine16Avx2(laneSums));
        }
    }
}

// Floats between widened rows: padded by 64 bytes, so that the rows one lane visits (16 or 64
// apart) do not all fall into the same few sets of the L1 cache, as 4 KiB multiples would; a
// whole number of cache lines, so that 64-byte aligned rows do not straddle lines.
constexpr int32_t wideRowStride(int32_t headDim) {
    return (headDim + 15) / 16 * 16 + 16;
}

// Widens the rows to f32 in `buffer` (nullptr rows become zeros); false if any value is infinite
// or NaN.
__attribute__((target("avx2,fma,f16c"))) bool widenRows(const uint16_t* const* rows, int32_t nRows,
                                                        int32_t headDim, float* buffer) {
    const __m128i exponent = _mm_set1_epi16(0x7c00);
    __m128i special = _mm_setzero_si128();
    for (int32_t p = 0; p < nRows; ++p) {
        float* dst = buffer + int64_t(p) * wideRowStride(headDim);
        if (rows[p] == nullptr) {
            std::fill(dst, dst + headDim, 0.0f);
            continue;
        }
        for (int32_t d = 0; d < headDim; d += 8) {
            const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[p] + d));
            special = _mm_or_si128(special, _mm_cmpeq_epi16(_mm_and_si128(h, exponent), exponent));
            _mm256_storeu_ps(dst + d, _mm256_cvtph_ps(h));
        }
    }
    return _mm_testz_si128(special, special) != 0;
}

// Adds R queries' products over widened rows [from, to) to their lane sums laneSums[r][lane][d]
// (headDim floats per lane), 16 values of the head at a time, two lanes at a time (eight
// independent chains). Without the zero-weight skip: with finite values and sums that start at +0
// and never become -0 (f16 products are multiples of 2^-48, so no sum rounds to zero from below),
// adding 0 * v changes no bit.
template <int R>
__attribute__((target("avx2,fma"))) void addWideValues(const float* weights, int64_t weightStride,
                                                       int32_t headDim, const float* values,
                                                       int32_t from, int32_t to, int lanes,
                                                       float* laneSums) {
    const int64_t queryStride = int64_t(lanes) * headDim;
    for (int32_t d = 0; d < headDim; d += 16) {
        for (int l = 0; l < lanes; l += 2) {
            __m256 a[R][2][2];
            for (int r = 0; r < R; ++r) {
                for (int e = 0; e < 2; ++e) {
                    const float* s = laneSums + r * queryStride + int64_t(l + e) * headDim + d;
                    a[r][e][0] = _mm256_loadu_ps(s);
                    a[r][e][1] = _mm256_loadu_ps(s + 8);
                }
            }
            for (int32_t base = from + l; base < to; base += lanes) {
                for (int e = 0; e < 2; ++e) {
                    const float* v = values + int64_t(base + e) * wideRowStride(headDim) + d;
                    const __m256 v0 = _mm256_loadu_ps(v);
                    const __m256 v1 = _mm256_loadu_ps(v + 8);
                    for (int r = 0; r < R; ++r) {
                        const __m256 w = _mm256_set1_ps(weights[r * weightStride + base + e]);
                        a[r][e][0] = _mm256_fmadd_ps(w, v0, a[r][e][0]);
                        a[r][e][1] = _mm256_fmadd_ps(w, v1, a[r][e][1]);
                    }
                }
            }
            for (int r = 0; r < R; ++r) {
                for (int e = 0; e < 2; ++e) {
                    float* s = laneSums + r * queryStride + int64_t(l + e) * headDim + d;
                    _mm256_storeu_ps(s, a[r][e][0]);
                    _mm256_storeu_ps(s + 8, a[r][e][1]);
                }
            }
        }
    }
}

// Positions per pass over the widened rows: about 64 KiB of them, so that every query's pass
// reads them from cache.
int32_t widePassPositions(int32_t headDim, int lanes) {
    return std::max<int32_t>(lanes, 16384 / headDim / lanes * lanes);
}

__attribute__((target("avx2,fma"))) void weightedWideValuesAvx2(
    const float* weights, int64_t weightStride, int32_t nQueries, int32_t headDim,
    const float* values, int32_t nPositions, int lanes, float* laneSums, float* out) {
    const int64_t queryStride = int64_t(lanes) * headDim;
    std::fill(laneSums, laneSums + nQueries * queryStride, 0.0f);
    const int32_t pass = widePassPositions(headDim, lanes);
    for (int32_t from = 0; from < nPositions; from += pass) {
        const int32_t to = std::min(nPositions, from + pass);
        int32_t i = 0;
        for (; i + 2 <= nQueries; i += 2) {
            addWideValues<2>(weights + i * weightStride, weightStride, headDim, values, from, to,
                             lanes, laneSums + i * queryStride);
        }
        if (i < nQueries) {
            addWideValues<1>(weights + i * weightStride, weightStride, headDim, values, from, to,
                             lanes, laneSums + i * queryStride);
        }
    }
    for (int32_t i = 0; i < nQueries; ++i) {
        for (int32_t d = 0; d < headDim; d += 8) {
            __m256 s[64];
            for (int l = 0; l < lanes; ++l)
                s[l] = _mm256_loadu_ps(laneSums + i * queryStride + int64_t(l) * headDim + d);
            if (lanes == 64) {
                for (int l = 0; l < 32; ++l)
                    s[l] = _mm256_add_ps(s[l], s[l + 32]);
                for (int l = 0; l < 16; ++l)
                    s[l] = _mm256_add_ps(s[l], s[l + 16]);
            }
            _mm256_storeu_ps(out + int64_t(i) * headDim + d, combine16Avx2(s));
        }
    }
}

// The AVX-512 kernels: 16 keys or 16 values of the head per vector, and 32 registers, so that the
// register tiles below hold every independent chain they need without spilling. (Zen 4 splits
// each 512-bit operation in two 256-bit halves: the gain is fewer instructions and loads, with
// the same arithmetic.)
#define PARLEY_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma,f16c")))

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

// Positions per lane from which the AVX-512 lane-by-lane value kernel beats weightedValuesAvx2 for
// few queries (measured on Zen 4 with 3 queries: even at 3 positions per lane, twice as fast at 8).
constexpr int32_t kLanePositions = 4;

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
            for (int l = 0; l < lanes; ++l)
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

#undef PARLEY_AVX512

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
