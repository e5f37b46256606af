// Device decoding of the ggml weight formats, eight consecutive elements ("a chunk") at a time:
// the unit one GEMV lane and the f16-tile decoder work on. Layouts and formulas are those of the
// scalar reference, engine/inference/quant/dequantize.cpp; F16, BF16 and F32 rows are read as
// pseudo-blocks of eight elements.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "inference/quant/ggml_type.h"

namespace parley::cuda {

// The file format's type ids: the host's table, so the two can never disagree.
using WeightType = quant::GgmlType;

template <WeightType T>
struct Format;

__device__ __forceinline__ float loadHalf(const uint8_t* p) {
    return __half2float(__ushort_as_half(uint16_t(p[0] | (p[1] << 8))));
}

__device__ __forceinline__ uint32_t loadU32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// Nibble of element e (0..31) of a 32-element block whose low nibbles hold elements 0..15.
__device__ __forceinline__ int nibble32(const uint8_t* qs, int e) {
    return e < 16 ? (qs[e] & 0xF) : (qs[e - 16] >> 4);
}

__device__ __forceinline__ void kScaleMin(const uint8_t* s, int j, int& scale, int& min) {
    if (j < 4) {
        scale = s[j] & 63;
        min = s[j + 4] & 63;
    } else {
        scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

template <>
struct Format<WeightType::Q4_0> {
    static constexpr int kElements = 32, kBytes = 18;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b);
#pragma unroll
        for (int j = 0; j < 8; ++j)
            y[j] = float(nibble32(b + 2, 8 * c + j) - 8) * d;
    }
};

template <>
struct Format<WeightType::Q4_1> {
    static constexpr int kElements = 32, kBytes = 20;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b), m = loadHalf(b + 2);
#pragma unroll
        for (int j = 0; j < 8; ++j)
            y[j] = float(nibble32(b + 4, 8 * c + j)) * d + m;
    }
};

template <>
struct Format<WeightType::Q5_0> {
    static constexpr int kElements = 32, kBytes = 22;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b);
        const uint32_t qh = loadU32(b + 2);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int e = 8 * c + j;
            y[j] = float((nibble32(b + 6, e) | int(((qh >> e) & 1u) << 4)) - 16) * d;
        }
    }
};

template <>
struct Format<WeightType::Q5_1> {
    static constexpr int kElements = 32, kBytes = 24;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b), m = loadHalf(b + 2);
        const uint32_t qh = loadU32(b + 4);
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int e = 8 * c + j;
            y[j] = float(nibble32(b + 8, e) | int(((qh >> e) & 1u) << 4)) * d + m;
        }
    }
};

template <>
struct Format<WeightType::Q8_0> {
    static constexpr int kElements = 32, kBytes = 34;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b);
        const auto* qs = reinterpret_cast<const int8_t*>(b + 2) + 8 * c;
#pragma unroll
        for (int j = 0; j < 8; ++j)
            y[j] = float(qs[j]) * d;
    }
};

template <>
struct Format<WeightType::Q4_K> {
    static constexpr int kElements = 256, kBytes = 144;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b), dmin = loadHalf(b + 2);
        const int e = 8 * c, quarter = e / 64, high = (e % 64) / 32, l = e % 32;
        int sc, mn;
        kScaleMin(b + 4, 2 * quarter + high, sc, mn);
        const uint8_t* qs = b + 16 + 32 * quarter + l;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int q = high ? (qs[j] >> 4) : (qs[j] & 0xF);
            y[j] = d * float(sc) * float(q) - dmin * float(mn);
        }
    }
};

template <>
struct Format<WeightType::Q5_K> {
    static constexpr int kElements = 256, kBytes = 176;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b), dmin = loadHalf(b + 2);
        const int e = 8 * c, quarter = e / 64, high = (e % 64) / 32, l = e % 32;
        int sc, mn;
        kScaleMin(b + 4, 2 * quarter + high, sc, mn);
        const uint8_t* qh = b + 16 + l;
        const uint8_t* qs = b + 48 + 32 * quarter + l;
        const int shift = 2 * quarter + high;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int q = (high ? (qs[j] >> 4) : (qs[j] & 0xF)) | (((qh[j] >> shift) & 1) << 4);
            y[j] = d * float(sc) * float(q) - dmin * float(mn);
        }
    }
};

