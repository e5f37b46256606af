// parley-cli bench --concurrency C[,C...]: C chat streams submitted at once to the serving engine
// (scheduler, paged KV cache, continuous batching; no HTTP), each generating exactly --gen-tokens
// tokens. Reports aggregate and per-stream decode speed and time-to-first-token percentiles.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "concurrency_bench.h"
#include "inference/chat_template/json.h"
#include "inference/cpu/matmul.h"
#include "serving/serving_engine.h"
#include "step_log.h"

namespace parley::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kTopics[] = {"the sea",   "a lighthouse",   "autumn",  "a robot",
                                   "a library", "the moon",       "a train", "a garden",
                                   "mountains", "a city at night"};

struct LevelResult {
    int concurrency = 0;
    int64_t generatedTokens = 0;
    double wallSeconds = 0;
    double aggregateTokensPerSecond = 0;
    double streamTokensPerSecondMean = 0;
    double streamTokensPerSecondMin = 0;
    double ttftP50 = 0, ttftP90 = 0, ttftP99 = 0;
    double queueP50 = 0;
    int64_t promptTokensMax = 0;
    uint64_t preemptions = 0;
};

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
    const auto rank = size_t(std::ceil(p / 100.0 * double(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::optional<std::vector<int>> parseLevels(const std::string& text) {
    std::vector<int> levels;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        char* end = nullptr;
        const long value = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || value < 1 || value > 1024) {
            return std::nullopt;
        }
        levels.push_back(int(value));
    }
    if (levels.empty()) {
        return std::nullopt;
    }
    return levels;
}

// Waits for the finish event; the text itself is not needed.
std::optional<serving::StreamEvent> waitForFinish(serving::TokenStream& stream) {
    while (auto event = stream.next(std::chrono::minutes(5))) {
        if (event->kind == serving::StreamEvent::Kind::Finish) {
            return event;
        }
    }
    return std::nullopt;
}

Result<LevelResult> runLevel(const runtime::LoadedModel& loaded, cpu::ThreadPool& threads,
                             int concurrency, int32_t genTokens,
                             const serving::SchedulerConfig& scheduler, StepLog* steps) {
    std::vector<std::vector<model::TokenId>> prompts;
    int64_t promptTokensMax = 0;
    for (int i = 0; i < concurrency; ++i) {
        const std::string text = "Request " + std::to_string(i + 1) +
                                 ": write a short story about " +
                                 kTopics[size_t(i) % std::size(kTopics)] + ".";
        auto tokens = loaded.promptTokens({{"user", text}});
        if (!tokens) {
            return tokens.error();
        }
        promptTokensMax = std::max<int64_t>(promptTokensMax, int64_t(tokens.value().size()));
        prompts.push_back(std::move(tokens.value()));
    }
    const auto& hp = loaded.model().hparams();
    const int64_t perToken =
        model::KvPool::bytesPerBlock(hp.nLayer, hp.kvDim(), serving::kBlockSize) /
        serving::kBlockSize;
    serving::ServingConfig config;
    config.scheduler = scheduler;
    if (steps)
        config.onStep = steps->recorder();
    // Room for every stream at once, so the numbers measure batching, not preemption.
    config.kvBudgetBytes =
        int64_t(concurrency) * (promptTokensMax + genTokens + 2 * serving::kBlockSize) * perToken;
    config.scheduler.maxRunning = concurrency;
    config.scheduler.maxWaiting = concurrency;
    config.modelName = "bench";
    serving::ServingEngine engine(loaded.model(), loaded.tokenizer(), threads, config);

    const auto request = [&](std::vector<model::TokenId> prompt, int32_t tokens,
                             const serving::TokenStream& stream) {
        serving::ServingRequest r;
        r.user = "bench";
        r.prompt = std::move(prompt);
        r.maxNewTokens = tokens;
        r.sampling.temperature = 0;
        r.ignoreEndOfGeneration = true;
        r.onEvent = stream.callback();
        return r;
    };
    {
        // Warm-up: touches the weights and scratch memory; shares no prompt with the streams.
        serving::TokenStream warm;
        const auto handle =
            engine.submit(request(loaded.tokenizer().encode("Warm up.", true, false), 4, warm));
        if (handle.status != serving::SubmitStatus::Accepted || !waitForFinish(warm)) {
            return makeError("the warm-up request failed: " + handle.error);
        }
    }

    const auto streamCount = size_t(concurrency);
    std::vector<serving::TokenStream> streams(streamCount);
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < concurrency; ++i) {
        const auto handle =
            engine.submit(request(prompts[size_t(i)], genTokens, streams[size_t(i)]));
        if (handle.status != serving::SubmitStatus::Accepted) {
            return makeError("stream " + std::to_string(i + 1) +
                             " was not accepted: " + handle.error);
        }
    }
    LevelResult result;
    result.concurrency = concurrency;
    result.promptTokensMax = promptTokensMax;
    std::vector<double> ttfts, queues, streamRates;
    for (serving::TokenStream& stream : streams) {
        const auto finish = waitForFinish(stream);
        if (!finish || finish->reason != serving::CompletionReason::Length) {
            return makeError(std::string("a stream ended early: ") +
                             (finish ? serving::completionReasonName(finish->reason) : "timeout") +
                             (finish && !finish->error.empty() ? " (" + finish->error + ")" : ""));
        }
        result.generatedTokens += finish->usage.completionTokens;
        ttfts.push_back(finish->timings.ttftMs);
        queues.push_back(finish->timings.queueMs);
        const double decodeMs = finish->timings.totalMs - finish->timings.ttftMs;
        streamRates.push_back(
            decodeMs > 0 ? (finish->usage.completionTokens - 1) * 1000.0 / decodeMs : 0.0);
    }
    result.wallSeconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.aggregateTokensPerSecond = double(result.generatedTokens) / result.wallSeconds;
    std::sort(ttfts.begin(), ttfts.end());
    std::sort(queues.begin(), queues.end());
    result.ttftP50 = percentile(ttfts, 50);
    result.ttftP90 = percentile(ttfts, 90);
    result.ttftP99 = percentile(ttfts, 99);
    result.queueP50 = percentile(queues, 50);
    double sum = 0;
    for (double r : streamRates) {
        sum += r;
    }
    result.streamTokensPerSecondMean = sum / double(streamRates.size());
    result.streamTokensPerSecondMin = *std::min_element(streamRates.begin(), streamRates.end());
    result.preemptions = engine.metrics().preemptions;
    return result;
}

}  // namespace

