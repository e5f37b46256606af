#include "serving/prefix_cache.h"

#include <algorithm>

namespace parley::serving {
namespace {

// splitmix64 finaliser: cheap, and every input bit affects every output bit.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t combine(uint64_t seed, uint64_t value) {
    return mix(seed ^ mix(value));
}

}  // namespace

PrefixCache::PrefixCache(BlockPool& pool, uint64_t modelId) : pool_(pool), modelId_(modelId) {
    pool_.setEvictionListener([this](BlockId id, BlockHash hash) { onEvicted(id, hash); });
}

PrefixCache::~PrefixCache() {
    pool_.setEvictionListener({});
}

BlockHash PrefixCache::rootHash() const {
    return combine(0x7061726c6579ULL, modelId_);
}

BlockHash PrefixCache::blockHash(BlockHash parent, std::span<const TokenId> blockTokens) const {
    uint64_t h = combine(parent, modelId_);
    for (TokenId token : blockTokens) {
        h = combine(h, uint32_t(token));
    }
    return h;
}

std::vector<BlockId> PrefixCache::lookup(std::span<const TokenId> tokens, int32_t maxBlocks) {
    queryTokens_ += int64_t(tokens.size());
    std::vector<BlockId> hits;
    const int32_t fullBlocks = std::min(int32_t(tokens.size()) / kBlockSize, maxBlocks);
    BlockHash parent = rootHash();
    for (int32_t b = 0; b < fullBlocks; ++b) {
        const auto blockTokens = tokens.subspan(size_t(b) * kBlockSize, kBlockSize);
        const BlockHash hash = blockHash(parent, blockTokens);
        const auto it = entries_.find(hash);
        if (it == entries_.end() ||
            !std::equal(blockTokens.begin(), blockTokens.end(), it->second.tokens.begin())) {
            break;
        }
        pool_.retain(it->second.block);
        hits.push_back(it->second.block);
        parent = hash;
    }
    hitTokens_ += int64_t(hits.size()) * kBlockSize;
    return hits;
}

void PrefixCache::insert(BlockHash hash, BlockId id, std::span<const TokenId> blockTokens) {
    if (entries_.contains(hash) || pool_.hash(id).has_value()) {
        return;
    }
    Entry entry{.block = id};
    std::copy_n(blockTokens.begin(), kBlockSize, entry.tokens.begin());
    entries_.emplace(hash, entry);
    pool_.setHash(id, hash);
}

void PrefixCache::onEvicted(BlockId id, BlockHash hash) {
    const auto it = entries_.find(hash);
    if (it != entries_.end() && it->second.block == id) {
        entries_.erase(it);
    }
}

}  // namespace parley::serving
