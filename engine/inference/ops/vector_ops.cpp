#include "inference/ops/vector_ops.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "inference/ops/polynomial_exp.h"
#include "inference/quant/dequantize.h"

namespace parley::ops {

void rmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
    // Squares rounded to float, summed in double: the reference's exact arithmetic.
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i)
        sum += double(x[i] * x[i]);
    const float inv = 1.0f / std::sqrt(float(sum / n) + eps);
    for (int64_t i = 0; i < n; ++i)
        out[i] = x[i] * inv * w[i];
}

void rope(float* x, int32_t nHeads, int32_t headDim, int32_t nRot, int32_t position,
          float thetaScale, model::RopeStyle style) {
    const int32_t half = nRot / 2;
    // theta_i = position * thetaScale^i as a running product rounded at each step, like the
    // reference; a closed form differs in the last bits of the angles at large positions.
    float theta = float(position);
    for (int32_t i = 0; i < half; ++i) {
        const float c = std::cos(theta);
        const float s = std::sin(theta);
        theta *= thetaScale;
        for (int32_t h = 0; h < nHeads; ++h) {
            float* v = x + int64_t(h) * headDim;
            const int32_t a = style == model::RopeStyle::Interleaved ? 2 * i : i;
            const int32_t b = style == model::RopeStyle::Interleaved ? 2 * i + 1 : i + half;
            const float x0 = v[a];
            const float x1 = v[b];
            // The reference's compiler contracts the first product of each line into an FMA.
            v[a] = std::fma(x0, c, -(x1 * s));
            v[b] = std::fma(x0, s, x1 * c);
        }
    }
}

void gatedActivation(float* gate, const float* up, int64_t n, model::FfnActivation act) {
    if (act == model::FfnActivation::SiLU) {
        // x / (1 + e^-x) with the reference's exp, so SwiGLU outputs match it bit for bit.
        constexpr int64_t kChunk = 256;
        float e[kChunk];
        for (int64_t i = 0; i < n; i += kChunk) {
            const int64_t m = std::min(kChunk, n - i);
            for (int64_t k = 0; k < m; ++k)
                e[k] = 0.0f - gate[i + k];
            polynomialExpShifted(e, 0.0f, m, e);
            for (int64_t k = 0; k < m; ++k)
                gate[i + k] = gate[i + k] / (1.0f + e[k]) * up[i + k];
        }
        return;
    }
    // ggml evaluates GELU through a table indexed by the f16 value of the input and stores f16
    // results; doing the same keeps Gemma's logits within rounding noise of llama.cpp's.
    static const std::vector<float> table = [] {
        constexpr float kSqrt2OverPi = 0.7978845608028654f;
        std::vector<float> t(1 << 16);
        for (uint32_t h = 0; h < t.size(); ++h) {
            const float z = quant::f16ToF32(uint16_t(h));
            // 1 + a z^2 fused, as the reference's compiler contracts it.
            const float inner = std::fma(0.044715f * z, z, 1.0f);
            const float g = 0.5f * z * (1.0f + std::tanh(kSqrt2OverPi * z * inner));
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

struct VectorKernels {
    void (*convert)(const float*, uint16_t*, int64_t);
    void (*fromF16)(const uint16_t*, float*, int64_t);
};

const VectorKernels& vectorKernels() {
    static const VectorKernels kernels = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            return VectorKernels{toF16Avx2, fromF16Avx2};
        }
        return VectorKernels{toF16Scalar, fromF16Scalar};
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
