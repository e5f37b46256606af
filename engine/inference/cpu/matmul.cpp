#include "inference/cpu/matmul.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "inference/cpu/interleaved_weights.h"
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

detail::RowRangeKernel kernelFor(Isa isa, const WeightMatrix& w) {
    return w.interleaved != nullptr ? detail::interleavedKernel(isa, w.type)
                                    : detail::rowMajorKernel(isa, w.type);
}

// What the kernel reads: the interleaved copy when there is one.
const uint8_t* kernelWeights(const WeightMatrix& w) {
    return static_cast<const uint8_t*>(w.interleaved != nullptr ? w.interleaved : w.data);
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

namespace {

// Activations in the format the weight type pairs with: x itself for float weights, else rows
// quantised once into `buffer` (by the pool when there are several tokens).
void prepareActivations(quant::GgmlType type, int64_t cols, const float* x, int64_t nTokens,
                        ThreadPool& pool, std::vector<uint8_t>& buffer, detail::MatmulJob& job) {
    const ActivationFormat format = detail::activationFormat(type);
    if (format == ActivationFormat::F32) {
        job.activations = reinterpret_cast<const uint8_t*>(x);
        job.activationRowBytes = static_cast<std::size_t>(cols) * sizeof(float);
        return;
    }
    const bool small = format == ActivationFormat::Block32;
    const std::size_t blockBytes = small ? sizeof(detail::Q8Block32) : sizeof(detail::Q8Block256);
    const int64_t blocks = cols / (small ? detail::kBlock : detail::kSuperBlock);
    job.activationRowBytes = static_cast<std::size_t>(blocks) * blockBytes;
    buffer.resize(job.activationRowBytes * static_cast<std::size_t>(nTokens));
    uint8_t* base = buffer.data();
    const std::size_t rowBytes = job.activationRowBytes;
    const bool sumAsF16 = detail::pairsWithQ8_1(type);
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

// Whether two weight types read the same quantised activations.
bool shareActivations(quant::GgmlType a, quant::GgmlType b) {
    return detail::activationFormat(a) == detail::activationFormat(b) &&
           detail::pairsWithQ8_1(a) == detail::pairsWithQ8_1(b);
}

bool computable(const WeightMatrix& w, detail::RowRangeKernel kernel) {
    const quant::TypeTraits& traits = quant::typeTraits(w.type);
    return kernel != nullptr && traits.computeSupported && w.cols % traits.blockElements == 0;
}

}  // namespace

void matmul(const WeightMatrix& w, const float* x, int64_t nTokens, float* y, ThreadPool& pool,
            const KQuantOrder* orders) {
    const MatmulTarget target{&w, y};
    matmul(std::span(&target, 1), x, nTokens, pool, orders);
}

void matmul(std::span<const MatmulTarget> targets, const float* x, int64_t nTokens,
            ThreadPool& pool, const KQuantOrder* orders) {
    if (nTokens <= 0 || targets.empty())
        return;
    // Targets whose types read other activations than the first's go on their own.
    const WeightMatrix& first = *targets.front().weights;
    for (std::size_t i = 1; i < targets.size(); ++i) {
        const WeightMatrix& w = *targets[i].weights;
        if (w.cols != first.cols || !shareActivations(w.type, first.type)) {
            matmul(targets.first(i), x, nTokens, pool, orders);
            matmul(targets.subspan(i), x, nTokens, pool, orders);
            return;
        }
    }

    constexpr std::size_t kMaxTargets = 4;
    if (targets.size() > kMaxTargets) {
        matmul(targets.first(kMaxTargets), x, nTokens, pool, orders);
        matmul(targets.subspan(kMaxTargets), x, nTokens, pool, orders);
        return;
    }
    const Isa isa = activeIsa();
    detail::MatmulJob jobs[kMaxTargets];
    detail::RowRangeKernel kernels[kMaxTargets];
    int64_t firstPiece[kMaxTargets + 1] = {0};
    // Reused across calls: the decode loop would otherwise allocate on every matmul.
    thread_local std::vector<uint8_t> quantized;
    detail::MatmulJob shared;
    shared.cols = first.cols;
    shared.tokens = nTokens;
    shared.orders = orders;
    prepareActivations(first.type, first.cols, x, nTokens, pool, quantized, shared);
    std::size_t n = 0;
    for (const MatmulTarget& target : targets) {
        const WeightMatrix& w = *target.weights;
        const detail::RowRangeKernel kernel = kernelFor(isa, w);
        if (!computable(w, kernel)) {
            // The loader refuses such tensors; NaN makes a caller that skipped the check fail
            // loudly.
            std::fill(target.y, target.y + nTokens * w.rows,
                      std::numeric_limits<float>::quiet_NaN());
            continue;
        }
        if (w.rows <= 0)
            continue;
        detail::MatmulJob& job = jobs[n];
        job = shared;
        job.weights = kernelWeights(w);
        job.weightRowBytes = w.rowBytes;
        job.y = target.y;
        job.outputStride = w.rows;
        kernels[n] = kernel;
        firstPiece[n + 1] = firstPiece[n] + (w.rows + kRowGrain - 1) / kRowGrain;
        ++n;
    }
    if (n == 0)
        return;

    // One pool dispatch over the row pieces of every target: their rows are independent, and on
    // a decode step the wake-up and join of each dispatch cost as much as a small matrix.
    pool.parallelFor(firstPiece[n], [&](int64_t begin, int64_t end, int) {
        for (std::size_t i = 0; i < n && begin < end; ++i) {
            const int64_t from = std::max(begin, firstPiece[i]);
            const int64_t to = std::min(end, firstPiece[i + 1]);
            if (from >= to)
                continue;
            const int64_t rows = jobs[i].outputStride;
            const int64_t base = firstPiece[i];
            kernels[i](jobs[i], (from - base) * kRowGrain, std::min(rows, (to - base) * kRowGrain));
        }
    });
}

void getRow(const WeightMatrix& w, int64_t row, float* out) {
    if (w.interleaved != nullptr) {
        // Its GGUF pages may have been dropped from memory: read the copy.
        thread_local std::vector<uint8_t> bytes;
        bytes.resize(w.rowBytes);
        deinterleaveRow(w, row, bytes.data());
        quant::dequantizeRow(w.type, bytes.data(), out, w.cols);
        return;
    }
    const auto* src =
        static_cast<const uint8_t*>(w.data) + static_cast<std::size_t>(row) * w.rowBytes;
    quant::dequantizeRow(w.type, src, out, w.cols);
}

}  // namespace parley::cpu
