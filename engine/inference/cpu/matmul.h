// Matrix products of quantised weights with float activations, the engine's hot loop.
// Activations are quantised once per call to the weight type's 8-bit partner (Q8_0, Q8_1, Q8_K)
// and multiplied with integer dot products; the ISA (AVX-512 VNNI, AVX2+FMA, scalar) is chosen at
// run time. The scalar path is the reference the fast paths are tested against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "inference/cpu/thread_pool.h"
#include "inference/quant/ggml_type.h"

namespace parley::cpu {

// A 2-D weight as stored in GGUF: `rows` rows of `cols` contiguous elements (ne[0] = cols).
struct WeightMatrix {
    quant::GgmlType type = quant::GgmlType::F32;
    const void* data = nullptr;
    int64_t cols = 0;
    int64_t rows = 0;
    std::size_t rowBytes = 0;
    // The same rows in the 16-row interleaved layout (interleaved_weights.h), made at load for
    // the AVX-512 VNNI kernels, or null. When set, matmul and getRow read it instead of data.
    const void* interleaved = nullptr;
};

enum class Isa { Scalar, Avx2, Avx512Vnni };
Isa detectedIsa();     // best the machine supports
Isa activeIsa();       // what matmul uses now
void setIsa(Isa isa);  // tests compare paths; clamped to detectedIsa()
const char* isaName(Isa isa);

// llama.cpp adds a K-quant product's terms in an order that depends on how many tokens it
// multiplies at once (on x86 with AVX2): its repacked Q4_K sums 64-element slices in its 4-token
// gemm (the first n - n % 4 tokens) but whole super-blocks in its gemv (the rest); its Q6_K uses a
// tiled kernel from 8 tokens on and an 8-lane vec_dot below. Per token, the order to reproduce.
struct KQuantOrder {
    bool q4kSlices = false;  // Q4_K (and Q5_K): one multiply-add pair per 64 elements
    bool q6kBlocks = false;  // Q6_K: one multiply-add per super-block instead of 8 lanes
};

// llama.cpp's order for token `index` of `count` tokens multiplied together.
KQuantOrder kQuantOrder(int64_t index, int64_t count);

// y[t * w.rows + r] = dot(row r of w, x[t * w.cols ...]) for t in [0, nTokens). `orders` (one per
// token) picks the K-quant summation order; nullptr sums every token as llama.cpp sums one token
// alone, so a token's result does not depend on the others.
void matmul(const WeightMatrix& w, const float* x, int64_t nTokens, float* y, ThreadPool& pool,
            const KQuantOrder* orders = nullptr);

// One product of a multi-weight matmul: y = w x.
struct MatmulTarget {
    const WeightMatrix* weights = nullptr;
    float* y = nullptr;
};

// The products of several weights with the same activations (q, k and v; gate and up): the
// activations are quantised once and every weight's rows go to the pool in one dispatch. Same
// results as one matmul per target.
void matmul(std::span<const MatmulTarget> targets, const float* x, int64_t nTokens,
            ThreadPool& pool, const KQuantOrder* orders = nullptr);

// Decodes row `row` of w into `out` (w.cols floats): embedding look-ups.
void getRow(const WeightMatrix& w, int64_t row, float* out);

}  // namespace parley::cpu
