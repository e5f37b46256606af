// Random weight matrices in any ggml type the engine computes with: random quants, and every
// block's f16 scales small valid numbers (random bytes there could be NaN or infinity). For the
// CUDA kernel tests and benchmarks.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "inference/quant/dequantize.h"
#include "inference/quant/ggml_type.h"

namespace parley::test_support {

inline void putHalf(uint8_t* p, float v) {
    const uint16_t h = quant::f32ToF16(v);
    p[0] = uint8_t(h & 0xFF);
    p[1] = uint8_t(h >> 8);
}

inline std::vector<uint8_t> randomWeights(quant::GgmlType type, int64_t rows, int64_t cols,
                                          std::mt19937& rng) {
    using quant::GgmlType;
    const auto& traits = quant::typeTraits(type);
    const std::size_t rowBytes = *quant::rowBytes(type, uint64_t(cols));
    std::vector<uint8_t> bytes(rowBytes * rows);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    if (type == GgmlType::F16 || type == GgmlType::BF16 || type == GgmlType::F32) {
        for (std::size_t i = 0; i < bytes.size(); i += traits.blockBytes) {
            const float v = value(rng);
            if (type == GgmlType::F16) {
                putHalf(&bytes[i], v);
            } else if (type == GgmlType::BF16) {
                const uint16_t b = quant::f32ToBf16(v);
                bytes[i] = uint8_t(b & 0xFF);
                bytes[i + 1] = uint8_t(b >> 8);
            } else {
                std::memcpy(&bytes[i], &v, 4);
            }
        }
        return bytes;
    }
    for (auto& b : bytes)
        b = uint8_t(byte(rng));
    for (std::size_t block = 0; block < bytes.size(); block += traits.blockBytes) {
        uint8_t* p = &bytes[block];
        switch (type) {
            case GgmlType::Q4_1:
            case GgmlType::Q5_1:
            case GgmlType::Q4_K:
            case GgmlType::Q5_K:
                putHalf(p, scale(rng));
                putHalf(p + 2, scale(rng));
                break;
            case GgmlType::Q6_K:
                putHalf(p + 208, scale(rng));
                break;
            default:
                putHalf(p, scale(rng));
                break;
        }
    }
    return bytes;
}

}  // namespace parley::test_support
