// Content-addressed reuse of KV blocks. A block's hash chains the parent block's hash, its
// kBlockSize token ids and the model id, so two sequences share a block only when the model and
// every token up to the end of that block are identical; nothing else (user, request) is a key.
// Each cached entry also keeps its tokens, and a lookup compares them, so a 64-bit hash collision
// can never hand one conversation another's KV.
//
// Past the last whole block that matches, a lookup also takes the longest run of tokens that a
// cached child of that block starts with: a full block that continues differently (a follow-up
// turn after the previous answer's first tokens) or the partly filled last block a finished
// request left ("tail"). Such a block is shared only for its first tokens; whoever writes into it
// gets a private copy of those slots first (KvCacheManager), as llama-server and SGLang reuse a
// prefix to the token rather than to the block.
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

    struct Hit {
        std::vector<BlockId> blocks;  // retained for the caller
        int32_t tokens = 0;           // covered; the last block is partial when not in kBlockSize
    };

    // Longest cached prefix of the sequence, at most maxTokens tokens: whole blocks, then the
    // longest start of a cached child block. Counts tokens.size() queried and the covered tokens
    // hit.
    Hit lookup(std::span<const TokenId> tokens, int32_t maxTokens);

    // Makes full block `id` (holding `blockTokens`, hashed `hash` after `parent`) findable. A hash
    // that already names another block keeps the first one; the duplicate stays private to its
    // request.
    void insert(BlockHash parent, BlockHash hash, BlockId id, std::span<const TokenId> blockTokens);

    // Makes the partly filled block `id` findable by its first tokens (1 to kBlockSize - 1 of
    // them), after `parent`. Ignored when an identical tail is already cached or the block has a
    // hash.
    void insertTail(BlockHash parent, BlockId id, std::span<const TokenId> tokens);

    int64_t queryTokens() const { return queryTokens_; }
    int64_t hitTokens() const { return hitTokens_; }
    int32_t size() const { return int32_t(entries_.size()); }

  private:
    struct Entry {
        BlockId block = 0;
        BlockHash parent = 0;
        int32_t count = 0;  // tokens held: kBlockSize, or fewer for a tail
        std::array<TokenId, kBlockSize> tokens{};
    };

    void add(BlockHash parent, BlockHash hash, BlockId id, std::span<const TokenId> tokens);
    void onEvicted(BlockId id, BlockHash hash);

    BlockPool& pool_;
    uint64_t modelId_;
    std::unordered_map<BlockHash, Entry> entries_;
    std::unordered_map<BlockHash, std::vector<BlockHash>> children_;  // parent -> entries
    int64_t queryTokens_ = 0;
    int64_t hitTokens_ = 0;
};

}  // namespace parley::serving
