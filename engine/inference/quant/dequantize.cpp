#include "inference/quant/dequantize.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace parley::quant {
namespace {

constexpr int kQK = 32;

uint16_t readU16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t readU32(const uint8_t* p) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

float readF16(const uint8_t* p) {
    return f16ToF32(readU16(p));
}

// Byte offsets of each block's fields, in storage order (ENGINE_FACTS §2.2).
void decodeQ4_0(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const uint8_t* qs = b + 2;
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
        y[j + kQK / 2] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
}

void decodeQ4_1(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const float m = readF16(b + 2);
    const uint8_t* qs = b + 4;
    for (int j = 0; j < kQK / 2; ++j) {
        y[j] = static_cast<float>(qs[j] & 0xF) * d + m;
        y[j + kQK / 2] = static_cast<float>(qs[j] >> 4) * d + m;
    }
}

// The five-bit quant of element j of a Q5_0/Q5_1 block.
int fiveBitQuant(const uint8_t* qs, uint32_t qh, int j) {
    const int nibble = j < kQK / 2 ? (qs[j] & 0xF) : (qs[j - kQK / 2] >> 4);
    return nibble | static_cast<int>(((qh >> j) & 1u) << 4);
}

void decodeQ5_0(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const uint32_t qh = readU32(b + 2);
    const uint8_t* qs = b + 6;
    for (int j = 0; j < kQK; ++j)
        y[j] = static_cast<float>(fiveBitQuant(qs, qh, j) - 16) * d;
}

void decodeQ5_1(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const float m = readF16(b + 2);
    const uint32_t qh = readU32(b + 4);
    const uint8_t* qs = b + 8;
    for (int j = 0; j < kQK; ++j)
        y[j] = static_cast<float>(fiveBitQuant(qs, qh, j)) * d + m;
}

void decodeQ8_0(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const auto* qs = reinterpret_cast<const int8_t*>(b + 2);
    for (int j = 0; j < kQK; ++j)
        y[j] = static_cast<float>(qs[j]) * d;
}

void decodeQ4_K(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const float dmin = readF16(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qs = b + 16;
    for (int c = 0; c < 4; ++c) {
        const KQuantScale lo = kQuantScaleMin(scales, 2 * c);
        const KQuantScale hi = kQuantScaleMin(scales, 2 * c + 1);
        for (int l = 0; l < 32; ++l) {
            const uint8_t q = qs[32 * c + l];
            y[64 * c + l] = d * lo.scale * (q & 0xF) - dmin * lo.min;
            y[64 * c + 32 + l] = d * hi.scale * (q >> 4) - dmin * hi.min;
        }
    }
}

void decodeQ5_K(const uint8_t* b, float* y) {
    const float d = readF16(b);
    const float dmin = readF16(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + 48;
    for (int c = 0; c < 4; ++c) {
        const KQuantScale lo = kQuantScaleMin(scales, 2 * c);
        const KQuantScale hi = kQuantScaleMin(scales, 2 * c + 1);
        for (int l = 0; l < 32; ++l) {
            const uint8_t q = qs[32 * c + l];
            const int qLo = (q & 0xF) | (((qh[l] >> (2 * c)) & 1) << 4);
            const int qHi = (q >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
            y[64 * c + l] = d * lo.scale * qLo - dmin * lo.min;
            y[64 * c + 32 + l] = d * hi.scale * qHi - dmin * hi.min;
        }
    }
}

void decodeQ6_K(const uint8_t* b, float* y) {
    const uint8_t* qlAll = b;
    const uint8_t* qhAll = b + 128;
    const auto* scAll = reinterpret_cast<const int8_t*>(b + 192);
    const float d = readF16(b + 208);
    for (int h = 0; h < 2; ++h) {
        const uint8_t* ql = qlAll + 64 * h;
        const uint8_t* qh = qhAll + 32 * h;
        const int8_t* sc = scAll + 8 * h;
        float* out = y + 128 * h;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q0 = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
            const int q1 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
            const int q2 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
            const int q3 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
            out[l] = d * sc[is + 0] * (q0 - 32);
            out[l + 32] = d * sc[is + 2] * (q1 - 32);
            out[l + 64] = d * sc[is + 4] * (q2 - 32);
            out[l + 96] = d * sc[is + 6] * (q3 - 32);
        }
    }
}

using BlockDecoder = void (*)(const uint8_t*, float*);

BlockDecoder blockDecoder(GgmlType type) {
    switch (type) {
        case GgmlType::Q4_0:
            return decodeQ4_0;
        case GgmlType::Q4_1:
            return decodeQ4_1;
        case GgmlType::Q5_0:
            return decodeQ5_0;
        case GgmlType::Q5_1:
            return decodeQ5_1;
        case GgmlType::Q8_0:
            return decodeQ8_0;
        case GgmlType::Q4_K:
            return decodeQ4_K;
        case GgmlType::Q5_K:
            return decodeQ5_K;
        case GgmlType::Q6_K:
            return decodeQ6_K;
        default:
            return nullptr;
    }
}

}  // namespace

float f16ToF32(uint16_t h) {
    const uint32_t sign = uint32_t{h & 0x8000u} << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    const uint32_t mantissa = h & 0x3FF;
    if (exponent == 0) {
        // Zero or subnormal: mantissa units of 2^-24, exact in binary32.
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 0x1F)
        return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
    return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

uint16_t f32ToF16(float f) {
    uint32_t x = std::bit_cast<uint32_t>(f);
    const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000);
    x &= 0x7FFFFFFF;
    if (x > 0x7F800000)  // NaN: keep it quiet and keep the top payload bits
        return static_cast<uint16_t>(sign | 0x7E00 | ((x >> 13) & 0x3FF));
    if (x >= 0x477FF000)  // >= 65520 rounds to infinity
        return static_cast<uint16_t>(sign | 0x7C00);
    if (x < 0x38800000) {
        // Below the smallest normal half: adding 0.5f makes the FPU round the value to a multiple
        // of 2^-24 (the subnormal half step) with round-to-nearest-even.
        const float rounded = std::bit_cast<float>(x) + 0.5f;
        return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(rounded) - 0x3F000000u));
    }
    const uint32_t oddMantissa = (x >> 13) & 1;
    x = x - (uint32_t{127 - 15} << 23) + 0xFFF + oddMantissa;  // rebias, round to nearest even
    return static_cast<uint16_t>(sign | (x >> 13));
}

