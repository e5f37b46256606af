// Portable kernels: the same integer arithmetic as the SIMD paths, one block at a time. They run
// on machines without AVX2 and are the bit-for-bit model of what the SIMD kernels compute: the
// same float operations in the same order (fused multiply-adds; for the 32-element types
// llama.cpp's 8 lanes per block, for the K-quants the token's KQuantOrder), so every ISA and every
// batch size gives identical outputs.
#include <cmath>
#include <cstring>

#include "inference/cpu/matmul_kernels.h"
#include "inference/cpu/quantized_activations.h"
#include "inference/quant/dequantize.h"

namespace parley::cpu::detail {
namespace {

using quant::GgmlType;

float loadF16(const uint8_t* p) {
    uint16_t h = 0;
    std::memcpy(&h, p, sizeof h);
    return quant::f16ToF32(h);
}

// A 32-element weight block as quants q[i] with w[i] = d * (q[i] - offset) + m: unsigned for the
// 4- and 5-bit types (offset 8 / 16 for Q4_0 / Q5_0, m only for Q4_1 / Q5_1), signed for Q8_0.
struct Block32 {
    int q[kBlock];
    float d;
    float m;
};

void fiveBitQuants(const uint8_t* qhBytes, const uint8_t* qs, int* q) {
    uint32_t qh = 0;
    std::memcpy(&qh, qhBytes, sizeof qh);
    for (int j = 0; j < kBlock / 2; ++j) {
        q[j] = (qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1) << 4);
        q[j + 16] = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4);
    }
}

template <GgmlType type>
Block32 unpack32(const uint8_t* b) {
    Block32 out{};
    out.d = loadF16(b);
    if constexpr (type == GgmlType::Q4_0 || type == GgmlType::Q4_1) {
        const uint8_t* qs = b + (type == GgmlType::Q4_0 ? 2 : 4);
        for (int j = 0; j < kBlock / 2; ++j) {
            out.q[j] = qs[j] & 0xF;
            out.q[j + 16] = qs[j] >> 4;
        }
        out.m = type == GgmlType::Q4_0 ? 0.0f : loadF16(b + 2);
    } else if constexpr (type == GgmlType::Q5_0) {
        fiveBitQuants(b + 2, b + 6, out.q);
        out.m = 0.0f;
    } else if constexpr (type == GgmlType::Q5_1) {
        fiveBitQuants(b + 4, b + 8, out.q);
        out.m = loadF16(b + 2);
    } else {
        static_assert(type == GgmlType::Q8_0);
        for (int j = 0; j < kBlock; ++j)
            out.q[j] = static_cast<int8_t>(b[2 + j]);
        out.m = 0.0f;
    }
    return out;
}

// Sums the 8 float lanes of the ggml order: the halves first, then pairs, then the last two.
float combineLanes(const float (&lane)[8]) {
    return ((lane[0] + lane[4]) + (lane[2] + lane[6])) +
           ((lane[1] + lane[5]) + (lane[3] + lane[7]));
}

// Per block: dd = d * da; lane l (elements 4l..4l+3) gets its exact integer dot with the signed
// quants (Q4_0/Q5_0 offset removed) by one FMA with dd; Q4_1/Q5_1 mins go into a ninth sum.
template <GgmlType type>
void rows32(const MatmulJob& job, int64_t rowBegin, int64_t rowEnd) {
    constexpr int bytes = type == GgmlType::Q4_0   ? 18
                          : type == GgmlType::Q4_1 ? 20
                          : type == GgmlType::Q5_0 ? 22
                          : type == GgmlType::Q5_1 ? 24
                                                   : 34;
    constexpr int offset = type == GgmlType::Q4_0 ? 8 : type == GgmlType::Q5_0 ? 16 : 0;
    constexpr bool hasMin = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
    const int64_t blocks = job.cols / kBlock;
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const uint8_t* row = job.weights + r * job.weightRowBytes;
        for (int64_t t = 0; t < job.tokens; ++t) {
            const auto* act =
                reinterpret_cast<const Q8Block32*>(job.activations + t * job.activationRowBytes);
            float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            float mins = 0.0f;
            for (int64_t b = 0; b < blocks; ++b) {
                const Block32 w = unpack32<type>(row + b * bytes);
                const float dd = w.d * act[b].d;
                for (int l = 0; l < 8; ++l) {
                    int dot = 0;
                    for (int i = 4 * l; i < 4 * l + 4; ++i)
                        dot += (w.q[i] - offset) * act[b].qs[i];
                    lane[l] = std::fma(dd, static_cast<float>(dot), lane[l]);
                }
                if constexpr (hasMin)
                    mins = std::fma(w.m, act[b].s, mins);
            }
            float y = combineLanes(lane);
            if constexpr (hasMin)
                y += mins;
            job.y[t * job.outputStride + r] = y;
        }
    }
}

