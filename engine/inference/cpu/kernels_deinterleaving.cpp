// Kernel choice for both weight layouts. Interleaved matrices on ISAs without a kernel for the
// layout (scalar, the reference; AVX2) turn each 16-row group back into GGUF rows in a per-thread
// buffer and run the row-major kernel on them, so they compute exactly what the row-major matrix
// gives.
#include <vector>

#include "inference/cpu/interleaved_weights.h"
#include "inference/cpu/matmul_kernels.h"

namespace parley::cpu::detail {
namespace {

using quant::GgmlType;

template <Isa isa, GgmlType type>
void deinterleavedRows(const MatmulJob& job, int64_t rowBegin, int64_t rowEnd) {
    thread_local std::vector<uint8_t> rows;
    rows.resize(static_cast<std::size_t>(kInterleavedRows) * job.weightRowBytes);
    const RowRangeKernel rowMajor = rowMajorKernel(isa, type);
    for (int64_t r = rowBegin; r < rowEnd; r += kInterleavedRows) {
        deinterleaveGroup(type, job.cols, job.weights + r * job.weightRowBytes, rows.data());
        MatmulJob group = job;
        group.weights = rows.data();
        group.y = job.y + r;
        rowMajor(group, 0, kInterleavedRows);
    }
}

template <Isa isa>
RowRangeKernel deinterleavingKernel(GgmlType type) {
    switch (type) {
        case GgmlType::Q4_1:
            return deinterleavedRows<isa, GgmlType::Q4_1>;
        case GgmlType::Q8_0:
            return deinterleavedRows<isa, GgmlType::Q8_0>;
        default:
            return nullptr;
    }
}

}  // namespace

RowRangeKernel rowMajorKernel(Isa isa, GgmlType type) {
    RowRangeKernel kernel = nullptr;
    if (isa == Isa::Avx512Vnni)
        kernel = avx512VnniKernel(type);
    else if (isa == Isa::Avx2)
        kernel = avx2Kernel(type);
    return kernel != nullptr ? kernel : scalarKernel(type);
}

RowRangeKernel interleavedKernel(Isa isa, GgmlType type) {
    switch (isa) {
        case Isa::Avx512Vnni:
            if (const RowRangeKernel kernel = avx512VnniInterleavedKernel(type))
                return kernel;
            return deinterleavingKernel<Isa::Avx512Vnni>(type);
        case Isa::Avx2:
            return deinterleavingKernel<Isa::Avx2>(type);
        case Isa::Scalar:
            break;
    }
    return deinterleavingKernel<Isa::Scalar>(type);
}

}  // namespace parley::cpu::detail
