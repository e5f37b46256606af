// The 8-bit activation formats matmul quantises float activations into, one per weight family.
// The values are made exactly as ggml makes Q8_0/Q8_1/Q8_K (same quants, f16-rounded d and s), so
// our integer dot products match llama.cpp's; the byte layout is our own (scales kept as floats).
#pragma once

#include <cstdint>

#include "inference/quant/ggml_type.h"

namespace parley::cpu::detail {

constexpr int kBlock = 32;        // elements per Q4_0..Q8_0 block
constexpr int kSuperBlock = 256;  // elements per K-quant super-block

// Partner of the 32-element weight types (ggml Q8_0 and Q8_1): x[i] ~ d * qs[i]; s = d * sum(qs)
// lets a Q4_1/Q5_1 min contribute m * s instead of a second pass over the quants. ggml's Q8_1
// (partner of Q4_1/Q5_1) stores s as f16 and its result depends on that rounding; its Q8_0
// (partner of Q4_0/Q5_0/Q8_0) has no s: the kernels subtract those offsets exactly in integers.
struct Q8Block32 {
    int8_t qs[kBlock];
    float d;
    float s;
};
static_assert(sizeof(Q8Block32) == 40);

// Partner of the K-quants (ggml Q8_K): bsums[g] = sum of qs[16g .. 16g+15].
struct Q8Block256 {
    int8_t qs[kSuperBlock];
    int16_t bsums[kSuperBlock / 16];
    float d;
};
static_assert(sizeof(Q8Block256) == 292);

enum class ActivationFormat { F32, Block32, Block256 };
ActivationFormat activationFormat(quant::GgmlType weightType);

// Quantises n floats (a multiple of the block size) with d = max|x| / 127; s rounded to f16 when
// sumAsF16 (the Q8_1 partner).
void quantizeRowQ8Block32(const float* x, int64_t n, bool sumAsF16, Q8Block32* out);
// Whether weights of this type pair with Q8_1 (f16 s) rather than Q8_0.
bool pairsWithQ8_1(quant::GgmlType weightType);
void quantizeRowQ8Block256(const float* x, int64_t n, Q8Block256* out);

}  // namespace parley::cpu::detail
