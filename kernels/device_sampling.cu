// Token sampling on the device, so a decode step returns token ids instead of logits rows. The
// chain is the CPU sampler's (engine/inference/sampling/sampler.h): penalties -> top-k -> top-p ->
// min-p -> temperature -> draw; temperature <= 0 is the arg-max after penalties. Sorting a 150k
// vocabulary per token is avoided: top-k and top-p cut-offs are found by bisection on the value
// (count or mass of the candidates at or above it), and the draw walks the survivors in id order,
// which is the same distribution as walking them sorted.
#include <cfloat>

#include "device_kernels.h"

namespace parley::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int kBisections = 40;

template <typename Op>
__device__ float blockReduce(float v, Op op, float* shared) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2)
        v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    float r = shared[0];
    for (int w = 1; w < kThreads / 32; ++w)
        r = op(r, shared[w]);
    __syncthreads();
    return r;
}

struct Add {
    __device__ float operator()(float a, float b) const { return a + b; }
};
struct Max {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// A uniform draw in [0, 1) from (seed, index): splitmix64, so every draw is reproducible.
__device__ float uniformDraw(uint64_t seed, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return float(z >> 40) * (1.0f / 16777216.0f);
}

__global__ void __launch_bounds__(kThreads)
    sampleKernel(float* logitsAll, int32_t nVocab, DeviceSampling s, int32_t* tokens) {
    __shared__ float shared[kThreads / 32];
    __shared__ float prefix[kThreads + 1];
    __shared__ int32_t chosen;
    const int32_t row = blockIdx.x;
    float* logits = logitsAll + int64_t(row) * nVocab;

    if (threadIdx.x == 0) {
        const int32_t n = s.recent != nullptr ? s.recentCounts[row] : 0;
        const int32_t* recent = s.recent + (n > 0 ? int64_t(row) * s.recentStride : 0);
        for (int32_t i = 0; i < n; ++i) {
            const int32_t id = recent[i];
            bool seen = id < 0 || id >= nVocab;
            int32_t count = 0;
            for (int32_t j = 0; j < n && !seen; ++j) {
                seen = j < i && recent[j] == id;
                count += recent[j] == id;
            }
            if (seen)
                continue;
            float l = logits[id];
            if (s.repeatPenalty != 1.0f)
                l = l > 0.0f ? l / s.repeatPenalty : l * s.repeatPenalty;
            l -= float(count) * s.frequencyPenalty + s.presencePenalty;
            logits[id] = l;
        }
        chosen = nVocab;  // none yet
    }
    __syncthreads();

    float localMax = -FLT_MAX;
    for (int32_t i = threadIdx.x; i < nVocab; i += kThreads)
        localMax = fmaxf(localMax, logits[i]);
    const float maxLogit = blockReduce(localMax, Max{}, shared);

    if (s.temperature <= 0.0f) {
        for (int32_t i = threadIdx.x; i < nVocab; i += kThreads) {
            if (logits[i] == maxLogit)
                atomicMin(&chosen, i);
        }
        __syncthreads();
        if (threadIdx.x == 0)
            tokens[row] = chosen;
        return;
    }

    // Top-k: the lowest logit value with at least k candidates at or above it.
    float cut = -FLT_MAX;
    if (s.topK > 0 && s.topK < nVocab) {
        float minLogit = FLT_MAX;
        for (int32_t i = threadIdx.x; i < nVocab; i += kThreads)
            minLogit = fminf(minLogit, logits[i]);
        float lo = -blockReduce(-minLogit, Max{}, shared), hi = maxLogit;
        for (int it = 0; it < kBisections; ++it) {
            const float mid = 0.5f * (lo + hi);
            float count = 0.0f;
            for (int32_t i = threadIdx.x; i < nVocab; i += kThreads)
                count += logits[i] >= mid ? 1.0f : 0.0f;
            if (blockReduce(count, Add{}, shared) >= float(s.topK))
                lo = mid;
            else
                hi = mid;
        }
        cut = lo;
    }

    // Top-p over the top-k survivors' softmax: the highest probability cut whose mass reaches p.
    float localSum = 0.0f;
    for (int32_t i = threadIdx.x; i < nVocab; i += kThreads)
        localSum += logits[i] >= cut ? __expf(logits[i] - maxLogit) : 0.0f;
    const float z = blockReduce(localSum, Add{}, shared);
    if (s.topP < 1.0f) {
        float lo = 0.0f, hi = 1.0f;  // relative weights exp(l - max), in (0, 1]
        for (int it = 0; it < kBisections; ++it) {
            const float mid = 0.5f * (lo + hi);
            float mass = 0.0f;
            for (int32_t i = threadIdx.x; i < nVocab; i += kThreads) {
                const float w = __expf(logits[i] - maxLogit);
                mass += logits[i] >= cut && w >= mid ? w : 0.0f;
            }
            if (blockReduce(mass, Add{}, shared) >= s.topP * z)
                lo = mid;
            else
                hi = mid;
        }
        cut = fmaxf(cut, maxLogit + logf(fmaxf(lo, FLT_MIN)));
    }
    // Min-p: probability at least minP times the largest one.
    if (s.minP > 0.0f)
        cut = fmaxf(cut, maxLogit + logf(s.minP));

    // The draw, with temperature, over the survivors in id order.
    const int32_t per = (nVocab + kThreads - 1) / kThreads;
    const int32_t first = threadIdx.x * per, last = min(nVocab, first + per);
    float mine = 0.0f;
    for (int32_t i = first; i < last; ++i)
        mine += logits[i] >= cut ? __expf((logits[i] - maxLogit) / s.temperature) : 0.0f;
    prefix[threadIdx.x + 1] = mine;
    __syncthreads();
    if (threadIdx.x == 0) {
        prefix[0] = 0.0f;
        for (int t = 1; t <= kThreads; ++t)
            prefix[t] += prefix[t - 1];
    }
    __syncthreads();
    const float target = uniformDraw(s.seed, s.drawIndex + row) * prefix[kThreads];
    if (target >= prefix[threadIdx.x] && target < prefix[threadIdx.x + 1]) {
        float run = prefix[threadIdx.x];
        for (int32_t i = first; i < last; ++i) {
            if (logits[i] < cut)
                continue;
            run += __expf((logits[i] - maxLogit) / s.temperature);
            if (run > target) {
                chosen = i;
                break;
            }
        }
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        // Rounding can leave the target past the last survivor: the arg-max always survives.
        if (chosen >= nVocab) {
            for (int32_t i = 0; i < nVocab; ++i) {
                if (logits[i] == maxLogit) {
                    chosen = i;
                    break;
                }
            }
        }
        tokens[row] = chosen;
    }
}

}  // namespace

DeviceError sampleRows(float* logits, int32_t nRows, int32_t nVocab, const DeviceSampling& s,
                       int32_t* tokens, cudaStream_t stream) {
    sampleKernel<<<nRows, kThreads, 0, stream>>>(logits, nVocab, s, tokens);
    return checkLaunch("sampling kernel");
}

}  // namespace parley::cuda
