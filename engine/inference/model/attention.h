// Causal (optionally sliding-window) attention of new tokens over a sequence's KV cache, read
// through its block table. Work is cut into tiles of consecutive tokens of one sequence and one KV
// head, so every key and value row is read once per tile for all the tile's queries (all the
// query heads of the group, all its tokens): prefill reads the cache once per tile instead of
// once per token. The rows are widened from f16 in registers, or once per tile into `values`
// when the tile has many queries (attention_kernels.h).
//
// The arithmetic is the reference implementation's (llama.cpp without flash attention on the CPU),
// operation for operation: q and k in f16, products summed in its lane order, the softmax's exp
// and its sum in chunks of 16 cache positions, probabilities and v in f16. The model is chaotic
// enough (8-bit activations) that any last-bit difference here grows into ~0.1 logit.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "inference/model/kv_pool.h"
#include "inference/ops/ordered_sums.h"

namespace parley::model {

struct AttentionShape {
    int32_t nHead = 0;
    int32_t nHeadKv = 0;
    int32_t headDim = 0;
    int32_t window = 0;       // 0: full causal attention
    float queryScale = 1.0f;  // applied to q before its f16 rounding
    float scoreScale = 1.0f;  // applied to q.k
};

// Consecutive new tokens of one sequence: rows [firstRow, firstRow + count) of q and out,
// at positions [firstPosition, firstPosition + count).
struct AttentionTile {
    int64_t firstRow = 0;
    int32_t count = 0;
    int32_t firstPosition = 0;
    std::span<const int32_t> blockTable;
    int32_t kvHead = 0;
    ops::LaneOrder order = ops::LaneOrder::Lanes16;  // of the q.k and probability.v sums
};

// Per-thread scratch, reused across calls.
struct AttentionScratch {
    std::vector<float> queries, scores, out, values;
    std::vector<const uint16_t*> keyRows, valueRows;
};

// q: rows of nHead * headDim; out: same shape, written for the tile's heads only.
void attendTile(const AttentionShape& shape, const AttentionTile& tile, int32_t layer,
                const KvPool& kv, const float* q, float* out, AttentionScratch& scratch);

}  // namespace parley::model
