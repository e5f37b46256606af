// AVX2 + FMA kernels: u8 x i8 products with maddubs, widened with madd.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "inference/cpu/matmul_kernels.h"
#include "inference/cpu/quantized_activations.h"
#include "inference/quant/dequantize.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

namespace parley::cpu::detail {
namespace {

struct Dot {
    static __m256i unsignedDot(__m256i u, __m256i a) {
        return _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1));
    }
    static __m256i scaledDotAdd(__m256i acc, __m256i u, __m256i a, __m256i scale16) {
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), scale16));
    }
    static __m256i bitsToBytes(uint32_t bits, __m256i value) {
        // Byte j gets byte j/8 of the word, then tests its own bit j%8.
        const __m256i spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(static_cast<int>(bits)),
            _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
        const __m256i bitOfByte = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
        const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bitOfByte), bitOfByte);
        return _mm256_and_si256(set, value);
    }
};

// 16 ymm registers: 4 rows x 2 tokens of accumulators leaves room for quants and activations.
constexpr int kTileRows = 4;
constexpr int kTileTokens = 2;

#include "inference/cpu/kernels_x86.inc"

}  // namespace

RowRangeKernel avx2Kernel(quant::GgmlType type) {
    return x86Kernel(type);
}

}  // namespace parley::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
