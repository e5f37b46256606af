#include "inference/ops/vector_ops.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/quant/dequantize.h"

namespace parley::ops {

void rmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum += double(x[i]) * x[i];
    const float inv = 1.0f / std::sqrt(float(sum / n) + eps);
    for (int64_t i = 0; i < n; ++i)
        out[i] = x[i] * inv * w[i];
}

void rope(float* x, int32_t nHeads, int32_t headDim, int32_t nRot, int32_t position,
          const float* invFreq, model::RopeStyle style) {
    const int32_t half = nRot / 2;
    for (int32_t i = 0; i < half; ++i) {
        const float theta = float(position) * invFreq[i];
        const float c = std::cos(theta);
        const float s = std::sin(theta);
        for (int32_t h = 0; h < nHeads; ++h) {
            float* v = x + int64_t(h) * headDim;
            const int32_t a = style == model::RopeStyle::Interleaved ? 2 * i : i;
            const int32_t b = style == model::RopeStyle::Interleaved ? 2 * i + 1 : i + half;
            const float x0 = v[a];
            const float x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}

void gatedActivation(float* gate, const float* up, int64_t n, model::FfnActivation act) {
    if (act == model::FfnActivation::SiLU) {
        for (int64_t i = 0; i < n; ++i)
            gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
        return;
    }
    // ggml evaluates GELU through a table indexed by the f16 value of the input and stores f16
    // results; doing the same keeps Gemma's logits within rounding noise of llama.cpp's.
    static const std::vector<float> table = [] {
        constexpr float kSqrt2OverPi = 0.7978845608028654f;
        std::vector<float> t(1 << 16);
        for (uint32_t h = 0; h < t.size(); ++h) {
            const float z = quant::f16ToF32(uint16_t(h));
            const float g =
                0.5f * z * (1.0f + std::tanh(kSqrt2OverPi * z * (1.0f + 0.044715f * z * z)));
            t[h] = quant::f16ToF32(quant::f32ToF16(g));
        }
        return t;
    }();
    for (int64_t i = 0; i < n; ++i) {
        const float z = gate[i];
        const float g = z <= -10.0f ? 0.0f : z >= 10.0f ? z : table[quant::f32ToF16(z)];
        gate[i] = g * up[i];
    }
}

void add(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        y[i] += x[i];
}

void scale(float* y, float s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        y[i] *= s;
}

namespace {

void fromF16Scalar(const uint16_t* x, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        out[i] = quant::f16ToF32(x[i]);
}

float dotScalar(const float* a, const float* b, int64_t n) {
    float sum = 0.f;
    for (int64_t i = 0; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

void axpyScalar(float alpha, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        y[i] += alpha * x[i];
}

void toF16Scalar(const float* x, uint16_t* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        out[i] = quant::f32ToF16(x[i]);
}

__attribute__((target("avx2,fma,f16c"))) void toF16Avx2(const float* x, uint16_t* out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
    for (; i < n; ++i)
        out[i] = quant::f32ToF16(x[i]);
}

__attribute__((target("avx2,fma,f16c"))) void fromF16Avx2(const uint16_t* x, float* out,
                                                          int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i,
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
    }
    for (; i < n; ++i)
        out[i] = quant::f16ToF32(x[i]);
}

__attribute__((target("avx2,fma"))) float dotAvx2(const float* a, const float* b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    lo = _mm_hadd_ps(lo, lo);
    lo = _mm_hadd_ps(lo, lo);
    float sum = _mm_cvtss_f32(lo);
    for (; i < n; ++i)
        sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx2,fma"))) void axpyAvx2(float alpha, const float* x, float* y,
                                                  int64_t n) {
    const __m256 va = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i,
                         _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i)
        y[i] += alpha * x[i];
}

void dotRowsScalar(const float* rows, int64_t nRows, int64_t n, const float* x, float* out,
                   int64_t outStride) {
    for (int64_t r = 0; r < nRows; ++r)
        out[r * outStride] = dotScalar(rows + r * n, x, n);
}

void axpyRowsScalar(const float* weights, int64_t weightStride, int64_t nRows, const float* x,
                    float* rows, int64_t n) {
    for (int64_t r = 0; r < nRows; ++r) {
        if (weights[r * weightStride] != 0.0f)
            axpyScalar(weights[r * weightStride], x, rows + r * n, n);
    }
}

__attribute__((target("avx2,fma"))) void dotRowsAvx2(const float* rows, int64_t nRows, int64_t n,
                                                     const float* x, float* out,
                                                     int64_t outStride) {
    for (int64_t r = 0; r < nRows; ++r)
        out[r * outStride] = dotAvx2(rows + r * n, x, n);
}

__attribute__((target("avx2,fma"))) void axpyRowsAvx2(const float* weights, int64_t weightStride,
                                                      int64_t nRows, const float* x, float* rows,
                                                      int64_t n) {
    for (int64_t r = 0; r < nRows; ++r) {
        if (weights[r * weightStride] != 0.0f)
            axpyAvx2(weights[r * weightStride], x, rows + r * n, n);
    }
}

struct VectorKernels {
    void (*convert)(const float*, uint16_t*, int64_t);
    void (*fromF16)(const uint16_t*, float*, int64_t);
    void (*dotRows)(const float*, int64_t, int64_t, const float*, float*, int64_t);
    void (*axpyRows)(const float*, int64_t, int64_t, const float*, float*, int64_t);
};

const VectorKernels& vectorKernels() {
    static const VectorKernels kernels = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            return VectorKernels{toF16Avx2, fromF16Avx2, dotRowsAvx2, axpyRowsAvx2};
        }
        return VectorKernels{toF16Scalar, fromF16Scalar, dotRowsScalar, axpyRowsScalar};
    }();
    return kernels;
}

}  // namespace

void toF16(const float* x, uint16_t* out, int64_t n) {
    vectorKernels().convert(x, out, n);
}

void fromF16(const uint16_t* x, float* out, int64_t n) {
    vectorKernels().fromF16(x, out, n);
}

void dotRows(const float* rows, int64_t nRows, int64_t n, const float* x, float* out,
             int64_t outStride) {
    vectorKernels().dotRows(rows, nRows, n, x, out, outStride);
}

void axpyRows(const float* weights, int64_t weightStride, int64_t nRows, const float* x,
              float* rows, int64_t n) {
    vectorKernels().axpyRows(weights, weightStride, nRows, x, rows, n);
}

void roundToF16(const float* x, float* out, int64_t n) {
    constexpr int64_t kChunk = 256;
    uint16_t h[kChunk];
    for (int64_t i = 0; i < n; i += kChunk) {
        const int64_t m = std::min(kChunk, n - i);
        toF16(x + i, h, m);
        fromF16(h, out + i, m);
    }
}

}  // namespace parley::ops