int runConcurrencyBench(const Options& o, const runtime::LoadedModel& loaded, int threadCount,
                        int32_t genTokens) {
    const auto levels = parseLevels(o.get("--concurrency"));
    if (!levels) {
        std::cerr << "error: --concurrency wants positive stream counts, e.g. 8 or 1,4,8\n";
        return 2;
    }
    cpu::ThreadPool threads{threadCount};
    const auto& hp = loaded.model().hparams();
    const double kvBytesPerToken =
        double(model::KvPool::bytesPerBlock(hp.nLayer, hp.kvDim(), serving::kBlockSize)) /
        serving::kBlockSize;
    const bool json = o.has("--json");
    if (!json) {
        std::printf(
            "model      %s\nthreads    %d (%s)\ngen tokens %d per stream\n"
            "KV cache   %.0f bytes per token\n\n",
            o.get("--model").c_str(), threads.size(), cpu::isaName(cpu::activeIsa()), genTokens,
            kvBytesPerToken);
        std::printf("%8s %12s %14s %10s %10s %10s %9s\n", "streams", "aggregate", "per-stream",
                    "TTFT p50", "TTFT p90", "TTFT p99", "wall");
        std::printf("%8s %12s %14s %10s %10s %10s %9s\n", "", "tokens/s", "tokens/s (min)", "ms",
                    "ms", "ms", "s");
    }
    serving::SchedulerConfig scheduler;
    const auto budget = o.getInt("--token-budget", scheduler.tokenBudget);
    const auto cost = o.getInt("--prefill-while-decoding", scheduler.prefillCostWhileDecoding);
    if (!budget || !cost)
        return 2;
    scheduler.tokenBudget = int32_t(*budget);
    scheduler.prefillCostWhileDecoding = int32_t(*cost);
    StepLog steps;
    for (int concurrency : *levels) {
        const auto r = runLevel(loaded, threads, concurrency, genTokens, scheduler,
                                o.has("--step-log") ? &steps : nullptr);
        if (!r) {
            std::cerr << "error: " << r.error().message << "\n";
            return 1;
        }
        const LevelResult& v = r.value();
        if (json) {
            std::printf(
                "{\"model\":%s,\"threads\":%d,\"isa\":\"%s\",\"concurrency\":%d,"
                "\"gen_tokens\":%d,\"prompt_tokens_max\":%lld,\"generated_tokens\":%lld,"
                "\"wall_s\":%.3f,\"aggregate_decode_tokens_per_s\":%.2f,"
                "\"stream_decode_tokens_per_s_mean\":%.2f,\"stream_decode_tokens_per_s_min\":%.2f,"
                "\"ttft_ms_p50\":%.2f,\"ttft_ms_p90\":%.2f,\"ttft_ms_p99\":%.2f,"
                "\"queue_ms_p50\":%.2f,\"preemptions\":%llu,\"kv_bytes_per_token\":%.0f}\n",
                chat_template::toJson(chat_template::Value(o.get("--model"))).c_str(),
                threads.size(), cpu::isaName(cpu::activeIsa()), v.concurrency, genTokens,
                static_cast<long long>(v.promptTokensMax),
                static_cast<long long>(v.generatedTokens), v.wallSeconds,
                v.aggregateTokensPerSecond, v.streamTokensPerSecondMean, v.streamTokensPerSecondMin,
                v.ttftP50, v.ttftP90, v.ttftP99, v.queueP50,
                static_cast<unsigned long long>(v.preemptions), kvBytesPerToken);
        } else {
            std::printf("%8d %12.1f %7.1f (%5.1f) %10.1f %10.1f %10.1f %9.2f\n", v.concurrency,
                        v.aggregateTokensPerSecond, v.streamTokensPerSecondMean,
                        v.streamTokensPerSecondMin, v.ttftP50, v.ttftP90, v.ttftP99, v.wallSeconds);
        }
        std::fflush(stdout);
    }
    if (o.has("--step-log")) {
        if (const Status written = steps.write(o.get("--step-log")); !written.ok()) {
            std::cerr << "error: " << written.error().message << "\n";
            return 1;
        }
    }
    if (!json) {
        std::printf(
            "\naggregate = tokens generated by all streams / wall time from submitting "
            "them to the last finish (prefill included)\nper-stream = (tokens - 1) / "
            "(finish - first token), mean over streams\n");
    }
    return 0;
}

}  // namespace parley::cli
