// Matrix products of quantised weights with float activations, the engine's hot loop.
// Activations are quantised once per call to the weight type's 8-bit partner (Q8_0, Q8_1, Q8_K)
// and multiplied with integer dot products; the ISA (AVX-512 VNNI, AVX2+FMA, scalar) is chosen at
// run time. The scalar path is the reference the fast paths are tested against.
#pragma once

#include <cstddef>
#include <cstdint>

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
};

enum class Isa { Scalar, Avx2, Avx512Vnni };
Isa detectedIsa();     // best the machine supports
Isa activeIsa();       // what matmul uses now
void setIsa(Isa isa);  // tests compare paths; clamped to detectedIsa()
const char* isaName(Isa isa);

// y[t * w.rows + r] = dot(row r of w, x[t * w.cols ...]) for t in [0, nTokens).
void matmul(const WeightMatrix& w, const float* x, int64_t nTokens, float* y, ThreadPool& pool);

// Decodes row `row` of w into `out` (w.cols floats): embedding look-ups.
void getRow(const WeightMatrix& w, int64_t row, float* out);

}  // namespace parley::cpu
