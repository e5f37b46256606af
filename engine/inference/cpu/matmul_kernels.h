// The per-ISA kernels behind matmul(): each computes the outputs of a range of weight rows for
// every token, reading each weight row once (tokens are tiled inside the row pass).
#pragma once

#include <cstddef>
#include <cstdint>

#include "inference/cpu/matmul.h"
#include "inference/quant/ggml_type.h"

namespace parley::cpu::detail {

struct MatmulJob {
    const uint8_t* weights = nullptr;  // row r starts at weights + r * weightRowBytes
    std::size_t weightRowBytes = 0;
    int64_t cols = 0;
    // Token t's activations (F32, Q8Block32 or Q8Block256 rows, see quantized_activations.h)
    // start at activations + t * activationRowBytes.
    const uint8_t* activations = nullptr;
    std::size_t activationRowBytes = 0;
    int64_t tokens = 0;
    float* y = nullptr;  // y[t * outputStride + r]
    int64_t outputStride = 0;
    const KQuantOrder* orders = nullptr;  // per token; nullptr: each token as if alone
};

inline KQuantOrder kQuantOrderOf(const MatmulJob& job, int64_t token) {
    return job.orders != nullptr ? job.orders[token] : KQuantOrder{};
}

using RowRangeKernel = void (*)(const MatmulJob& job, int64_t rowBegin, int64_t rowEnd);

// nullptr when the type has no kernel on that ISA.
RowRangeKernel scalarKernel(quant::GgmlType type);
RowRangeKernel avx2Kernel(quant::GgmlType type);
RowRangeKernel avx512VnniKernel(quant::GgmlType type);

// The kernel for `type` on `isa` reading the GGUF rows.
RowRangeKernel rowMajorKernel(Isa isa, quant::GgmlType type);

// Kernels for matrices with an interleaved copy (job.weights = w.interleaved, whole 16-row
// groups). The AVX-512 VNNI one reads the layout; nullptr when the type has none.
RowRangeKernel avx512VnniInterleavedKernel(quant::GgmlType type);
// For `isa`: the VNNI kernel above, or else (the reference twin, and AVX2) each group turned back
// into GGUF rows for that ISA's row-major kernel.
RowRangeKernel interleavedKernel(Isa isa, quant::GgmlType type);

}  // namespace parley::cpu::detail
