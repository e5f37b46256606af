// Block tables of the requests of one model: which KvPool blocks hold which token positions.
//
//   positions  [0 ........ computed)[computed ... computed+new)
//   blocks     | full | full | part|  <- the last block may be partly filled
//                 ^ registered in the prefix cache once computed and full
//
// A forked child starts with the parent's table (every block retained once more). Whichever of
// them next writes into a shared block gets a private one first; for a partly filled block the
// slots already filled are listed as a BlockCopy for the engine to apply before the step runs.
// A cached block reused for its first tokens only (PrefixCache) is shared the same way.
#pragma once

#include "serving/prefix_cache.h"

#include <optional>
#include <unordered_map>

namespace parley::serving {

class KvCacheManager {
  public:
    KvCacheManager(BlockPool& pool, PrefixCache& prefixCache);

    // Starts the table of a request about to be (re)admitted from the longest cached prefix of
    // `tokens` (whole blocks, then part of one); returns how many tokens that covers. At least one
    // token is always left to compute so the step yields logits. The request must have no table
    // yet.
    int32_t admit(RequestId request, std::span<const TokenId> tokens);

    // Makes room for positions [computed, computed + newTokens). Returns the block copies to apply
    // first, or nullopt - with nothing allocated - when the pool cannot provide enough blocks.
    std::optional<std::vector<BlockCopy>> allocateSlots(RequestId request, int32_t computed,
                                                        int32_t newTokens);

    // Registers the blocks completely filled by the first `computed` of `tokens`.
    void cacheFullBlocks(RequestId request, std::span<const TokenId> tokens, int32_t computed);

    // Child shares every block of the parent's table (none when the parent has no table).
    void fork(RequestId parent, RequestId child);

    // Releases the table, tail first, so a request's later blocks are evicted before its prefix.
    // Given the request's tokens and how many of them are computed, its partly filled last block
    // is kept findable in the prefix cache.
    void free(RequestId request, std::span<const TokenId> tokens = {}, int32_t computed = 0);

    bool has(RequestId request) const { return tables_.contains(request); }
    std::span<const BlockId> blockTable(RequestId request) const;
    // Sum of all table lengths: equals the pool's total reference count.
    int64_t totalReferences() const;

  private:
    bool mustCopyBeforeWriting(BlockId id) const;

    struct Table {
        std::vector<BlockId> blocks;
        std::vector<BlockHash> hashes;  // hashes of blocks[0 .. hashes.size()), all full
    };

    BlockPool& pool_;
    PrefixCache& prefixCache_;
    std::unordered_map<RequestId, Table> tables_;
};

}  // namespace parley::serving
