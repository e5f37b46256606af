// Iteration-level scheduler for one model. Each step, schedule() decides which requests run and
// how many new tokens each computes, under a token budget:
//   1. running requests that decode (one token each), by priority then arrival;
//   2. running requests part-way through a short prompt (what is left of it fits one step's token
//      budget), one chunk each from what budget is left;
//   3. waiting requests, highest priority class first, users taken round-robin within a class,
//      admitted from the prefix cache and given a first chunk;
//   4. running requests part-way through a long prompt: a chat that arrives while a long
//      document is read starts at once instead of waiting for the whole document.
// Prompt chunks are also limited by cost (see SchedulerConfig): while requests decode, a step
// carries at most max(prefillCostWhileDecoding, prefillCostPerDecode * decodes) worth of prompt
// tokens, so a long prompt arriving delays every stream's next token by a bounded amount; with
// nothing decoding the first prompt chunk may take the whole budget and further prompts share
// that cost cap, so of several prompts arriving together the earliest finishes (and streams its
// first token) first.
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
    // Cost of the prompt tokens of one step while any request decodes, and of the prompt tokens
    // after the first chunk when none does, in tokens at position 0 (0: only tokenBudget limits
    // them). A prompt token at position p costs 1 + p / attentionCostPositions: its matmuls plus
    // its attention over p cached positions. On 2 CPU threads with SmolLM2-135M a prompt token at
    // position 0 costs about a twentieth of an 8-stream decode step, so a long prompt arriving
    // adds less than one decode step to theirs (its own first token comes much later: it is
    // computed a few tokens a step). Several prompts arriving together start in arrival order,
    // the first whole and the rest 16 tokens a step, which roughly halved the median time to
    // first token of 8 (parley-cli bench --concurrency 8 --prefill-while-decoding 0 / 16, and
    // --interfere --step-log for the step costs).
    int32_t prefillCostWhileDecoding = 16;
    // With many streams decoding, the prompt cost allowed per decode token when that is more:
    // their step costs about this many prompt tokens each, so the bound on their delay holds
    // while a burst of waiting prompts is admitted faster.
    int32_t prefillCostPerDecode = 2;
    // Cached positions at which one token's attention costs as much as its matmuls (0: attention
    // is free). ServingEngine derives it from the model when left at 0.
    int32_t attentionCostPositions = 0;
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
    bool decodes = false;             // one token after the previous sample, not a prompt chunk
};

struct SchedulerOutput {
    std::vector<ScheduledRequest> scheduled;
    std::vector<RequestId> preempted;  // back to waiting this step
    std::vector<RequestId> cancelled;  // removed this step
    std::vector<BlockCopy> copies;     // apply before running the step
    int32_t totalTokens = 0;
    int32_t decodeTokens = 0;  // of totalTokens, in entries that decode
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
        // Prompt cost left, in units where a token at position p costs promptTokenCost(p).
        int64_t promptCostLeft = 0;
        bool promptCapped = false;  // the first uncapped prompt chunk is taken, or a stream decodes
    };

    bool fitsInPool(size_t tokens) const;
    void enqueueWaiting(const Request& request, bool atFront);
    std::optional<RequestId> peekWaiting() const;
    void popWaiting(RequestId id);
    void dropCancelled(SchedulerOutput& out);
    // What a running request computes next: one token of its answer, or a chunk of a prompt
    // whose rest fits one step's token budget (short) or does not (long).
    enum class Work { Decode, ShortPrompt, LongPrompt };
    Work workOf(const Request& request) const;
    std::vector<RequestId> runningInOrder(Work work) const;
    void scheduleRunning(Plan& plan, Work work);
    int64_t promptTokenCost(int32_t position) const;
    // Tokens of a prompt chunk at `position` the plan's budget and prompt cost allow.
    int32_t promptChunk(const Plan& plan, int32_t position, int32_t remaining) const;
    void chargePrompt(Plan& plan, int32_t position, int32_t tokens) const;
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
