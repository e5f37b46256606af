#include "inference/model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/ops/polynomial_exp.h"
#include "inference/ops/vector_ops.h"

namespace parley::model {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();
// The reference's softmax sums its exponentials 16 cache positions at a time, from position 0.
constexpr int32_t kExpChunk = 16;

// Softmax of one query's scores over positions [lo, lo + n), in place, probabilities rounded to
// f16.
void softmaxRow(float* s, int32_t lo, int32_t n) {
    const float maxScore = *std::max_element(s, s + n);
    ops::polynomialExpShifted(s, maxScore, n, s);  // masked (-inf) scores become 0
    double sum = 0.0;
    float chunk[kExpChunk];
    for (int32_t start = lo - lo % kExpChunk; start < lo + n; start += kExpChunk) {
        const int32_t j0 = start - lo;
        if (j0 >= 0 && j0 + kExpChunk <= n) {
            sum += ops::sum16(s + j0);
            continue;
        }
        for (int32_t l = 0; l < kExpChunk; ++l) {
            const int32_t j = j0 + l;
            chunk[l] = j >= 0 && j < n ? s[j] : 0.0f;
        }
        sum += ops::sum16(chunk);
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

    scratch.queries.resize(int64_t(nq) * hd);
    for (int32_t t = 0; t < tile.count; ++t) {
        const float* src = q + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd;
        float* dst = &scratch.queries[int64_t(t) * group * hd];
        for (int64_t i = 0; i < int64_t(group) * hd; ++i)
            dst[i] = src[i] * shape.queryScale;
        ops::roundToF16(dst, dst, int64_t(group) * hd);
    }

    scratch.scores.resize(int64_t(nq) * nk);
    scratch.row.resize(hd);
    float* kRow = scratch.row.data();
    for (int32_t j = 0; j < nk; ++j) {
        const int32_t p = lo + j;
        ops::fromF16(kv.key(layer, tile.blockTable[p / bs], p % bs) + int64_t(tile.kvHead) * hd,
                     kRow, hd);
        // Queries are token-major, so the ones that may see position p form one run: from the
        // first token at or after p, up to the last token whose window still reaches back to p.
        const int32_t firstToken = std::max(0, p - tile.firstPosition);
        const int32_t endToken = shape.window > 0
                                     ? std::min(tile.count, p + shape.window - tile.firstPosition)
                                     : tile.count;
        float* column = &scratch.scores[j];
        for (int32_t i = 0; i < firstToken * group; ++i)
            column[int64_t(i) * nk] = kMasked;
        for (int32_t i = std::max(endToken, firstToken) * group; i < nq; ++i)
            column[int64_t(i) * nk] = kMasked;
        if (endToken > firstToken) {
            const int32_t from = firstToken * group;
            float* scores = column + int64_t(from) * nk;
            ops::orderedDotRows(&scratch.queries[int64_t(from) * hd],
                                (endToken - firstToken) * group, hd, kRow, scores, nk, tile.order);
            for (int32_t i = 0; i < (endToken - firstToken) * group; ++i)
                scores[int64_t(i) * nk] *= shape.scoreScale;
        }
    }

    for (int32_t i = 0; i < nq; ++i)
        softmaxRow(&scratch.scores[int64_t(i) * nk], lo, nk);

    // Position p's products go to lane p % lanes, as in the reference's sum over its whole cache.
    const int lanes = ops::laneCount(tile.order);
    const int64_t laneStride = int64_t(nq) * hd;
    scratch.lanes.assign(lanes * laneStride, 0.0f);
    float* vRow = scratch.row.data();
    for (int32_t j = 0; j < nk; ++j) {
        const int32_t p = lo + j;
        ops::fromF16(kv.value(layer, tile.blockTable[p / bs], p % bs) + int64_t(tile.kvHead) * hd,
                     vRow, hd);
        ops::axpyRows(&scratch.scores[j], nk, nq, vRow, &scratch.lanes[(p % lanes) * laneStride],
                      hd);
    }
    scratch.out.resize(laneStride);
    ops::combineLanes(scratch.lanes.data(), laneStride, laneStride, tile.order, scratch.out.data());
    for (int32_t t = 0; t < tile.count; ++t) {
        std::copy_n(&scratch.out[int64_t(t) * group * hd], int64_t(group) * hd,
                    out + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd);
    }
}

}  // namespace parley::model
