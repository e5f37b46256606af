// Fixed set of KV block ids with reference counts. A block whose count drops to zero is either
// truly free, or - when it still carries a prefix-cache hash - "cached": reusable by a later
// prefix hit, and evicted in least-recently-released order only when no truly free block is left.
//
//   allocate(): free list head  ->  else LRU head of the cached list (hash dropped, listener told)
//   release() to 0: no hash -> free list tail;  hash -> cached list tail (most recently used)
//   retain() of a cached block takes it off the cached list again.
#pragma once

#include "serving/serving_types.h"

#include <deque>
#include <functional>
#include <list>
#include <optional>
#include <vector>

namespace parley::serving {

class BlockPool {
  public:
    explicit BlockPool(int32_t numBlocks);

    // A block with reference count 1, or nullopt when every block is referenced.
    std::optional<BlockId> allocate();
    void retain(BlockId id);
    void release(BlockId id);

    // Prefix-cache interface: the hash a full block is known under (nullopt when none).
    void setHash(BlockId id, BlockHash hash);
    std::optional<BlockHash> hash(BlockId id) const;
    // Told (block, hash) when allocate() evicts a cached block, so the hash map can drop it.
    void setEvictionListener(std::function<void(BlockId, BlockHash)> listener);

    int32_t refCount(BlockId id) const { return blocks_[size_t(id)].refCount; }
    int32_t numBlocks() const { return int32_t(blocks_.size()); }
    int32_t numUsed() const { return numUsed_; }                   // reference count > 0
    int32_t numFree() const { return int32_t(free_.size()); }      // count 0, no hash
    int32_t numCached() const { return int32_t(cached_.size()); }  // count 0, hash kept
    // Blocks allocate() can hand out without failing.
    int32_t numAvailable() const { return numFree() + numCached(); }

    // Ids in the order allocate() would take them (free list first, then cached LRU first).
    std::vector<BlockId> allocationOrder() const;

  private:
    struct Block {
        int32_t refCount = 0;
        std::optional<BlockHash> hash;
        std::list<BlockId>::iterator cachedPosition;  // valid while on cached_
    };

    std::vector<Block> blocks_;
    std::deque<BlockId> free_;
    std::list<BlockId> cached_;  // front = least recently released
    int32_t numUsed_ = 0;
    std::function<void(BlockId, BlockHash)> evictionListener_;
};

}  // namespace parley::serving
