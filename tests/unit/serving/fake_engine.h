// Stands in for Model::forward in scheduler tests: a KV pool whose slots hold the token id written
// at that position. Before writing, it checks that every earlier position the block table points
// at holds that sequence's token - so a wrong table, a missed copy-on-write or a prefix-cache hit
// on foreign content shows up as an error. The "model" samples a pure function of the sequence,
// so a request's output does not depend on batching, preemption or caching.
#pragma once

#include "serving/scheduler.h"

#include <array>
#include <string>

namespace parley::serving::testing {

class FakeEngine {
  public:
    explicit FakeEngine(const BlockPool& pool);

    static TokenId nextToken(std::span<const TokenId> sequence);

    // Applies the copies, checks and writes every scheduled chunk, and fills `sampled`. Returns an
    // empty string, or what went wrong.
    std::string run(const SchedulerOutput& step, const Scheduler& scheduler,
                    std::vector<SampledToken>& sampled);

  private:
    static constexpr TokenId kUnwritten = -1;

    const BlockPool& pool_;
    std::vector<std::array<TokenId, kBlockSize>> slots_;
};

}  // namespace parley::serving::testing
