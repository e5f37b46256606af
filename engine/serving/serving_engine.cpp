#include "serving/serving_engine.h"

#include <algorithm>

#include "inference/generate/stop_matcher.h"

namespace parley::serving {
namespace {

double secondsBetween(std::chrono::steady_clock::time_point from,
                      std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

StreamEvent textEvent(std::string text) {
    StreamEvent event;
    event.kind = StreamEvent::Kind::Text;
    event.text = std::move(text);
    return event;
}

double millisecondsBetween(std::chrono::steady_clock::time_point from,
                           std::chrono::steady_clock::time_point to) {
    return secondsBetween(from, to) * 1000.0;
}

// Per token, the matmuls of a layer multiply-add each weight once; attention over p cached
// positions multiply-adds 2 * qDim values per position (scores, then weighted values). The CPU
// attention kernels reach about a sixth of the quantised matmuls' rate per multiply-add on short
// prompt chunks over a long context (SmolLM2-135M, 2 threads: 3 to 24 prompt tokens at position
// 4,000 cost 16-20 ms each against 1.75 ms at position 0), so attention counts six times.
int32_t attentionCostPositions(const model::Hparams& hp) {
    constexpr int64_t kAttentionSlowdown = 6;
    const int64_t weightsPerLayer = 2 * int64_t(hp.nEmbd) * hp.qDim() +
                                    2 * int64_t(hp.nEmbd) * hp.kvDim() +
                                    3 * int64_t(hp.nEmbd) * hp.nFf;
    return int32_t(
        std::max<int64_t>(1, weightsPerLayer / (2 * int64_t(hp.qDim()) * kAttentionSlowdown)));
}

// A budget or running limit below one would never schedule anything.
SchedulerConfig usable(SchedulerConfig config, const model::Hparams& hp) {
    config.tokenBudget = std::max(config.tokenBudget, 1);
    config.maxRunning = std::max(config.maxRunning, 1);
    config.maxWaiting = std::max(config.maxWaiting, 0);
    config.prefillCostWhileDecoding = std::max(config.prefillCostWhileDecoding, 0);
    if (config.attentionCostPositions <= 0) {
        config.attentionCostPositions = attentionCostPositions(hp);
    }
    return config;
}

int32_t blocksForBudget(const model::Model& model, int64_t budgetBytes) {
    const int64_t perBlock =
        model::KvPool::bytesPerBlock(model.hparams().nLayer, model.hparams().kvDim(), kBlockSize);
    return int32_t(std::max<int64_t>(1, budgetBytes / perBlock));
}

}  // namespace

// Per-request state of the engine thread: sampling, detokenization and timing.
struct ServingEngine::Active {
    Active(RequestId requestId, ServingRequest& request, const tokenizer::Tokenizer& tokenizer,
           Clock::time_point submittedAt)
        : id(requestId),
          callback(std::make_shared<const StreamCallback>(std::move(request.onEvent))),
          sampler(std::move(request.sampling)),
          decoder(tokenizer),
          stops(std::move(request.stopStrings)),
          ignoreEndOfGeneration(request.ignoreEndOfGeneration),
          promptTokens(int32_t(request.prompt.size())),
          submitted(submittedAt) {}