// A K-quant super-block as unsigned quants with per-16 scale and min weights:
// w[i] = d * scale[i/16] * q[i] - dmin * minWeight[i/16].
struct Block256 {
    int q[kSuperBlock];
    int scale[16];
    int minWeight[16];
    float d;
    float dmin;
};

template <GgmlType type>
Block256 unpack256(const uint8_t* b) {
    Block256 out{};
    if constexpr (type == GgmlType::Q6_K) {
        const uint8_t* ql = b;
        const uint8_t* qh = b + 128;
        const auto* sc = reinterpret_cast<const int8_t*>(b + 192);
        out.d = loadF16(b + 208);
        out.dmin = 32.0f * out.d;  // q - 32 folded into the min term
        for (int h = 0; h < 2; ++h) {
            for (int l = 0; l < 32; ++l) {
                const uint8_t lo = ql[64 * h + l], hi = ql[64 * h + l + 32], bits = qh[32 * h + l];
                out.q[128 * h + l] = (lo & 0xF) | ((bits & 3) << 4);
                out.q[128 * h + l + 32] = (hi & 0xF) | (((bits >> 2) & 3) << 4);
                out.q[128 * h + l + 64] = (lo >> 4) | (((bits >> 4) & 3) << 4);
                out.q[128 * h + l + 96] = (hi >> 4) | (((bits >> 6) & 3) << 4);
            }
        }
        for (int g = 0; g < 16; ++g)
            out.scale[g] = out.minWeight[g] = sc[g];
    } else {
        const bool fiveBit = type == GgmlType::Q5_K;
        out.d = loadF16(b);
        out.dmin = loadF16(b + 2);
        const uint8_t* scales = b + 4;
        const uint8_t* qh = b + 16;
        const uint8_t* qs = b + (fiveBit ? 48 : 16);
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                int lo = qs[32 * c + l] & 0xF, hi = qs[32 * c + l] >> 4;
                if (fiveBit) {
                    lo |= ((qh[l] >> (2 * c)) & 1) << 4;
                    hi |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
                }
                out.q[64 * c + l] = lo;
                out.q[64 * c + 32 + l] = hi;
            }
        }
        for (int j = 0; j < 8; ++j) {
            const quant::KQuantScale sm = quant::kQuantScaleMin(scales, j);
            out.scale[2 * j] = out.scale[2 * j + 1] = sm.scale;
            out.minWeight[2 * j] = out.minWeight[2 * j + 1] = sm.min;
        }
    }
    return out;
}

// Q4_K/Q5_K, llama.cpp's q4_K_8x8 order: exact integer scaled dots and min dots, each multiplied
// in by one FMA into its own sum (d * da, dmin * da), per 64-element slice for a token of its gemm
// (`slices`) or per super-block for one of its gemv; the min sum is subtracted at the end. (Its
// Q5_K is not repacked and sums otherwise; Parley gives Q5_K the Q4_K orders.)
template <GgmlType type>
float minSplitDot(const uint8_t* row, const Q8Block256* act, int64_t blocks, bool slices) {
    constexpr int bytes = type == GgmlType::Q4_K ? 144 : 176;
    float sum = 0.0f, minSum = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
        const Block256 w = unpack256<type>(row + b * bytes);
        const float dd = w.d * act[b].d, dm = w.dmin * act[b].d;
        int dot = 0, minDot = 0;
        for (int slice = 0; slice < 4; ++slice) {
            for (int g = 4 * slice; g < 4 * slice + 4; ++g) {
                int groupDot = 0;
                for (int i = 16 * g; i < 16 * g + 16; ++i)
                    groupDot += w.q[i] * act[b].qs[i];
                dot += w.scale[g] * groupDot;
                minDot += w.minWeight[g] * act[b].bsums[g];
            }
            if (slices || slice == 3) {
                sum = std::fma(static_cast<float>(dot), dd, sum);
                minSum = std::fma(static_cast<float>(minDot), dm, minSum);
                dot = minDot = 0;
            }
        }
    }
    return sum - minSum;
}

