#include "serving/kv_cache_manager.h"

namespace parley::serving {

KvCacheManager::KvCacheManager(BlockPool& pool, PrefixCache& prefixCache)
    : pool_(pool), prefixCache_(prefixCache) {}

int32_t KvCacheManager::admit(RequestId request, std::span<const TokenId> tokens) {
    Table& table = tables_[request];
    PrefixCache::Hit hit = prefixCache_.lookup(tokens, int32_t(tokens.size()) - 1);
    table.blocks = std::move(hit.blocks);
    for (int32_t i = 0; i < hit.tokens / kBlockSize; ++i) {
        table.hashes.push_back(*pool_.hash(table.blocks[size_t(i)]));
    }
    return hit.tokens;
}

bool KvCacheManager::mustCopyBeforeWriting(BlockId id) const {
    // Another table holds it, or it is cached content (a block reused for its first tokens).
    return pool_.refCount(id) > 1 || pool_.hash(id).has_value();
}

std::optional<std::vector<BlockCopy>> KvCacheManager::allocateSlots(RequestId request,
                                                                    int32_t computed,
                                                                    int32_t newTokens) {
    const auto existing = tables_.find(request);
    const int32_t held = existing == tables_.end() ? 0 : int32_t(existing->second.blocks.size());
    const int32_t needed = (computed + newTokens + kBlockSize - 1) / kBlockSize;
    const int32_t fresh = std::max(0, needed - held);
    // Blocks this step writes into that another table also holds must become private first.
    const int32_t firstWritten = computed / kBlockSize;
    const int32_t lastHeldWritten = std::min(held, needed);
    int32_t shared = 0;
    for (int32_t i = firstWritten; i < lastHeldWritten && newTokens > 0; ++i) {
        shared += mustCopyBeforeWriting(existing->second.blocks[size_t(i)]) ? 1 : 0;
    }
    if (fresh + shared > pool_.numAvailable()) {
        return std::nullopt;
    }
    Table& table = tables_[request];
    std::vector<BlockCopy> copies;
    for (int32_t i = firstWritten; i < lastHeldWritten && shared > 0; ++i) {
        const BlockId original = table.blocks[size_t(i)];
        if (!mustCopyBeforeWriting(original)) {
            continue;
        }
        const BlockId copy = *pool_.allocate();
        // Only the block holding position `computed` has slots already filled by this request.
        const int32_t filled = i == firstWritten ? computed % kBlockSize : 0;
        if (filled > 0) {
            copies.push_back({.from = original, .to = copy, .numSlots = filled});
        }
        table.blocks[size_t(i)] = copy;
        pool_.release(original);
    }
    for (int32_t i = 0; i < fresh; ++i) {
        table.blocks.push_back(*pool_.allocate());
    }
    return copies;
}

void KvCacheManager::cacheFullBlocks(RequestId request, std::span<const TokenId> tokens,
                                     int32_t computed) {
    const auto it = tables_.find(request);
    if (it == tables_.end()) {
        return;
    }
    Table& table = it->second;
    const size_t fullBlocks = size_t(computed / kBlockSize);
    while (table.hashes.size() < fullBlocks) {
        const size_t index = table.hashes.size();
        const BlockHash parent = index == 0 ? prefixCache_.rootHash() : table.hashes.back();
        const auto blockTokens = tokens.subspan(index * kBlockSize, kBlockSize);
        const BlockHash hash = prefixCache_.blockHash(parent, blockTokens);
        prefixCache_.insert(parent, hash, table.blocks[index], blockTokens);
        table.hashes.push_back(hash);
    }
}

void KvCacheManager::fork(RequestId parent, RequestId child) {
    const auto it = tables_.find(parent);
    if (it == tables_.end()) {
        return;
    }
    Table copy = it->second;
    for (BlockId id : copy.blocks) {
        pool_.retain(id);
    }
    tables_[child] = std::move(copy);
}

void KvCacheManager::free(RequestId request, std::span<const TokenId> tokens, int32_t computed) {
    const auto it = tables_.find(request);
    if (it == tables_.end()) {
        return;
    }
    // The partly filled last block stays findable by its tokens (its owner alone wrote it, and
    // every block before it is cached), so the next turn of the conversation reuses it.
    const Table& table = it->second;
    const size_t last = size_t(computed / kBlockSize);
    if (computed % kBlockSize != 0 && size_t(computed) <= tokens.size() &&
        last < table.blocks.size() && table.hashes.size() == last &&
        pool_.refCount(table.blocks[last]) == 1 && !pool_.hash(table.blocks[last])) {
        const BlockHash parent = last == 0 ? prefixCache_.rootHash() : table.hashes.back();
        prefixCache_.insertTail(parent, table.blocks[last],
                                tokens.subspan(last * kBlockSize, size_t(computed % kBlockSize)));
    }
    for (auto block = it->second.blocks.rbegin(); block != it->second.blocks.rend(); ++block) {
        pool_.release(*block);
    }
    tables_.erase(it);
}

std::span<const BlockId> KvCacheManager::blockTable(RequestId request) const {
    const auto it = tables_.find(request);
    if (it == tables_.end()) {
        return {};
    }
    return it->second.blocks;
}

int64_t KvCacheManager::totalReferences() const {
    int64_t total = 0;
    for (const auto& [id, table] : tables_) {
        total += int64_t(table.blocks.size());
    }
    return total;
}

}  // namespace parley::serving
