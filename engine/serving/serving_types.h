// Identifiers shared by the block pool, prefix cache, KV-cache manager and scheduler.
#pragma once

#include <cstdint>

namespace parley::serving {

using TokenId = int32_t;     // same representation as model::TokenId
using BlockId = int32_t;     // index into model::KvPool
using BlockHash = uint64_t;  // chained content hash of one full block
using RequestId = uint64_t;

// Token slots per KV block; must equal the KvPool's block size.
inline constexpr int32_t kBlockSize = 16;

// The engine applies these with KvPool::copyBlock(from, to, numSlots) before running the step.
struct BlockCopy {
    BlockId from = 0;
    BlockId to = 0;
    int32_t numSlots = 0;  // leading slots of `from` that hold tokens

    bool operator==(const BlockCopy&) const = default;
};

}  // namespace parley::serving
