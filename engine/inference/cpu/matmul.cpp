#include "inference/cpu/matmul.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "inference/cpu/matmul_kernels.h"
#include "inference/cpu/quantized_activations.h"
#include "inference/quant/dequantize.h"

namespace parley::cpu {
namespace {

using detail::ActivationFormat;

#if defined(__x86_64__) || defined(__i386__)
// F16C (fp16 conversions) by CPUID leaf 1, ECX bit 29: clang's __builtin_cpu_supports does not
// know it.
bool hasF16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}
#endif

Isa probeIsa() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && hasF16c();
    const bool vnni = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
    if (vnni)
        return Isa::Avx512Vnni;
    if (avx2)
        return Isa::Avx2;
#endif
    return Isa::Scalar;
}

std::atomic<Isa>& activeIsaSlot() {
    static std::atomic<Isa> slot{detectedIsa()};
    return slot;
}

detail::RowRangeKernel kernelFor(Isa isa, quant::GgmlType type) {
    detail::RowRangeKernel kernel = nullptr;
    if (isa == Isa::Avx512Vnni)
        kernel = detail::avx512VnniKernel(type);
    else if (isa == Isa::Avx2)
        kernel = detail::avx2Kernel(type);
    return kernel != nullptr ? kernel : detail::scalarKernel(type);
}

// Rows handed to a thread at a time: a multiple of every kernel's row tile.
constexpr int64_t kRowGrain = 16;

}  // namespace

Isa detectedIsa() {
    static const Isa isa = probeIsa();
    return isa;
}

Isa activeIsa() {
    return activeIsaSlot().load(std::memory_order_relaxed);
}

void setIsa(Isa isa) {
    const Isa best = detectedIsa();
    activeIsaSlot().store(static_cast<int>(isa) > static_cast<int>(best) ? best : isa,
                          std::memory_order_relaxed);
}

const char* isaName(Isa isa) {
    switch (isa) {
        case Isa::Scalar:
            return "scalar";
        case Isa::Avx2:
            return "avx2";
        case Isa::Avx512Vnni:
            return "avx512vnni";
    }
    return "unknown";
}

KQuantOrder kQuantOrder(int64_t index, int64_t count) {
    return {index < count - count % 4, count >= 8};
}

void matmul(const WeightMatrix& w, const float* x, int64_t nTokens, float* y, ThreadPool& pool,
            const KQuantOrder* orders) {
    if (nTokens <= 0 || w.rows <= 0)
        return;
    const quant::TypeTraits& traits = quant::typeTraits(w.type);
    const detail::RowRangeKernel kernel = kernelFor(activeIsa(), w.type);
    if (kernel == nullptr || !traits.computeSupported || w.cols % traits.blockElements != 0) {
        // The loader refuses such tensors; NaN makes a caller that skipped the check fail loudly.
        std::fill(y, y + nTokens * w.rows, std::numeric_limits<float>::quiet_NaN());
        return;
    }

    detail::MatmulJob job;
    job.weights = static_cast<const uint8_t*>(w.data);
    job.weightRowBytes = w.rowBytes;
    job.cols = w.cols;
    job.tokens = nTokens;
    job.y = y;
    job.outputStride = w.rows;
    job.orders = orders;

    // Reused across calls: the decode loop would otherwise allocate on every matmul.
    thread_local std::vector<uint8_t> quantized;
    const ActivationFormat format = detail::activationFormat(w.type);
    if (format == ActivationFormat::F32) {
        job.activations = reinterpret_cast<const uint8_t*>(x);
        job.activationRowBytes = static_cast<std::size_t>(w.cols) * sizeof(float);
    } else {
        const bool small = format == ActivationFormat::Block32;
        const std::size_t blockBytes =
            small ? sizeof(detail::Q8Block32) : sizeof(detail::Q8Block256);
        const int64_t blocks = w.cols / (small ? detail::kBlock : detail::kSuperBlock);
        job.activationRowBytes = static_cast<std::size_t>(blocks) * blockBytes;
        quantized.resize(job.activationRowBytes * static_cast<std::size_t>(nTokens));
        uint8_t* base = quantized.data();
        const std::size_t rowBytes = job.activationRowBytes;
        const int64_t cols = w.cols;
        const bool sumAsF16 = detail::pairsWithQ8_1(w.type);
        auto quantizeTokens = [&](int64_t begin, int64_t end, int) {
            for (int64_t t = begin; t < end; ++t) {
                uint8_t* dst = base + static_cast<std::size_t>(t) * rowBytes;
                if (small)
                    detail::quantizeRowQ8Block32(x + t * cols, cols, sumAsF16,
                                                 reinterpret_cast<detail::Q8Block32*>(dst));
                else
                    detail::quantizeRowQ8Block256(x + t * cols, cols,
                                                  reinterpret_cast<detail::Q8Block256*>(dst));
            }
        };
        if (nTokens > 1)
            pool.parallelFor(nTokens, quantizeTokens);
        else
            quantizeTokens(0, 1, 0);
        job.activations = base;
    }

    const int64_t pieces = (w.rows + kRowGrain - 1) / kRowGrain;
    pool.parallelFor(pieces, [&](int64_t begin, int64_t end, int) {
        kernel(job, begin * kRowGrain, std::min(w.rows, end * kRowGrain));
    });
}

void getRow(const WeightMatrix& w, int64_t row, float* out) {
    const auto* src =
        static_cast<const uint8_t*>(w.data) + static_cast<std::size_t>(row) * w.rowBytes;
    quant::dequantizeRow(w.type, src, out, w.cols);
}

}  // namespace parley::cpu
