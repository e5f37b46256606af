// One model served to many requests at once: a dedicated engine thread runs the scheduler's
// steps through Model::forward, samples every request with its own sampler and streams text.
//
//   submit() / cancel()  --(mutex-protected inbox)-->  engine thread:
//       loop { admit submissions, apply cancellations, schedule(), copy blocks, forward,
//              sample per request, onStepDone(), publish stats, deliver events }
//   and sleeps on a condition variable while no request is active.
//
// The engine owns this model's KV pool, block pool, prefix cache, scheduler and forward scratch;
// the worker ThreadPool is passed in so several engines (models) can share it. Events reach the
// consumer through the request's StreamCallback on the engine thread (see token_stream.h: it must
// not block). End-of-generation tokens and stop strings are detected here; the scheduler is only
// told to release the request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inference/cpu/thread_pool.h"
#include "inference/model/model.h"
#include "inference/sampling/sampler.h"
#include "inference/tokenizer/tokenizer.h"
#include "serving/metrics.h"
#include "serving/scheduler.h"
#include "serving/token_stream.h"

namespace parley::serving {

// What one engine step did and how long its parts took; for benchmarks and diagnosis.
struct StepRecord {
    uint64_t step = 0;
    int32_t decodeTokens = 0;   // requests that decoded one token
    int32_t promptTokens = 0;   // prompt (or recomputed) tokens of every chunk together
    int32_t contextTokens = 0;  // largest startPosition + tokens of an entry: the longest attention
    double scheduleMs = 0;      // schedule() and block copies
    double forwardMs = 0;       // Model::forward
    double sampleMs = 0;        // sampling, onStepDone, detokenization and stop strings
};

struct ServingConfig {
    int64_t kvBudgetBytes = 256ll << 20;  // KV cache of this model; sets the number of blocks
    SchedulerConfig scheduler;            // a token budget or running limit below 1 counts as 1
    uint64_t modelId = 0;   // prefix-cache key: engines of different models never share KV
    std::string modelName;  // the metrics' model_name label
    // Called on the engine thread after every step that ran the model; must not block.
    std::function<void(const StepRecord&)> onStep;
};

struct ServingRequest {
    std::string user;  // fairness between users; never a cache key
    Priority priority = Priority::Interactive;
    std::vector<TokenId> prompt;
    int32_t maxNewTokens = 256;
    sampling::SamplingParams sampling;
    std::vector<std::string> stopStrings;
    bool ignoreEndOfGeneration = false;  // benchmarks: always generate maxNewTokens
    StreamCallback onEvent;              // required; see token_stream.h
};

enum class SubmitStatus {
    Accepted,
    Overloaded,  // waiting queue full: retry later (HTTP 429/503)
    Invalid,     // empty prompt, no callback, or longer than the KV cache or the model's context
};

struct RequestHandle {
    SubmitStatus status = SubmitStatus::Invalid;
    RequestId id = 0;   // valid when Accepted
    std::string error;  // why, when Invalid
};

// Published by the engine thread after every step.
struct EngineStats {
    int32_t running = 0;
    int32_t waiting = 0;  // in the scheduler's queue and not yet admitted from the inbox
    int32_t kvBlocksTotal = 0;
    int32_t kvBlocksUsed = 0;    // referenced by requests
    int32_t kvBlocksCached = 0;  // unreferenced, kept for prefix hits
    uint64_t steps = 0;          // forward passes run
};

class ServingEngine {
  public:
    ServingEngine(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                  cpu::ThreadPool& threads, ServingConfig config);
    // Finishes every request still active as Cancelled, then stops the engine thread.
    ~ServingEngine();
    ServingEngine(const ServingEngine&) = delete;
    ServingEngine& operator=(const ServingEngine&) = delete;

    // Returns at once: Accepted (events follow through request.onEvent), Overloaded or Invalid
    // (no events).
    RequestHandle submit(ServingRequest request);
    // The request leaves the batch before the next step, its blocks are released (full ones stay
    // in the prefix cache) and it finishes as Cancelled. False for an id not active.
    bool cancel(RequestId id);

    EngineStats stats() const;
    MetricsSnapshot metrics() const { return metrics_.snapshot(); }
    // Token slots the KV budget gives this model.
    int32_t kvCapacityTokens() const { return kvCapacityTokens_; }

  private:
    using Clock = std::chrono::steady_clock;

    struct Submission {
        RequestId id = 0;
        ServingRequest request;
        Clock::time_point submitted;
    };

    struct Active;
    struct Outgoing {
        std::shared_ptr<const StreamCallback> callback;
        StreamEvent event;
    };

    void run();
    void admit(Submission& submission, std::vector<Outgoing>& out);
    void step(std::vector<Outgoing>& out);
    void takeToken(Active& request, TokenId token, Clock::time_point now,
                   std::vector<Outgoing>& out);
    void finish(RequestId id, CompletionReason reason, std::string error,
                std::vector<Outgoing>& out);
    void publishStats();

    const model::Model& model_;
    const tokenizer::Tokenizer& tokenizer_;
    cpu::ThreadPool& threads_;
    ServingConfig config_;
    SchedulerConfig schedulerConfig_;  // config_.scheduler with limits raised to what can run
    int32_t kvCapacityTokens_ = 0;
    ServingMetrics metrics_;

    // Engine thread only.
    model::KvPool kv_;
    BlockPool blocks_;
    PrefixCache prefixCache_;
    Scheduler scheduler_;
    model::ForwardWorkspace workspace_;
    model::ForwardOutput forwardOut_;
    std::unordered_map<RequestId, std::unique_ptr<Active>> active_;
    uint64_t steps_ = 0;
    std::vector<RequestId> finishedIds_;  // leave live_ at the next publishStats()

    // Shared with submit()/cancel()/stats().
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Submission> inbox_;
    std::vector<RequestId> cancellations_;
    std::unordered_set<RequestId> live_;  // submitted and not yet finished
    bool stopping_ = false;
    int32_t schedulerWaiting_ = 0;  // scheduler_.numWaiting() as of the last inbox drain
    EngineStats stats_;
    RequestId nextId_ = 1;

    std::thread thread_;  // last: starts once everything above exists
};

}  // namespace parley::serving
