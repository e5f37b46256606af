// Iteration-level scheduler for one model. Each step, schedule() decides which requests run and
// how many new tokens each computes, under a token budget:
//   1. running requests that decode (one token each), by priority then arrival;
//   2. running requests part-way through their prompt, one chunk each from what budget is left;
//   3. waiting requests, highest priority class first, users taken round-robin within a class,
//      admitted from the prefix cache and given a first chunk.
// There is no prefill or decode phase: a request's computed count catches up with its tokens.
// When a running request cannot get blocks, the lowest-priority, latest-arrived running request is
// preempted by recompute: its blocks are released and it waits again with all its tokens so far.
// The engine runs the step (applying `copies` first) and reports sampled tokens to onStepDone().
#pragma once

#include "serving/kv_cache_manager.h"

#include <deque>
#include <map>
#include <string>

namespace parley::serving {

enum class Priority { Interactive = 0, LongContext = 1, Background = 2 };
inline constexpr int kPriorityCount = 3;

enum class AddResult {
    Accepted,
    Overloaded,  // waiting queue full: answer at once, do not queue
    Invalid,     // empty prompt, id in use, or more tokens than the whole pool holds
};

enum class FinishReason { Stop, Length, Cancelled };

struct SchedulerConfig {
    int32_t tokenBudget = 512;  // new tokens computed per step, all requests together
    int32_t maxRunning = 64;    // requests holding blocks at once
    int32_t maxWaiting = 64;    // bound of the waiting queue seen by add()
    // Prompt tokens per step while any request decodes (0: only tokenBudget limits them). A step
    // costs about its token count, so this bounds how much a long prompt arriving delays every
    // running stream's next token, at the price of a slower first token for that prompt.
    int32_t prefillTokensWhileDecoding = 0;
};

struct NewRequest {
    RequestId id = 0;
    std::string user;
    Priority priority = Priority::Interactive;
    std::vector<TokenId> prompt;
    int32_t maxNewTokens = 128;
    std::optional<TokenId> eos;
};

struct ScheduledRequest {
    RequestId id = 0;
    int32_t startPosition = 0;        // tokens already in the KV cache
    std::vector<TokenId> tokens;      // the new tokens, at startPosition...
    std::vector<BlockId> blockTable;  // covers [0, startPosition + tokens.size())
    bool samples = false;             // reaches the end of the known tokens: sample one
};

struct SchedulerOutput {
    std::vector<ScheduledRequest> scheduled;
    std::vector<RequestId> preempted;  // back to waiting this step
    std::vector<RequestId> cancelled;  // removed this step
    std::vector<BlockCopy> copies;     // apply before running the step
    int32_t totalTokens = 0;
};

struct SampledToken {
    RequestId id = 0;
    TokenId token = 0;
};

struct FinishedRequest {
    RequestId id = 0;
    FinishReason reason = FinishReason::Stop;
    std::vector<TokenId> generated;
};

class Scheduler {
  public:
    Scheduler(SchedulerConfig config, BlockPool& pool, PrefixCache& prefixCache);

    AddResult add(NewRequest request);
    // Child continues from everything the parent has so far, sharing its KV blocks.
    AddResult fork(RequestId parent, RequestId child, int32_t maxNewTokens);
    // Blocks are released now; the request leaves the queues at the next schedule().
    bool cancel(RequestId id);

    SchedulerOutput schedule();
    // Appends the sampled tokens of the step `step` described; returns requests that finished.
    std::vector<FinishedRequest> onStepDone(const SchedulerOutput& step,
                                            std::span<const SampledToken> sampled);

    int32_t numRunning() const { return int32_t(running_.size()); }
    int32_t numWaiting() const { return numWaiting_; }
    bool has(RequestId id) const { return requests_.contains(id); }
    // Prompt and generated tokens so far; empty for an unknown id.
    std::span<const TokenId> tokens(RequestId id) const;
    // Tokens whose KV is in the cache; 0 for an unknown id.
    int32_t numComputed(RequestId id) const;
    const KvCacheManager& kvCache() const { return kvCache_; }

  private:
    enum class State { Waiting, Running, Cancelled };

    struct Request {
        RequestId id = 0;
        std::string user;
        Priority priority = Priority::Interactive;
        uint64_t arrival = 0;
        std::vector<TokenId> tokens;  // prompt, then generated
        int32_t promptLength = 0;
        int32_t maxNewTokens = 0;
        std::optional<TokenId> eos;
        int32_t computed = 0;  // tokens whose KV is in the cache
        State state = State::Waiting;
    };

    // Waiting requests of one priority class: per-user FIFO queues served round-robin.
    struct WaitingClass {
        std::deque<std::string> userTurns;
        std::map<std::string, std::deque<RequestId>> byUser;
    };

    // Step-local plan, so a preempted victim can be taken back out of it.
    struct Plan {
        std::vector<ScheduledRequest> scheduled;
        std::vector<std::vector<BlockCopy>> copies;  // parallel to scheduled
        std::vector<RequestId> preempted;
        int32_t budget = 0;
    };

    bool fitsInPool(size_t tokens) const;
    void enqueueWaiting(const Request& request, bool atFront);
    std::optional<RequestId> peekWaiting() const;
    void popWaiting(RequestId id);
    void dropCancelled(SchedulerOutput& out);
    std::vector<RequestId> runningInOrder(bool decoding) const;
    void scheduleRunning(Plan& plan, bool decoding);
    void scheduleWaiting(Plan& plan);
    void addToPlan(Plan& plan, const Request& request, int32_t newTokens,
                   std::vector<BlockCopy> copies);
    bool tryAllocate(Plan& plan, Request& request, int32_t newTokens);
    void preempt(Plan& plan, RequestId victim);
    void finish(Request& request);

    SchedulerConfig config_;
    BlockPool& pool_;
    KvCacheManager kvCache_;
    std::map<RequestId, Request> requests_;
    std::vector<RequestId> running_;
    WaitingClass waiting_[kPriorityCount];
    int32_t numWaiting_ = 0;
    std::vector<RequestId> pendingCancelled_;
    uint64_t nextArrival_ = 0;
};

}  // namespace parley::serving
