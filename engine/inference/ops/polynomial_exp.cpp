#include "inference/ops/polynomial_exp.h"

#include <immintrin.h>

#include <cmath>
#include <limits>

namespace parley::ops {
namespace {

// x = n ln2 + b with n = round(x / ln2) (ln 2 split in two parts); e^b by its polynomial.
constexpr float kShifter = 0x1.8p23f;  // adding it rounds a float to an integer
constexpr float kLog2e = 0x1.715476p+0f;
constexpr float kLn2Hi = 0x1.62e4p-1f;
constexpr float kLn2Lo = 0x1.7f7d1cp-20f;
constexpr float kC1 = 0x1.ffffecp-1f;
constexpr float kC2 = 0x1.fffdb6p-2f;
constexpr float kC3 = 0x1.555e66p-3f;
constexpr float kC4 = 0x1.573e2ep-5f;
constexpr float kC5 = 0x1.0e4020p-7f;
// Beyond |n| > 192 the result is 0 or infinity outright.
constexpr float kSaturation = 192.0f;

// 2^n * j for the cases the vector path leaves out (|n| beyond the normal exponents); ldexp rounds
// once, like the reference's scalef.
float scaleByPowerOfTwo(float j, float n) {
    if (std::isnan(n))
        return n;
    if (std::fabs(n) > kSaturation)
        return n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
    return std::ldexp(j, int(n));
}

float expScalar(float x) {
    const float n = std::fma(x, kLog2e, kShifter) - kShifter;
    const float b = std::fma(-n, kLn2Lo, std::fma(-n, kLn2Hi, x));
    const float u = b * b;
    const float j = std::fma(std::fma(std::fma(kC5, b, kC4), u, std::fma(kC3, b, kC2)), u,
                             std::fma(kC1, b, 1.0f));
    return scaleByPowerOfTwo(j, n);
}

void expShiftedScalar(const float* x, float shift, int64_t n, float* out) {
    for (int64_t i = 0; i < n; ++i)
        out[i] = expScalar(x[i] - shift);
}

__attribute__((target("avx2,fma"))) void expShiftedAvx2(const float* x, float shift, int64_t n,
                                                        float* out) {
    const __m256 vShift = _mm256_set1_ps(shift);
    const __m256 shifter = _mm256_set1_ps(kShifter);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x + i), vShift);
        const __m256 nn =
            _mm256_sub_ps(_mm256_fmadd_ps(v, _mm256_set1_ps(kLog2e), shifter), shifter);
        const __m256 b = _mm256_fnmadd_ps(nn, _mm256_set1_ps(kLn2Lo),
                                          _mm256_fnmadd_ps(nn, _mm256_set1_ps(kLn2Hi), v));
        const __m256 u = _mm256_mul_ps(b, b);
        const __m256 j = _mm256_fmadd_ps(
            _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(kC5), b, _mm256_set1_ps(kC4)), u,
                            _mm256_fmadd_ps(_mm256_set1_ps(kC3), b, _mm256_set1_ps(kC2))),
            u, _mm256_fmadd_ps(_mm256_set1_ps(kC1), b, _mm256_set1_ps(1.0f)));
        // 2^n built in the exponent field is exact for normal exponents; the product then rounds
        // once, as the reference's scalef does. Other lanes (underflow, -inf, NaN) go the long way.
        const __m256 inRange = _mm256_and_ps(_mm256_cmp_ps(nn, _mm256_set1_ps(-126.0f), _CMP_GE_OQ),
                                             _mm256_cmp_ps(nn, _mm256_set1_ps(127.0f), _CMP_LE_OQ));
        // Far below: 0 outright (masked attention scores, -inf, land here).
        const __m256 zero = _mm256_cmp_ps(nn, _mm256_set1_ps(-kSaturation), _CMP_LT_OQ);
        const __m256i exponent =
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(nn), _mm256_set1_epi32(127)), 23);
        const __m256 scaled = _mm256_mul_ps(j, _mm256_castsi256_ps(exponent));
        _mm256_storeu_ps(out + i, _mm256_andnot_ps(zero, scaled));
        const int bad = ~(_mm256_movemask_ps(inRange) | _mm256_movemask_ps(zero)) & 0xff;
        if (bad != 0) {
            alignas(32) float js[8], ns[8];
            _mm256_store_ps(js, j);
            _mm256_store_ps(ns, nn);
            for (int l = 0; l < 8; ++l) {
                if (bad & (1 << l))
                    out[i + l] = scaleByPowerOfTwo(js[l], ns[l]);
            }
        }
    }
    expShiftedScalar(x + i, shift, n - i, out + i);
}

using ExpKernel = void (*)(const float*, float, int64_t, float*);

ExpKernel expKernel() {
    static const ExpKernel kernel = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? expShiftedAvx2
                                                                               : expShiftedScalar;
    }();
    return kernel;
}

}  // namespace

float polynomialExp(float x) {
    return expScalar(x);
}

void polynomialExpShifted(const float* x, float shift, int64_t n, float* out) {
    expKernel()(x, shift, n, out);
}

}  // namespace parley::ops
