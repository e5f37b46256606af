#include "inference/model/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "inference/ops/vector_ops.h"

namespace parley::model {

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

    // Queries rounded to f16, as llama.cpp's f16 KQ product does: it keeps our logits within
    // rounding noise of the reference implementation.
    scratch.queries.resize(int64_t(nq) * hd);
    for (int32_t t = 0; t < tile.count; ++t) {
        const float* src = q + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd;
        ops::roundToF16(src, &scratch.queries[int64_t(t) * group * hd], int64_t(group) * hd);
    }

    scratch.scores.resize(int64_t(nq) * nk);
    scratch.row.resize(hd);
    float* kRow = scratch.row.data();
    constexpr float kMasked = -std::numeric_limits<float>::infinity();
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
            ops::dotRows(&scratch.queries[int64_t(from) * hd], (endToken - firstToken) * group, hd,
                         kRow, scores, nk);
            for (int32_t i = 0; i < (endToken - firstToken) * group; ++i)
                scores[int64_t(i) * nk] *= shape.scale;
        }
    }

    // Softmax per query; probabilities rounded to f16 like llama.cpp's f16 KQV product.
    for (int32_t i = 0; i < nq; ++i) {
        float* s = &scratch.scores[int64_t(i) * nk];
        const float maxScore = *std::max_element(s, s + nk);
        double sum = 0.0;
        for (int32_t j = 0; j < nk; ++j) {
            s[j] = s[j] == kMasked ? 0.0f : std::exp(s[j] - maxScore);
            sum += s[j];
        }
        const float inv = float(1.0 / sum);
        for (int32_t j = 0; j < nk; ++j)
            s[j] *= inv;
        ops::roundToF16(s, s, nk);
    }

    scratch.out.assign(int64_t(nq) * hd, 0.0f);
    float* vRow = scratch.row.data();
    for (int32_t j = 0; j < nk; ++j) {
        const int32_t p = lo + j;
        ops::fromF16(kv.value(layer, tile.blockTable[p / bs], p % bs) + int64_t(tile.kvHead) * hd,
                     vRow, hd);
        ops::axpyRows(&scratch.scores[j], nk, nq, vRow, scratch.out.data(), hd);
    }
    for (int32_t t = 0; t < tile.count; ++t) {
        std::copy_n(&scratch.out[int64_t(t) * group * hd], int64_t(group) * hd,
                    out + (tile.firstRow + t) * qStride + int64_t(tile.kvHead) * group * hd);
    }
}

}  // namespace parley::model