template <>
struct Format<WeightType::Q6_K> {
    static constexpr int kElements = 256, kBytes = 210;
    __device__ static void chunk(const uint8_t* b, int c, float* y) {
        const float d = loadHalf(b + 208);
        const int e = 8 * c, half = e / 128, quarter = (e % 128) / 32, l = e % 32;
        const uint8_t* ql = b + 64 * half + (quarter & 1) * 32 + l;
        const uint8_t* qh = b + 128 + 32 * half + l;
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192) + 8 * half + 2 * quarter;
        const int qlShift = (quarter >> 1) * 4, qhShift = 2 * quarter;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int q = ((ql[j] >> qlShift) & 0xF) | (((qh[j] >> qhShift) & 3) << 4);
            y[j] = d * float(sc[(l + j) / 16]) * float(q - 32);
        }
    }
};

template <>
struct Format<WeightType::F16> {
    static constexpr int kElements = 8, kBytes = 16;
    __device__ static void chunk(const uint8_t* b, int, float* y) {
        const uint4 raw = *reinterpret_cast<const uint4*>(b);
        const auto* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const float2 f = __half22float2(h[j]);
            y[2 * j] = f.x;
            y[2 * j + 1] = f.y;
        }
    }
};

template <>
struct Format<WeightType::BF16> {
    static constexpr int kElements = 8, kBytes = 16;
    __device__ static void chunk(const uint8_t* b, int, float* y) {
        const uint4 raw = *reinterpret_cast<const uint4*>(b);
        const auto* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const float2 f = __bfloat1622float2(h[j]);
            y[2 * j] = f.x;
            y[2 * j + 1] = f.y;
        }
    }
};

template <>
struct Format<WeightType::F32> {
    static constexpr int kElements = 8, kBytes = 32;
    __device__ static void chunk(const uint8_t* b, int, float* y) {
        const float4* p = reinterpret_cast<const float4*>(b);
        const float4 a = p[0], c = p[1];
        y[0] = a.x, y[1] = a.y, y[2] = a.z, y[3] = a.w;
        y[4] = c.x, y[5] = c.y, y[6] = c.z, y[7] = c.w;
    }
};

template <WeightType T>
struct TypeTag {
    static constexpr WeightType value = T;
};

// Calls f(TypeTag<T>{}) for the runtime type; false for types the backend lacks.
template <typename F>
bool dispatchWeightType(uint32_t type, F&& f) {
    switch (WeightType(type)) {
        case WeightType::F32:
            f(TypeTag<WeightType::F32>{});
            return true;
        case WeightType::F16:
            f(TypeTag<WeightType::F16>{});
            return true;
        case WeightType::BF16:
            f(TypeTag<WeightType::BF16>{});
            return true;
        case WeightType::Q4_0:
            f(TypeTag<WeightType::Q4_0>{});
            return true;
        case WeightType::Q4_1:
            f(TypeTag<WeightType::Q4_1>{});
            return true;
        case WeightType::Q5_0:
            f(TypeTag<WeightType::Q5_0>{});
            return true;
        case WeightType::Q5_1:
            f(TypeTag<WeightType::Q5_1>{});
            return true;
        case WeightType::Q8_0:
            f(TypeTag<WeightType::Q8_0>{});
            return true;
        case WeightType::Q4_K:
            f(TypeTag<WeightType::Q4_K>{});
            return true;
        case WeightType::Q5_K:
            f(TypeTag<WeightType::Q5_K>{});
            return true;
        case WeightType::Q6_K:
            f(TypeTag<WeightType::Q6_K>{});
            return true;
        default:
            return false;
    }
}

}  // namespace parley::cuda
