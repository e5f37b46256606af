#include "inference/ops/ordered_sums.h"

#include <immintrin.h>

#include <cmath>

namespace parley::ops {
namespace {

// Pairwise combination of 16 lanes: (l, l+8), (l, l+4), then (0, 2) and (1, 3), then (0, 1).
float combine16(const float* v) {
    float t[8];
    for (int l = 0; l < 8; ++l)
        t[l] = v[l] + v[l + 8];
    float u[4];
    for (int l = 0; l < 4; ++l)
        u[l] = t[l] + t[l + 4];
    return (u[0] + u[2]) + (u[1] + u[3]);
}

float combine64(float* v) {
    for (int l = 0; l < 32; ++l)
        v[l] += v[l + 32];
    for (int l = 0; l < 16; ++l)
        v[l] += v[l + 16];
    return combine16(v);
}

float dotScalar(const float* a, const float* b, int64_t n, LaneOrder order) {
    const int lanes = laneCount(order);
    const int64_t body = n - n % lanes;
    float acc[64] = {};
    for (int64_t i = 0; i < body; ++i)
        acc[i % lanes] = std::fma(a[i], b[i], acc[i % lanes]);
    if (order == LaneOrder::Lanes16)
        return combine16(acc);
    double sum = combine64(acc);
    for (int64_t i = body; i < n; ++i)
        sum += double(a[i] * b[i]);
    return float(sum);
}

__attribute__((target("avx2,fma"))) inline float combine16Avx2(__m256 lo, __m256 hi) {
    const __m256 t = _mm256_add_ps(lo, hi);
    const __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    const __m128 w = _mm_add_ps(u, _mm_movehl_ps(u, u));
    return _mm_cvtss_f32(_mm_add_ss(w, _mm_movehdup_ps(w)));
}

__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, int64_t n,
                                                  LaneOrder order) {
    if (order == LaneOrder::Lanes16) {
        __m256 lo = _mm256_setzero_ps();
        __m256 hi = _mm256_setzero_ps();
        for (int64_t i = 0; i < n; i += 16) {
            lo = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), lo);
            hi = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), hi);
        }
        return combine16Avx2(lo, hi);
    }
    __m256 acc[8];
    for (auto& v : acc)
        v = _mm256_setzero_ps();
    const int64_t body = n - n % 64;
    for (int64_t i = 0; i < body; i += 64) {
        for (int k = 0; k < 8; ++k) {
            acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8 * k), _mm256_loadu_ps(b + i + 8 * k),
                                     acc[k]);
        }
    }
    const __m256 lo = _mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[2], acc[6]));
    const __m256 hi = _mm256_add_ps(_mm256_add_ps(acc[1], acc[5]), _mm256_add_ps(acc[3], acc[7]));
    double sum = combine16Avx2(lo, hi);
    for (int64_t i = body; i < n; ++i)
        sum += double(a[i] * b[i]);
    return float(sum);
}

void dotRowsScalar(const float* rows, int64_t nRows, int64_t n, const float* x, float* out,
                   int64_t outStride, LaneOrder order) {
    for (int64_t r = 0; r < nRows; ++r)
        out[r * outStride] = dotScalar(rows + r * n, x, n, order);
}

__attribute__((target("avx2,fma"))) void dotRowsAvx2(const float* rows, int64_t nRows, int64_t n,
                                                     const float* x, float* out, int64_t outStride,
                                                     LaneOrder order) {
    for (int64_t r = 0; r < nRows; ++r)
        out[r * outStride] = dotAvx2(rows + r * n, x, n, order);
}

using DotRowsKernel = void (*)(const float*, int64_t, int64_t, const float*, float*, int64_t,
                               LaneOrder);

DotRowsKernel dotRowsKernel() {
    static const DotRowsKernel kernel = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? dotRowsAvx2
                                                                               : dotRowsScalar;
    }();
    return kernel;
}

}  // namespace

float sum16(const float* v) {
    return combine16(v);
}

float orderedDot(const float* a, const float* b, int64_t n, LaneOrder order) {
    float out = 0.0f;
    dotRowsKernel()(a, 1, n, b, &out, 1, order);
    return out;
}

// Whole lanes added element-wise in the pairwise order (vectorises across i, never reassociates).
void combineLanes(float* lanes, int64_t laneStride, int64_t n, LaneOrder order, float* out) {
    auto addInto = [&](int to, int from) {
        float* dst = lanes + to * laneStride;
        const float* src = lanes + from * laneStride;
        for (int64_t i = 0; i < n; ++i)
            dst[i] += src[i];
    };
    if (order == LaneOrder::Lanes64) {
        for (int l = 0; l < 32; ++l)
            addInto(l, l + 32);
        for (int l = 0; l < 16; ++l)
            addInto(l, l + 16);
    }
    for (int l = 0; l < 8; ++l)
        addInto(l, l + 8);
    for (int l = 0; l < 4; ++l)
        addInto(l, l + 4);
    addInto(0, 2);
    addInto(1, 3);
    for (int64_t i = 0; i < n; ++i)
        out[i] = lanes[i] + lanes[laneStride + i];
}

}  // namespace parley::ops
