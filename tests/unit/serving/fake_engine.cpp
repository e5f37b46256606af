#include "fake_engine.h"

namespace parley::serving::testing {

FakeEngine::FakeEngine(const BlockPool& pool) : pool_(pool), slots_(size_t(pool.numBlocks())) {
    for (auto& block : slots_) {
        block.fill(kUnwritten);
    }
}

TokenId FakeEngine::nextToken(std::span<const TokenId> sequence) {
    uint32_t h = 2166136261u;
    for (TokenId t : sequence) {
        h = (h ^ uint32_t(t)) * 16777619u;
    }
    return TokenId(1000 + h % 997);
}

std::string FakeEngine::run(const SchedulerOutput& step, const Scheduler& scheduler,
                            std::vector<SampledToken>& sampled) {
    sampled.clear();
    for (const BlockCopy& copy : step.copies) {
        for (int32_t s = 0; s < copy.numSlots; ++s) {
            slots_[size_t(copy.to)][size_t(s)] = slots_[size_t(copy.from)][size_t(s)];
        }
    }
    int32_t total = 0;
    for (const ScheduledRequest& chunk : step.scheduled) {
        const std::string who = "request " + std::to_string(chunk.id) + ": ";
        const std::span<const TokenId> sequence = scheduler.tokens(chunk.id);
        const size_t end = size_t(chunk.startPosition) + chunk.tokens.size();
        if (end > sequence.size() ||
            (end + kBlockSize - 1) / kBlockSize != chunk.blockTable.size()) {
            return who + "chunk does not match its sequence or block table";
        }
        for (size_t pos = 0; pos < end; ++pos) {
            const BlockId block = chunk.blockTable[pos / kBlockSize];
            TokenId& slot = slots_[size_t(block)][pos % kBlockSize];
            if (pos < size_t(chunk.startPosition)) {
                if (slot != sequence[pos]) {
                    return who + "cached position " + std::to_string(pos) + " holds " +
                           std::to_string(slot) + " instead of " + std::to_string(sequence[pos]);
                }
                continue;
            }
            if (chunk.tokens[pos - size_t(chunk.startPosition)] != sequence[pos]) {
                return who + "scheduled token differs at " + std::to_string(pos);
            }
            if (pool_.refCount(block) != 1 || pool_.hash(block).has_value()) {
                return who + "writes into shared or cached block " + std::to_string(block);
            }
            slot = sequence[pos];
        }
        total += int32_t(chunk.tokens.size());
        if (chunk.samples) {
            sampled.push_back({.id = chunk.id, .token = nextToken(sequence.first(end))});
        }
    }
    if (total != step.totalTokens) {
        return "totalTokens does not add up";
    }
    return {};
}

}  // namespace parley::serving::testing
