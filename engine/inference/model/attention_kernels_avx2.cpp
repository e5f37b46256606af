#include "inference/model/attention_kernels_x86.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace parley::model::detail {

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

namespace {

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

}  // namespace

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

namespace {

// Widens the rows to f32 in `buffer` (nullptr rows become zeros); false if any value is infinite
// or NaN.
}  // namespace

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

namespace {

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

}  // namespace

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
            // The first 16 lane sums always exist (GCC cannot see that through `lanes`).
            for (int l = 0; l < 16; ++l)
                s[l] = _mm256_loadu_ps(laneSums + i * queryStride + int64_t(l) * headDim + d);
            for (int l = 16; l < lanes; ++l)
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

}  // namespace parley::model::detail