// Q6_K. Per super-block the exact integer sum of scale * (q - 32) * a is, for a token of
// llama.cpp's tiled kernel (`blocks`), multiplied by d and then added times da by one FMA. For one
// of its vec_dot it is split in 8 lanes, lane l holding the elements whose index mod 32 is in
// 4l..4l+3 less the offset 32 through the bsums of groups 2l and 2l+1; each lane gets one FMA with
// da * d, and the lanes are combined at the end.
float q6KDot(const uint8_t* row, const Q8Block256* act, int64_t blocks, bool wholeBlocks) {
    float lane[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    float sum = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
        const Block256 w = unpack256<GgmlType::Q6_K>(row + b * 210);
        int lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int i = 0; i < kSuperBlock; ++i)
            lanes[(i % 32) / 4] += w.scale[i / 16] * w.q[i] * act[b].qs[i];
        int total = 0;
        for (int l = 0; l < 8; ++l) {
            lanes[l] -= 32 * (act[b].bsums[2 * l] * w.minWeight[2 * l] +
                              act[b].bsums[2 * l + 1] * w.minWeight[2 * l + 1]);
            total += lanes[l];
        }
        if (wholeBlocks) {
            sum = std::fma(static_cast<float>(total) * w.d, act[b].d, sum);
        } else {
            const float dd = act[b].d * w.d;
            for (int l = 0; l < 8; ++l)
                lane[l] = std::fma(dd, static_cast<float>(lanes[l]), lane[l]);
        }
    }
    return wholeBlocks ? sum : combineLanes(lane);
}

template <GgmlType type>
void rows256(const MatmulJob& job, int64_t rowBegin, int64_t rowEnd) {
    const int64_t blocks = job.cols / kSuperBlock;
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const uint8_t* row = job.weights + r * job.weightRowBytes;
        for (int64_t t = 0; t < job.tokens; ++t) {
            const auto* act =
                reinterpret_cast<const Q8Block256*>(job.activations + t * job.activationRowBytes);
            const KQuantOrder order = kQuantOrderOf(job, t);
            float y = 0.0f;
            if constexpr (type == GgmlType::Q6_K)
                y = q6KDot(row, act, blocks, order.q6kBlocks);
            else
                y = minSplitDot<type>(row, act, blocks, order.q4kSlices);
            job.y[t * job.outputStride + r] = y;
        }
    }
}

template <GgmlType type>
float floatWeight(const uint8_t* row, int64_t i) {
    if constexpr (type == GgmlType::F32) {
        float v = 0.0f;
        std::memcpy(&v, row + 4 * i, sizeof v);
        return v;
    } else {
        uint16_t h = 0;
        std::memcpy(&h, row + 2 * i, sizeof h);
        return type == GgmlType::F16 ? quant::f16ToF32(h) : quant::bf16ToF32(h);
    }
}

template <GgmlType type>
void rowsFloat(const MatmulJob& job, int64_t rowBegin, int64_t rowEnd) {
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const uint8_t* row = job.weights + r * job.weightRowBytes;
        for (int64_t t = 0; t < job.tokens; ++t) {
            const auto* x =
                reinterpret_cast<const float*>(job.activations + t * job.activationRowBytes);
            float sum = 0.0f;
            for (int64_t i = 0; i < job.cols; ++i)
                sum += floatWeight<type>(row, i) * x[i];
            job.y[t * job.outputStride + r] = sum;
        }
    }
}

}  // namespace

RowRangeKernel scalarKernel(GgmlType type) {
    switch (type) {
        case GgmlType::F32:
            return rowsFloat<GgmlType::F32>;
        case GgmlType::F16:
            return rowsFloat<GgmlType::F16>;
        case GgmlType::BF16:
            return rowsFloat<GgmlType::BF16>;
        case GgmlType::Q4_0:
            return rows32<GgmlType::Q4_0>;
        case GgmlType::Q4_1:
            return rows32<GgmlType::Q4_1>;
        case GgmlType::Q5_0:
            return rows32<GgmlType::Q5_0>;
        case GgmlType::Q5_1:
            return rows32<GgmlType::Q5_1>;
        case GgmlType::Q8_0:
            return rows32<GgmlType::Q8_0>;
        case GgmlType::Q4_K:
            return rows256<GgmlType::Q4_K>;
        case GgmlType::Q5_K:
            return rows256<GgmlType::Q5_K>;
        case GgmlType::Q6_K:
            return rows256<GgmlType::Q6_K>;
        default:
            return nullptr;
    }
}

}  // namespace parley::cpu::detail
