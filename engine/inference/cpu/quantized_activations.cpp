#include "inference/cpu/quantized_activations.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "inference/quant/dequantize.h"

namespace parley::cpu::detail {
namespace {

// Rounds half to even, like ggml's SIMD quantisers (_mm256_round_ps) and its nearest_int(), without
// a libm call per element (that would cost more than the GEMV of a small matrix).
inline int roundNearestEven(float v) {
    const float shifted = v + 12582912.0f;  // 1.5 * 2^23: the float's low mantissa bits hold v
    int bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

// Q8_0 / Q8_1 blocks exactly as ggml makes them, so our integer dot products see the same quants
// and scales as llama.cpp's and the two engines agree to rounding noise: d = max|x| / 127 kept as
// f16, quants from the unrounded d.
float quantizeBlock32(const float* x, int8_t* qs, float* unroundedD) {
    float amax = 0.0f;
    for (int i = 0; i < kBlock; ++i)
        amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    // 127 / amax, not 1 / d: the two differ in the last bit, which moves borderline quants.
    const float inverse = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int i = 0; i < kBlock; ++i)
        qs[i] = static_cast<int8_t>(roundNearestEven(x[i] * inverse));
    *unroundedD = d;
    return quant::f16ToF32(quant::f32ToF16(d));
}

}  // namespace

ActivationFormat activationFormat(quant::GgmlType weightType) {
    switch (weightType) {
        case quant::GgmlType::Q4_0:
        case quant::GgmlType::Q4_1:
        case quant::GgmlType::Q5_0:
        case quant::GgmlType::Q5_1:
        case quant::GgmlType::Q8_0:
            return ActivationFormat::Block32;
        case quant::GgmlType::Q4_K:
        case quant::GgmlType::Q5_K:
        case quant::GgmlType::Q6_K:
            return ActivationFormat::Block256;
        default:
            return ActivationFormat::F32;
    }
}

bool pairsWithQ8_1(quant::GgmlType weightType) {
    return weightType == quant::GgmlType::Q4_1 || weightType == quant::GgmlType::Q5_1;
}

void quantizeRowQ8Block32(const float* x, int64_t n, bool sumAsF16, Q8Block32* out) {
    for (int64_t b = 0; b < n / kBlock; ++b) {
        Q8Block32& block = out[b];
        float d = 0.0f;
        block.d = quantizeBlock32(x + b * kBlock, block.qs, &d);
        int sum = 0;
        for (int8_t q : block.qs)
            sum += q;
        const float s = d * static_cast<float>(sum);
        block.s = sumAsF16 ? quant::f16ToF32(quant::f32ToF16(s)) : s;
    }
}

// Q8_K as ggml makes it: the scale comes from the signed value of largest magnitude, so that value
// maps to -127 and its opposite may clamp at +127; d stays f32.
void quantizeRowQ8Block256(const float* x, int64_t n, Q8Block256* out) {
    for (int64_t b = 0; b < n / kSuperBlock; ++b) {
        Q8Block256& block = out[b];
        const float* xb = x + b * kSuperBlock;
        float max = 0.0f;
        float amax = 0.0f;
        for (int i = 0; i < kSuperBlock; ++i) {
            if (std::fabs(xb[i]) > amax) {
                amax = std::fabs(xb[i]);
                max = xb[i];
            }
        }
        if (amax == 0.0f) {
            block.d = 0.0f;
            std::fill(std::begin(block.qs), std::end(block.qs), int8_t{0});
        } else {
            const float inverse = -127.0f / max;
            for (int i = 0; i < kSuperBlock; ++i)
                block.qs[i] = static_cast<int8_t>(std::min(127, roundNearestEven(inverse * xb[i])));
            block.d = 1.0f / inverse;
        }
        for (int g = 0; g < kSuperBlock / 16; ++g) {
            int sum = 0;
            for (int i = 0; i < 16; ++i)
                sum += block.qs[16 * g + i];
            block.bsums[g] = static_cast<int16_t>(sum);
        }
    }
}

}  // namespace parley::cpu::detail