float bf16ToF32(uint16_t b) {
    return std::bit_cast<float>(uint32_t{b} << 16);
}

uint16_t f32ToBf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7FFFFFFF) > 0x7F800000)
        return static_cast<uint16_t>((x >> 16) | 0x40);
    return static_cast<uint16_t>((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}

KQuantScale kQuantScaleMin(const uint8_t* scales, int j) {
    if (j < 4)
        return {scales[j] & 63, scales[j + 4] & 63};
    return {(scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4),
            (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4)};
}

void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(src);
    switch (type) {
        case GgmlType::F32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            return;
        case GgmlType::F16:
            for (int64_t i = 0; i < n; ++i)
                dst[i] = f16ToF32(readU16(bytes + 2 * i));
            return;
        case GgmlType::BF16:
            for (int64_t i = 0; i < n; ++i)
                dst[i] = bf16ToF32(readU16(bytes + 2 * i));
            return;
        default:
            break;
    }
    const BlockDecoder decode = blockDecoder(type);
    if (decode == nullptr)
        return;
    const TypeTraits& traits = typeTraits(type);
    const int64_t blocks = n / traits.blockElements;
    for (int64_t i = 0; i < blocks; ++i)
        decode(bytes + i * traits.blockBytes, dst + i * traits.blockElements);
}

}  // namespace parley::quant