    RequestId id;
    std::shared_ptr<const StreamCallback> callback;
    sampling::Sampler sampler;
    tokenizer::StreamingDecoder decoder;
    generate::StopMatcher stops;
    bool ignoreEndOfGeneration;
    int32_t promptTokens;
    int32_t completionTokens = 0;
    Clock::time_point submitted;
    std::optional<Clock::time_point> firstScheduled;
    std::optional<Clock::time_point> firstToken;
    Clock::time_point lastToken;
};

ServingEngine::ServingEngine(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                             cpu::ThreadPool& threads, ServingConfig config)
    : model_(model),
      tokenizer_(tokenizer),
      threads_(threads),
      config_(std::move(config)),
      schedulerConfig_(usable(config_.scheduler, model.hparams())),
      kvCapacityTokens_(blocksForBudget(model, config_.kvBudgetBytes) * kBlockSize),
      metrics_(config_.modelName),
      kv_(model.makeKvPool(kvCapacityTokens_ / kBlockSize, kBlockSize)),
      blocks_(kv_.numBlocks()),
      prefixCache_(blocks_, config_.modelId),
      scheduler_(schedulerConfig_, blocks_, prefixCache_) {
    stats_.kvBlocksTotal = blocks_.numBlocks();
    thread_ = std::thread([this] { run(); });
}

ServingEngine::~ServingEngine() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

RequestHandle ServingEngine::submit(ServingRequest request) {
    RequestHandle handle;
    const auto invalid = [&](std::string why) {
        handle.error = std::move(why);
        return handle;
    };
    if (request.prompt.empty()) {
        return invalid("the prompt has no tokens");
    }
    if (request.maxNewTokens < 1) {
        return invalid("max new tokens must be at least 1");
    }
    if (!request.onEvent) {
        return invalid("no event callback");
    }
    const int64_t total = int64_t(request.prompt.size()) + request.maxNewTokens;
    if (total > kvCapacityTokens_) {
        return invalid("prompt and answer (" + std::to_string(total) +
                       " tokens) exceed the KV cache of " + std::to_string(kvCapacityTokens_));
    }
    const int32_t context = model_.hparams().nCtxTrain;
    if (context > 0 && total > context) {
        return invalid("prompt and answer (" + std::to_string(total) +
                       " tokens) exceed the model's context of " + std::to_string(context));
    }
    const int32_t vocab = model_.hparams().nVocab;
    if (std::any_of(request.prompt.begin(), request.prompt.end(),
                    [vocab](TokenId t) { return t < 0 || t >= vocab; })) {
        return invalid("the prompt has a token id outside the vocabulary");
    }
    {
        const std::lock_guard lock(mutex_);
        // Submissions still in the inbox wait too: count them against the scheduler's bound.
        if (stopping_ ||
            schedulerWaiting_ + int32_t(inbox_.size()) >= schedulerConfig_.maxWaiting) {
            handle.status = SubmitStatus::Overloaded;
        } else {
            handle.status = SubmitStatus::Accepted;
            handle.id = nextId_++;
            live_.insert(handle.id);
            inbox_.push_back({handle.id, std::move(request), Clock::now()});
        }
    }
    if (handle.status == SubmitStatus::Overloaded) {
        metrics_.addRejected();
    } else {
        wake_.notify_one();
    }
    return handle;
}

bool ServingEngine::cancel(RequestId id) {
    {
        const std::lock_guard lock(mutex_);
        if (!live_.contains(id)) {
            return false;
        }
        cancellations_.push_back(id);
    }
    wake_.notify_one();
    return true;
}

EngineStats ServingEngine::stats() const {
    const std::lock_guard lock(mutex_);
    return stats_;
}

void ServingEngine::run() {
    std::vector<Outgoing> out;
    std::vector<Submission> submissions;
    std::vector<RequestId> cancellations;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || !inbox_.empty() || !cancellations_.empty() || !active_.empty();
            });
            if (stopping_) {
                break;
            }
            submissions.swap(inbox_);
            cancellations.swap(cancellations_);
            // Admitted under the lock, so submit() never sees a request in neither the inbox nor
            // the scheduler's count.
            for (Submission& s : submissions) {
                admit(s, out);
            }
            schedulerWaiting_ = scheduler_.numWaiting();
        }
        submissions.clear();
        for (RequestId id : cancellations) {
            finish(id, CompletionReason::Cancelled, {}, out);
        }
        cancellations.clear();
        if (!active_.empty()) {
            step(out);
        }
        publishStats();
        for (Outgoing& o : out) {
            (*o.callback)(std::move(o.event));
        }
        out.clear();
    }
    // Shutting down: nobody may wait forever for a finish event.
    std::vector<RequestId> remaining;
    for (const auto& [id, request] : active_) {
        remaining.push_back(id);
    }
    {
        const std::lock_guard lock(mutex_);
        submissions.swap(inbox_);
    }
    for (Submission& s : submissions) {
        admit(s, out);
        remaining.push_back(s.id);
    }
    for (RequestId id : remaining) {
        finish(id, CompletionReason::Cancelled, {}, out);
    }
    for (Outgoing& o : out) {
        (*o.callback)(std::move(o.event));
    }
}

