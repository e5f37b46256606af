#include "serving_scenarios.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "inference/cpu/matmul.h"
#include "serving/serving_engine.h"
#include "serving/token_stream.h"
#include "step_log.h"

namespace parley::cli {
namespace {

using Clock = std::chrono::steady_clock;
using chat_template::ChatMessage;

// The texts run_serving_bench.py sends llama-server; keep the two in step.
constexpr const char* kSummaryQuestion = "\n\nIn one sentence, what is the text above about?";
constexpr const char* kFollowUpAnswer = "It is a list of numbered facts.";
constexpr const char* kFollowUpQuestion = "Which fact mentions a lighthouse?";
constexpr const char* kTopics[] = {"the sea",   "a lighthouse",   "autumn",  "a robot",
                                   "a library", "the moon",       "a train", "a garden",
                                   "mountains", "a city at night"};
// Streams must be decoding steadily before the long prompt arrives.
constexpr int kTokensBeforeArrival = 16;

Result<std::string> readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return makeError("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

double nearestRank(std::vector<double> values, double p) {
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const auto rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double milliseconds(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

int64_t kvBytesPerToken(const model::Model& m) {
    const auto& hp = m.hparams();
    return model::KvPool::bytesPerBlock(hp.nLayer, hp.kvDim(), serving::kBlockSize) /
           serving::kBlockSize;
}

serving::ServingConfig engineConfig(const Options& o, const model::Model& m, int64_t kvTokens,
                                    int32_t streams) {
    serving::ServingConfig config;
    config.kvBudgetBytes = kvTokens * kvBytesPerToken(m);
    config.scheduler.maxRunning = streams;
    config.scheduler.maxWaiting = streams;
    const int32_t defaultBudget = serving::SchedulerConfig{}.tokenBudget;
    config.scheduler.tokenBudget =
        int32_t(o.getInt("--token-budget", defaultBudget).value_or(defaultBudget));
    const int32_t defaultCost = serving::SchedulerConfig{}.prefillCostWhileDecoding;
    config.scheduler.prefillCostWhileDecoding =
        int32_t(o.getInt("--prefill-while-decoding", defaultCost).value_or(defaultCost));
    config.modelName = "bench";
    return config;
}

serving::ServingRequest greedyRequest(std::vector<model::TokenId> prompt, int32_t tokens,
                                      serving::StreamCallback onEvent) {
    serving::ServingRequest r;
    r.user = "bench";
    r.prompt = std::move(prompt);
    r.maxNewTokens = tokens;
    r.sampling.temperature = 0;
    r.ignoreEndOfGeneration = true;
    r.onEvent = std::move(onEvent);
    return r;
}

// Submits and waits for the finish event; its timings.
Result<serving::Timings> runToFinish(serving::ServingEngine& engine,
                                     std::vector<model::TokenId> prompt, int32_t tokens) {
    serving::TokenStream stream;
    const auto handle = engine.submit(greedyRequest(std::move(prompt), tokens, stream.callback()));
    if (handle.status != serving::SubmitStatus::Accepted)
        return makeError("request not accepted: " + handle.error);
    while (auto event = stream.next(std::chrono::minutes(5))) {
        if (event->kind == serving::StreamEvent::Kind::Finish) {
            if (event->reason != serving::CompletionReason::Length)
                return makeError(std::string("request ended early: ") +
                                 serving::completionReasonName(event->reason) + " " + event->error);
            return event->timings;
        }
    }
    return makeError("request timed out");
}

// The token times of one stream, written by the engine thread's callback (never blocking: the
// vector is reserved for every token) and read after the finish event.
struct TokenTimes {
    std::vector<Clock::time_point> times;
    std::atomic<int> count{0};
};

serving::StreamCallback recordingCallback(std::shared_ptr<TokenTimes> record,
                                          serving::StreamCallback inner) {
    return [record = std::move(record), inner = std::move(inner)](serving::StreamEvent&& e) {
        if (e.kind == serving::StreamEvent::Kind::Text) {
            record->times.push_back(Clock::now());
            record->count.fetch_add(1, std::memory_order_release);
        }
        inner(std::move(e));
    };
}

// A long prompt spread over many steps sends nothing for minutes on a loaded machine.
bool waitForFinish(serving::TokenStream& stream) {
    while (auto event = stream.next(std::chrono::minutes(30))) {
        if (event->kind == serving::StreamEvent::Kind::Finish)
            return event->reason == serving::CompletionReason::Length;
    }
    return false;
}

struct StreamRun {
    std::vector<std::shared_ptr<TokenTimes>> records;  // per stream
    Clock::time_point arrival;                         // of the long prompt
    std::optional<Clock::time_point> longFirstToken;
};

// Submits the streams; once each has kTokensBeforeArrival tokens, `longPrompt` (when not empty)
// arrives with one token to generate. Returns when everything finished.
Result<StreamRun> runStreams(serving::ServingEngine& engine,
                             const std::vector<std::vector<model::TokenId>>& prompts,
                             int32_t genTokens, const std::vector<model::TokenId>& longPrompt) {
    StreamRun run;
    std::vector<serving::TokenStream> streams(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
        auto record = std::make_shared<TokenTimes>();
        record->times.reserve(size_t(genTokens) + 8);
        run.records.push_back(record);
        const auto handle = engine.submit(
            greedyRequest(prompts[i], genTokens, recordingCallback(record, streams[i].callback())));
        if (handle.status != serving::SubmitStatus::Accepted)
            return makeError("stream not accepted: " + handle.error);
    }
    const auto allDecoding = [&] {
        return std::all_of(run.records.begin(), run.records.end(), [](const auto& r) {
            return r->count.load(std::memory_order_acquire) >= kTokensBeforeArrival;
        });
    };
    while (!allDecoding())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));

    serving::TokenStream longStream;
    auto longRecord = std::make_shared<TokenTimes>();
    longRecord->times.reserve(8);
    run.arrival = Clock::now();
    if (!longPrompt.empty()) {
        const auto handle = engine.submit(
            greedyRequest(longPrompt, 1, recordingCallback(longRecord, longStream.callback())));
        if (handle.status != serving::SubmitStatus::Accepted)
            return makeError("the long prompt was not accepted: " + handle.error);
    }
    bool finished = longPrompt.empty() || waitForFinish(longStream);
    for (serving::TokenStream& s : streams)
        finished = waitForFinish(s) && finished;
    if (!finished || (!longPrompt.empty() && longRecord->times.empty()))
        return makeError("a request ended early");
    if (!longPrompt.empty())
        run.longFirstToken = longRecord->times.front();
    return run;
}

}  // namespace

int runSharedPrefixBench(const Options& o, const runtime::LoadedModel& loaded, int threadCount) {
    const auto document = readText(o.get("--shared-prefix"));
    if (!document) {
        std::cerr << "error: " << document.error().message << "\n";
        return 2;
    }
    const std::string firstQuestion = document.value() + kSummaryQuestion;
    const std::vector<ChatMessage> firstTurn = {{"user", firstQuestion}};
    const std::vector<ChatMessage> followUp = {
        {"user", firstQuestion}, {"assistant", kFollowUpAnswer}, {"user", kFollowUpQuestion}};
    auto firstTokens = loaded.promptTokens(firstTurn);
    auto followTokens = loaded.promptTokens(followUp);
    if (!firstTokens || !followTokens) {
        std::cerr << "error: cannot render the conversation\n";
        return 1;
    }
    cpu::ThreadPool threads{threadCount};
    const int64_t kvTokens = 4 * int64_t(followTokens.value().size() + 64);
    constexpr int32_t kAnswerTokens = 8;

    serving::ServingEngine warmEngine(loaded.model(), loaded.tokenizer(), threads,
                                      engineConfig(o, loaded.model(), kvTokens, 4));
    // Touches the weights and scratch memory; shares no prompt with what follows.
    if (!runToFinish(warmEngine, loaded.tokenizer().encode("Warm up.", true, false), 4)) {
        std::cerr << "error: the warm-up request failed\n";
        return 1;
    }
    const auto cold = runToFinish(warmEngine, followTokens.value(), kAnswerTokens);
    serving::ServingEngine engine(loaded.model(), loaded.tokenizer(), threads,
                                  engineConfig(o, loaded.model(), kvTokens, 4));
    const auto first = runToFinish(engine, firstTokens.value(), kAnswerTokens);
    const auto warm = runToFinish(engine, followTokens.value(), kAnswerTokens);
    if (!cold || !first || !warm) {
        std::cerr << "error: a request failed\n";
        return 1;
    }
    const serving::MetricsSnapshot metrics = engine.metrics();
    std::printf(
        "{\"threads\":%d,\"isa\":\"%s\",\"first_turn_tokens\":%zu,\"follow_up_tokens\":%zu,"
        "\"ttft_ms_cold\":%.2f,\"ttft_ms_first_turn\":%.2f,\"ttft_ms_warm\":%.2f,"
        "\"prefix_cache_query_tokens\":%lld,\"prefix_cache_hit_tokens\":%lld,"
        "\"kv_bytes_per_token\":%lld}\n",
        threads.size(), cpu::isaName(cpu::activeIsa()), firstTokens.value().size(),
        followTokens.value().size(), cold.value().ttftMs, first.value().ttftMs, warm.value().ttftMs,
        static_cast<long long>(metrics.prefixCacheQueries),
        static_cast<long long>(metrics.prefixCacheHits),
        static_cast<long long>(kvBytesPerToken(loaded.model())));
    return 0;
}

int runInterferenceBench(const Options& o, const runtime::LoadedModel& loaded, int threadCount,
                         int32_t genTokens) {
    const auto document = readText(o.get("--interfere"));
    if (!document) {
        std::cerr << "error: " << document.error().message << "\n";
        return 2;
    }
    const int32_t streamCount = int32_t(o.getInt("--streams", 8).value_or(0));
    if (streamCount < 1 || genTokens <= kTokensBeforeArrival) {
        std::cerr << "error: --streams must be positive and --gen-tokens above "
                  << kTokensBeforeArrival << "\n";
        return 2;
    }
    auto longPrompt = loaded.promptTokens({{"user", document.value() + kSummaryQuestion}});
    if (!longPrompt) {
        std::cerr << "error: " << longPrompt.error().message << "\n";
        return 1;
    }
    std::vector<std::vector<model::TokenId>> prompts;
    int64_t kvTokens = int64_t(longPrompt.value().size()) + 64;
    for (int32_t i = 0; i < streamCount; ++i) {
        const std::string text = "Request " + std::to_string(i + 1) +
                                 ": write a short story about " +
                                 kTopics[size_t(i) % std::size(kTopics)] + ".";
        auto tokens = loaded.promptTokens({{"user", text}});
        if (!tokens) {
            std::cerr << "error: " << tokens.error().message << "\n";
            return 1;
        }
        kvTokens += int64_t(tokens.value().size()) + genTokens + 2 * serving::kBlockSize;
        prompts.push_back(std::move(tokens.value()));
    }
    cpu::ThreadPool threads{threadCount};
    serving::ServingConfig config = engineConfig(o, loaded.model(), kvTokens, streamCount + 1);
    StepLog steps;
    if (o.has("--step-log"))
        config.onStep = steps.recorder();
    serving::ServingEngine engine(loaded.model(), loaded.tokenizer(), threads, config);
    if (!runToFinish(engine, loaded.tokenizer().encode("Warm up.", true, false), 4)) {
        std::cerr << "error: the warm-up request failed\n";
        return 1;
    }

    const auto measured = runStreams(engine, prompts, genTokens, longPrompt.value());
    if (!measured) {
        std::cerr << "error: " << measured.error().message << "\n";
        return 1;
    }
    if (o.has("--step-log")) {
        if (const Status written = steps.write(o.get("--step-log")); !written.ok()) {
            std::cerr << "error: " << written.error().message << "\n";
            return 1;
        }
    }
    const StreamRun& run = measured.value();
    const Clock::time_point arrival = run.arrival, longFirstToken = *run.longFirstToken;

    // An interval overlapping [arrival, first token of the long prompt] counts as during it.
    std::vector<double> before, during;
    std::vector<std::pair<size_t, size_t>> duringIndices;  // per stream: [first, last) interval
    int64_t afterFirstToken = 0;
    for (const auto& record : run.records) {
        size_t first = record->times.size(), last = 0;
        for (size_t k = 1; k < record->times.size(); ++k) {
            const Clock::time_point a = record->times[k - 1], b = record->times[k];
            if (b <= arrival) {
                before.push_back(milliseconds(b - a));
            } else if (a < longFirstToken) {
                during.push_back(milliseconds(b - a));
                first = std::min(first, k);
                last = k + 1;
            } else {
                ++afterFirstToken;
            }
        }
        duringIndices.emplace_back(first, last);
    }
    if (afterFirstToken == 0) {
        std::cerr << "error: the streams finished before the long prompt's first token; "
                     "raise --gen-tokens\n";
        return 1;
    }
    // The same streams without the long prompt, over the same token indices: how long those
    // intervals are anyway (the streams' own contexts grow while a long prompt is spread out).
    std::vector<double> control;
    if (o.has("--control")) {
        const auto alone = runStreams(engine, prompts, genTokens, {});
        if (!alone) {
            std::cerr << "error: " << alone.error().message << "\n";
            return 1;
        }
        for (size_t s = 0; s < alone.value().records.size(); ++s) {
            const auto& times = alone.value().records[s]->times;
            for (size_t k = duringIndices[s].first; k < duringIndices[s].second; ++k)
                control.push_back(milliseconds(times[k] - times[k - 1]));
        }
    }
    std::printf(
        "{\"threads\":%d,\"isa\":\"%s\",\"streams\":%d,\"gen_tokens\":%d,\"token_budget\":%d,"
        "\"prefill_while_decoding\":%d,\"long_prompt_tokens\":%zu,\"long_prompt_ttft_ms\":%.2f,"
        "\"itl_ms_p50_before\":%.2f,\"itl_ms_p99_before\":%.2f,\"itl_ms_p50_during\":%.2f,"
        "\"itl_ms_p99_during\":%.2f,\"itl_ms_max_during\":%.2f,\"intervals_before\":%zu,"
        "\"intervals_during\":%zu,\"itl_ms_p50_control\":%.2f,\"itl_ms_p99_control\":%.2f,"
        "\"kv_bytes_per_token\":%lld}\n",
        threads.size(), cpu::isaName(cpu::activeIsa()), streamCount, genTokens,
        config.scheduler.tokenBudget, config.scheduler.prefillCostWhileDecoding,
        longPrompt.value().size(), milliseconds(longFirstToken - arrival), nearestRank(before, 50),
        nearestRank(before, 99), nearestRank(during, 50), nearestRank(during, 99),
        nearestRank(during, 100), before.size(), during.size(), nearestRank(control, 50),
        nearestRank(control, 99), static_cast<long long>(kvBytesPerToken(loaded.model())));
    return 0;
}

}  // namespace parley::cli
