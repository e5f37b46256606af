// Content-addressed reuse of full KV blocks. A block's hash chains the parent block's hash, its
// kBlockSize token ids and the model id, so two sequences share a block only when the model and
// every token up to the end of that block are identical; nothing else (user, request) is a key.
// Each cached entry also keeps its tokens, and a lookup compares them, so a 64-bit hash collision
// can never hand one conversation another's KV.
#pragma once

#include "serving/block_pool.h"

#include <array>
#include <span>
#include <unordered_map>

namespace parley::serving {

class PrefixCache {
  public:
    // Registers itself as the pool's eviction listener.
    PrefixCache(BlockPool& pool, uint64_t modelId);
    ~PrefixCache();
    PrefixCache(const PrefixCache&) = delete;
    PrefixCache& operator=(const PrefixCache&) = delete;

    // Hash of the block holding `blockTokens` (exactly kBlockSize ids) after a block hashed
    // `parent` (rootHash() for the first block).
    BlockHash blockHash(BlockHash parent, std::span<const TokenId> blockTokens) const;
    BlockHash rootHash() const;

    // Longest run of cached blocks that starts the sequence, at most maxBlocks long. The returned
    // blocks are retained for the caller. Counts tokens.size() queried and the covered tokens hit.
    std::vector<BlockId> lookup(std::span<const TokenId> tokens, int32_t maxBlocks);

    // Makes full block `id` (holding `blockTokens`, hashed `hash`) findable. A hash that already
    // names another block keeps the first one; the duplicate stays private to its request.
    void insert(BlockHash hash, BlockId id, std::span<const TokenId> blockTokens);

    int64_t queryTokens() const { return queryTokens_; }
    int64_t hitTokens() const { return hitTokens_; }
    int32_t size() const { return int32_t(entries_.size()); }

  private:
    struct Entry {
        BlockId block = 0;
        std::array<TokenId, kBlockSize> tokens{};
    };

    void onEvicted(BlockId id, BlockHash hash);

    BlockPool& pool_;
    uint64_t modelId_;
    std::unordered_map<BlockHash, Entry> entries_;
    int64_t queryTokens_ = 0;
    int64_t hitTokens_ = 0;
};

}  // namespace parley::serving
