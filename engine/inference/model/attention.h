// Causal (optionally sliding-window) attention of new tokens over a sequence's KV cache, read
// through its block table. Work is cut into tiles of consecutive tokens of one sequence and one KV
// head, so every key and value row is converted from f16 once per tile and shared by all the
// tile's queries (all the query heads of the group, all its tokens): prefill reads the cache once
// per tile instead of once per token.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "inference/model/kv_pool.h"

namespace parley::model {

struct AttentionShape {
    int32_t nHead = 0;
    int32_t nHeadKv = 0;
    int32_t headDim = 0;
    int32_t window = 0;  // 0: full causal attention
    float scale = 1.0f;
};

// Consecutive new tokens of one sequence: rows [firstRow, firstRow + count) of q and out,
// at positions [firstPosition, firstPosition + count).
struct AttentionTile {
    int64_t firstRow = 0;
    int32_t count = 0;
    int32_t firstPosition = 0;
    std::span<const int32_t> blockTable;
    int32_t kvHead = 0;
};

// Per-thread scratch, reused across calls.
struct AttentionScratch {
    std::vector<float> queries, scores, out, row;
};

// q: rows of nHead * headDim; out: same shape, written for the tile's heads only.
void attendTile(const AttentionShape& shape, const AttentionTile& tile, int32_t layer,
                const KvPool& kv, const float* q, float* out, AttentionScratch& scratch);

}  // namespace parley::model
