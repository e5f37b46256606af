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

PrefixCache::Hit PrefixCache::lookup(std::span<const TokenId> tokens, int32_t maxTokens) {
    queryTokens_ += int64_t(tokens.size());
    Hit hit;
    const int32_t limit = std::clamp(maxTokens, 0, int32_t(tokens.size()));
    BlockHash parent = rootHash();
    for (int32_t b = 0; b < limit / kBlockSize; ++b) {
        const auto blockTokens = tokens.subspan(size_t(b) * kBlockSize, kBlockSize);
        const BlockHash hash = blockHash(parent, blockTokens);
        const auto it = entries_.find(hash);
        if (it == entries_.end() || it->second.count != kBlockSize ||
            !std::equal(blockTokens.begin(), blockTokens.end(), it->second.tokens.begin())) {
            break;
        }
        pool_.retain(it->second.block);
        hit.blocks.push_back(it->second.block);
        hit.tokens += kBlockSize;
        parent = hash;
    }
    // The child of the last matching block that starts with the most of the following tokens.
    const auto rest =
        tokens.subspan(size_t(hit.tokens), size_t(std::min(limit - hit.tokens, kBlockSize - 1)));
    const Entry* best = nullptr;
    int32_t bestRun = 0;
    if (const auto children = children_.find(parent); children != children_.end()) {
        for (BlockHash child : children->second) {
            const Entry& entry = entries_.at(child);
            const auto end =
                entry.tokens.begin() + std::min<std::ptrdiff_t>(entry.count, rest.size());
            const int32_t run =
                int32_t(std::mismatch(entry.tokens.begin(), end, rest.begin()).first -
                        entry.tokens.begin());
            if (run > bestRun) {
                best = &entry;
                bestRun = run;
            }
        }
    }
    if (best != nullptr) {
        pool_.retain(best->block);
        hit.blocks.push_back(best->block);
        hit.tokens += bestRun;
    }
    hitTokens_ += hit.tokens;
    return hit;
}

void PrefixCache::insert(BlockHash parent, BlockHash hash, BlockId id,
                         std::span<const TokenId> blockTokens) {
    add(parent, hash, id, blockTokens.first(kBlockSize));
}

void PrefixCache::insertTail(BlockHash parent, BlockId id, std::span<const TokenId> tokens) {
    if (tokens.empty() || tokens.size() >= size_t(kBlockSize)) {
        return;
    }
    // Mixing in the length keeps a tail's hash apart from a full block's over the same start.
    add(parent, combine(blockHash(parent, tokens), uint64_t(tokens.size())), id, tokens);
}

void PrefixCache::add(BlockHash parent, BlockHash hash, BlockId id,
                      std::span<const TokenId> tokens) {
    if (entries_.contains(hash) || pool_.hash(id).has_value()) {
        return;
    }
    Entry entry{.block = id, .parent = parent, .count = int32_t(tokens.size())};
    std::copy(tokens.begin(), tokens.end(), entry.tokens.begin());
    entries_.emplace(hash, entry);
    children_[parent].push_back(hash);
    pool_.setHash(id, hash);
}

void PrefixCache::onEvicted(BlockId id, BlockHash hash) {
    const auto it = entries_.find(hash);
    if (it == entries_.end() || it->second.block != id) {
        return;
    }
    const auto children = children_.find(it->second.parent);
    if (children != children_.end()) {
        std::erase(children->second, hash);
        if (children->second.empty()) {
            children_.erase(children);
        }
    }
    entries_.erase(it);
}

}  // namespace parley::serving