void ServingEngine::admit(Submission& submission, std::vector<Outgoing>& out) {
    NewRequest request;
    request.id = submission.id;
    request.user = submission.request.user;
    request.priority = submission.request.priority;
    request.prompt = submission.request.prompt;
    request.maxNewTokens = submission.request.maxNewTokens;
    const AddResult added = scheduler_.add(std::move(request));
    active_.emplace(submission.id, std::make_unique<Active>(submission.id, submission.request,
                                                            tokenizer_, submission.submitted));
    if (added != AddResult::Accepted) {
        // Only possible when preempted requests refilled the queue after submit() checked it.
        finish(submission.id, CompletionReason::Error,
               added == AddResult::Overloaded ? "overloaded" : "rejected by the scheduler", out);
    }
}

void ServingEngine::step(std::vector<Outgoing>& out) {
    const Clock::time_point scheduling = Clock::now();
    const SchedulerOutput plan = scheduler_.schedule();
    if (!plan.preempted.empty()) {
        metrics_.addPreemptions(plan.preempted.size());
    }
    if (plan.scheduled.empty()) {
        return;
    }
    for (const BlockCopy& copy : plan.copies) {
        kv_.copyBlock(copy.from, copy.to, copy.numSlots);
    }
    const Clock::time_point started = Clock::now();
    StepRecord record;
    record.step = steps_;
    record.decodeTokens = plan.decodeTokens;
    record.promptTokens = plan.totalTokens - plan.decodeTokens;
    std::vector<model::SequenceStep> batch;
    batch.reserve(plan.scheduled.size());
    for (const ScheduledRequest& chunk : plan.scheduled) {
        batch.push_back({chunk.tokens, chunk.startPosition, chunk.blockTable,
                         chunk.samples ? model::LogitsWanted::Last : model::LogitsWanted::None});
        record.contextTokens =
            std::max(record.contextTokens, chunk.startPosition + int32_t(chunk.tokens.size()));
        Active& request = *active_.at(chunk.id);
        if (!request.firstScheduled) {
            request.firstScheduled = started;
            metrics_.observeQueueTime(secondsBetween(request.submitted, started));
        }
    }
    ++steps_;
    const Status status = model_.forward(batch, kv_, threads_, workspace_, forwardOut_);
    const Clock::time_point forwarded = Clock::now();
    if (!status.ok()) {
        for (const ScheduledRequest& chunk : plan.scheduled) {
            finish(chunk.id, CompletionReason::Error, "forward pass: " + status.error().message,
                   out);
        }
        return;
    }
    const auto vocab = size_t(model_.hparams().nVocab);
    std::vector<SampledToken> sampled;
    for (size_t i = 0; i < plan.scheduled.size(); ++i) {
        const ScheduledRequest& chunk = plan.scheduled[i];
        if (!chunk.samples) {
            continue;
        }
        const auto row =
            std::span(forwardOut_.logits).subspan(size_t(forwardOut_.firstRow[i]) * vocab, vocab);
        const TokenId token =
            active_.at(chunk.id)->sampler.sample(row, scheduler_.tokens(chunk.id));
        sampled.push_back({.id = chunk.id, .token = token});
    }
    const std::vector<FinishedRequest> reachedLength = scheduler_.onStepDone(plan, sampled);
    const Clock::time_point now = Clock::now();
    for (const SampledToken& s : sampled) {
        takeToken(*active_.at(s.id), s.token, now, out);
    }
    for (const FinishedRequest& done : reachedLength) {
        if (active_.contains(done.id)) {  // not already stopped by its last token
            finish(done.id, CompletionReason::Length, {}, out);
        }
    }
    if (config_.onStep) {
        record.scheduleMs = millisecondsBetween(scheduling, started);
        record.forwardMs = millisecondsBetween(started, forwarded);
        record.sampleMs = millisecondsBetween(forwarded, Clock::now());
        config_.onStep(record);
    }
}

