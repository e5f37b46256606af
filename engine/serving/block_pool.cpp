#include "serving/block_pool.h"

#include <cassert>

namespace parley::serving {

BlockPool::BlockPool(int32_t numBlocks) : blocks_(size_t(numBlocks > 0 ? numBlocks : 0)) {
    for (BlockId id = 0; id < int32_t(blocks_.size()); ++id) {
        free_.push_back(id);
    }
}

std::optional<BlockId> BlockPool::allocate() {
    BlockId id = 0;
    if (!free_.empty()) {
        id = free_.front();
        free_.pop_front();
    } else if (!cached_.empty()) {
        id = cached_.front();
        cached_.pop_front();
        Block& evicted = blocks_[size_t(id)];
        const BlockHash oldHash = *evicted.hash;
        evicted.hash.reset();
        if (evictionListener_) {
            evictionListener_(id, oldHash);
        }
    } else {
        return std::nullopt;
    }
    blocks_[size_t(id)].refCount = 1;
    ++numUsed_;
    return id;
}

void BlockPool::retain(BlockId id) {
    Block& block = blocks_[size_t(id)];
    if (block.refCount == 0) {
        // Only cached blocks can be revived: a truly free block has no content worth sharing.
        assert(block.hash.has_value());
        cached_.erase(block.cachedPosition);
        ++numUsed_;
    }
    ++block.refCount;
}

void BlockPool::release(BlockId id) {
    Block& block = blocks_[size_t(id)];
    assert(block.refCount > 0);
    if (--block.refCount > 0) {
        return;
    }
    --numUsed_;
    if (block.hash) {
        block.cachedPosition = cached_.insert(cached_.end(), id);
    } else {
        free_.push_back(id);
    }
}

void BlockPool::setHash(BlockId id, BlockHash hash) {
    Block& block = blocks_[size_t(id)];
    assert(block.refCount > 0);
    block.hash = hash;
}

std::optional<BlockHash> BlockPool::hash(BlockId id) const {
    return blocks_[size_t(id)].hash;
}

void BlockPool::setEvictionListener(std::function<void(BlockId, BlockHash)> listener) {
    evictionListener_ = std::move(listener);
}

std::vector<BlockId> BlockPool::allocationOrder() const {
    std::vector<BlockId> order(free_.begin(), free_.end());
    order.insert(order.end(), cached_.begin(), cached_.end());
    return order;
}

}  // namespace parley::serving
