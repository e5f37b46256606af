// AVX-512 VNNI kernels: vpdpbusd does u8 x i8 dot products with 32-bit accumulation in one
// instruction, vpdpwssd applies i16 sub-block scales. Few tokens use the shared row tiles on
// 256-bit vectors (AVX512VL; the 32 vector registers allow 4 rows x 4 tokens); many tokens use
// 512-bit interleaved row groups (kernels_avx512_prefill.inc).
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "inference/cpu/matmul_kernels.h"
#include "inference/cpu/quantized_activations.h"
#include "inference/quant/dequantize.h"

#if defined(__clang__)
#pragma clang attribute push(                                                               \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#endif

namespace parley::cpu::detail {
namespace {

struct Dot {
    static __m256i unsignedDot(__m256i u, __m256i a) {
        return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, a);
    }
    static __m256i scaledDotAdd(__m256i acc, __m256i u, __m256i a, __m256i scale16) {
        return _mm256_dpwssd_epi32(acc, _mm256_maddubs_epi16(u, a), scale16);
    }
    static __m256i bitsToBytes(uint32_t bits, __m256i value) {
        return _mm256_maskz_mov_epi8(_cvtu32_mask32(bits), value);
    }
};

constexpr int kTileRows = 4;
constexpr int kTileTokens = 4;

#include "inference/cpu/kernels_x86.inc"
// Uses the formats and tiles of kernels_x86.inc.
#include "inference/cpu/kernels_avx512_prefill.inc"
// Uses the Line order and helpers of kernels_avx512_prefill.inc.
#include "inference/cpu/kernels_avx512_interleaved.inc"

}  // namespace

RowRangeKernel avx512VnniKernel(quant::GgmlType type) {
    return vnniKernel(type);
}

RowRangeKernel avx512VnniInterleavedKernel(quant::GgmlType type) {
    return vnniInterleavedKernel(type);
}

}  // namespace parley::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