void ServingEngine::takeToken(Active& request, TokenId token, Clock::time_point now,
                              std::vector<Outgoing>& out) {
    ++request.completionTokens;
    if (!request.firstToken) {
        request.firstToken = now;
        metrics_.observeFirstToken(secondsBetween(request.submitted, now));
    } else {
        metrics_.observeInterToken(secondsBetween(request.lastToken, now));
    }
    request.lastToken = now;
    if (!request.ignoreEndOfGeneration && tokenizer_.isEndOfGeneration(token)) {
        finish(request.id, CompletionReason::Stop, {}, out);
        return;
    }
    std::string text = request.stops.push(request.decoder.push(token));
    if (!text.empty()) {
        out.push_back({request.callback, textEvent(std::move(text))});
    }
    if (request.stops.stopped()) {
        finish(request.id, CompletionReason::Stop, {}, out);
    }
}

void ServingEngine::finish(RequestId id, CompletionReason reason, std::string error,
                           std::vector<Outgoing>& out) {
    const auto it = active_.find(id);
    if (it == active_.end()) {
        return;  // finished earlier (a cancellation racing its last token)
    }
    Active& request = *it->second;
    if (scheduler_.has(id)) {
        scheduler_.cancel(id);  // releases its blocks now; full ones stay in the prefix cache
    }
    // A stop string or end-of-generation drops the rest; a length limit releases what the decoder
    // and the stop matcher held back.
    if (reason == CompletionReason::Length) {
        std::string tail = request.stops.push(request.decoder.flush());
        if (request.stops.stopped()) {
            reason = CompletionReason::Stop;
        } else {
            tail += request.stops.flush();
        }
        if (!tail.empty()) {
            out.push_back({request.callback, textEvent(std::move(tail))});
        }
    }
    const Clock::time_point now = Clock::now();
    StreamEvent event;
    event.kind = StreamEvent::Kind::Finish;
    event.reason = reason;
    event.error = std::move(error);
    event.usage = {.promptTokens = request.promptTokens,
                   .completionTokens = request.completionTokens};
    const auto ms = [&](std::optional<Clock::time_point> t) {
        return t ? secondsBetween(request.submitted, *t) * 1000.0 : 0.0;
    };
    event.timings = {.queueMs = ms(request.firstScheduled),
                     .ttftMs = ms(request.firstToken),
                     .totalMs = ms(now)};
    metrics_.observeFinished(reason, request.promptTokens, request.completionTokens,
                             secondsBetween(request.submitted, now));
    out.push_back({request.callback, std::move(event)});
    active_.erase(it);
    finishedIds_.push_back(id);
}

void ServingEngine::publishStats() {
    EngineStats s;
    s.running = scheduler_.numRunning();
    s.kvBlocksTotal = blocks_.numBlocks();
    s.kvBlocksUsed = blocks_.numUsed();
    s.kvBlocksCached = blocks_.numCached();
    s.steps = steps_;
    metrics_.setPrefixCacheTotals(prefixCache_.queryTokens(), prefixCache_.hitTokens());
    const std::lock_guard lock(mutex_);
    for (RequestId id : finishedIds_) {
        live_.erase(id);
    }
    finishedIds_.clear();
    schedulerWaiting_ = scheduler_.numWaiting();
    s.waiting = schedulerWaiting_ + int32_t(inbox_.size());
    stats_ = s;
    metrics_.setLoad(s.running, s.waiting, double(s.kvBlocksUsed) / double(s.kvBlocksTotal));
}

}  // namespace parley::serving
