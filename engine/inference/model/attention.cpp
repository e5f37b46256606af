#include "inference/model/attention.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/model/attention_kernels.h"
#include "inference/ops/polynomial_exp.h"
#include "inference/ops/vector_ops.h"

namespace parley::model {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();
// The reference's softmax sums its exponentials 16 cache positions at a time, from position 0.
constexpr int32_t kExpChunk = 16;
// The widest lane order's lane count (ops::LaneOrder::Lanes64).
constexpr int32_t kLaneAlign = 64;

// The largest of n > 0 scores, in four vectors of running maxima (one running maximum is a chain
// of dependent comparisons, and the compiler does not vectorise a float max reduction).
float maxScore(const float* s, int32_t n) {
    __m128 running[4];
    for (auto& r : running)
        r = _mm_set1_ps(s[0]);
    int32_t j = 0;
    for (; j + 16 <= n; j += 16) {
        for (int k = 0; k < 4; ++k)
            running[k] = _mm_max_ps(running[k], _mm_loadu_ps(s + j + 4 * k));
    }
    alignas(16) float lanes[16];
    for (int k = 0; k < 4; ++k)
        _mm_store_ps(lanes + 4 * k, running[k]);
    for (; j < n; ++j)
        lanes[0] = std::max(lanes[0], s[j]);
    return *std::max_element(lanes, lanes + 16);
}

// ops::sum16's pairwise order, (l, l+8), (l, l+4), (0, 2) and (1, 3), (0, 1), in vectors of four
// and inline: a call per chunk of 16 sat in the chain of the softmax's double sum.
inline float sum16(const float* v) {
    const __m128 t0 = _mm_add_ps(_mm_loadu_ps(v), _mm_loadu_ps(v + 8));
    const __m128 t1 = _mm_add_ps(_mm_loadu_ps(v + 4), _mm_loadu_ps(v + 12));
    const __m128 u = _mm_add_ps(t0, t1);
    const __m128 w = _mm_add_ps(u, _mm_movehl_ps(u, u));
    return _mm_cvtss_f32(_mm_add_ss(w, _mm_shuffle_ps(w, w, 1)));
}

// Softmax of one query's scores over positions [lo, lo + n), in place, probabilities rounded to
// f16.
void softmaxRow(float* s, int32_t lo, int32_t n) {
    const float maxScore = model::maxScore(s, n);
    ops::polynomialExpShifted(s, maxScore, n, s);  // masked (-inf) scores become 0
    double sum = 0.0;
    alignas(16) float chunk[kExpChunk];
    for (int32_t start = lo - lo % kExpChunk; start < lo + n; start += kExpChunk) {
        const int32_t j0 = start - lo;
        if (j0 >= 0 && j0 + kExpChunk <= n) {
            sum += model::sum16(s + j0);
            continue;
        }
        for (int32_t l = 0; l < kExpChunk; ++l) {
            const int32_t j = j0 + l;
            chunk[l] = j >= 0 && j < n ? s[j] : 0.0f;
        }
        sum += model::sum16(chunk);
    }
    const float inv = float(1.0 / sum);
    for (int32_t j = 0; j < n; ++j)
        s[j] *= inv;
    ops::roundToF16(s, s, n);
}

}  // namespace

void attendTile(const AttentionShape& shape, const AttentionTile& tile, int32_t layer,
                const KvPool& kv, const float* q, float* out, AttentionScratch& scratch) {
    const int32_t hd = shape.headDim;
    const int32_t group = shape.nHead / shape.nHeadKv;
    const int32_t nq = tile.count * group;  // query rows: token-major, then head within the group
    const int32_t qStride = shape.nHead * hd;
    const int32_t bs = kv.blockSize();
    const int32_t lastPosition = tile.firstPosition + tile.count - 1;
    const int32_t lo = shape.window > 0 ? std::max(0, tile.firstPosition - shape.window + 1) : 0;
    const int32_t nk = lastPosition - lo + 1;
    // Probability rows span whole groups of kLaneAlign positions (zeros outside [lo, last]), so
    // that position p's products land in lane p % lanes with no bounds checks.
    const int32_t rowStart = lo - lo % kLaneAlign;
    const int32_t rowLength =
        (lastPosition + 1 - rowStart + kLaneAlign - 1) / kLaneAlign * kLaneAlign;
    const int32_t offset = lo - rowStart;

    scratch.queries.resize(int64_t(nq) * hd);
    for (int32_t t = 0; t < tile.count; ++t) {
        const float* src = q + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd;
        float* dst = &scratch.queries[int64_t(t) * group * hd];
        for (int64_t i = 0; i < int64_t(group) * hd; ++i)
            dst[i] = src[i] * shape.queryScale;
        ops::roundToF16(dst, dst, int64_t(group) * hd);
    }

    scratch.keyRows.resize(nk);
    scratch.valueRows.assign(rowLength, nullptr);
    const int64_t headOffset = int64_t(tile.kvHead) * hd;
    for (int32_t p = lo; p <= lastPosition; ++p) {
        const int32_t block = tile.blockTable[p / bs];
        scratch.keyRows[p - lo] = kv.key(layer, block, p % bs) + headOffset;
        scratch.valueRows[p - rowStart] = kv.value(layer, block, p % bs) + headOffset;
    }

    scratch.scores.resize(int64_t(nq) * rowLength);
    keyScores(scratch.queries.data(), nq, hd, scratch.keyRows.data(), nk, tile.order,
              scratch.scores.data() + offset, rowLength);
    for (int32_t i = 0; i < nq; ++i) {
        float* row = &scratch.scores[int64_t(i) * rowLength];
        // Token i / group sees positions [first, position] of the cache.
        const int32_t position = tile.firstPosition + i / group;
        const int32_t first = shape.window > 0 ? std::max(lo, position - shape.window + 1) : lo;
        float* scores = row + offset;
        std::fill(scores, scores + (first - lo), kMasked);
        for (int32_t j = first - lo; j <= position - lo; ++j)
            scores[j] *= shape.scoreScale;
        std::fill(scores + (position - lo + 1), scores + nk, kMasked);
        softmaxRow(scores, lo, nk);
        std::fill(row, scores, 0.0f);
        std::fill(scores + nk, row + rowLength, 0.0f);
    }

    scratch.out.resize(int64_t(nq) * hd);
    const int64_t bufferSize = weightedValuesBufferSize(nq, hd, rowLength);
    if (int64_t(scratch.values.size()) < bufferSize)
        scratch.values.resize(bufferSize);
    weightedValues(scratch.scores.data(), rowLength, nq, hd, scratch.valueRows.data(), rowLength,
                   tile.order, scratch.out.data(),
                   bufferSize > 0 ? scratch.values.data() : nullptr);
    for (int32_t t = 0; t < tile.count; ++t) {
        std::copy_n(&scratch.out[int64_t(t) * group * hd], int64_t(group) * hd,
                    out + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd);
    }
}

}  // namespace parley::model
