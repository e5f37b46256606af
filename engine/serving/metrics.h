// Prometheus metrics of one model's serving engine, named like vLLM's (prefix `parley:`, label
// `model_name`) so dashboards and routers built for vLLM read them unchanged:
//   gauges      parley:num_requests_running, parley:num_requests_waiting,
//               parley:kv_cache_usage_perc (0..1)
//   counters    parley:prefix_cache_queries_total, parley:prefix_cache_hits_total (tokens),
//               parley:num_preemptions_total, parley:request_rejected_total,
//               parley:prompt_tokens_total, parley:generation_tokens_total,
//               parley:request_success_total{finished_reason=stop|length|abort|error}
//   histograms  parley:time_to_first_token_seconds, parley:inter_token_latency_seconds,
//               parley:e2e_request_latency_seconds, parley:request_queue_time_seconds
// Updated by the engine thread (and by submit() for rejections); read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "serving/token_stream.h"

namespace parley::serving {

// Cumulative histogram with fixed upper bounds (seconds); +Inf is implicit.
class Histogram {
  public:
    explicit Histogram(std::vector<double> upperBounds);

    void observe(double value);

    const std::vector<double>& upperBounds() const { return bounds_; }
    // Per bound, observations <= that bound (cumulative, as Prometheus exposes them).
    std::vector<uint64_t> cumulativeCounts() const;
    uint64_t count() const { return count_; }
    double sum() const { return sum_; }

  private:
    std::vector<double> bounds_;
    std::vector<uint64_t> counts_;  // per bucket, not cumulative
    uint64_t count_ = 0;
    double sum_ = 0;
};

struct MetricsSnapshot {
    std::string modelName;
    int32_t requestsRunning = 0;
    int32_t requestsWaiting = 0;
    double kvCacheUsage = 0;
    int64_t prefixCacheQueries = 0;
    int64_t prefixCacheHits = 0;
    uint64_t preemptions = 0;
    uint64_t rejected = 0;
    uint64_t promptTokens = 0;
    uint64_t generationTokens = 0;
    std::array<uint64_t, 4> finished{};  // indexed by CompletionReason
    Histogram timeToFirstToken;
    Histogram interTokenLatency;
    Histogram e2eLatency;
    Histogram queueTime;

    explicit MetricsSnapshot(std::string model = {});
};

class ServingMetrics {
  public:
    explicit ServingMetrics(std::string modelName);

    // Once per engine step.
    void setLoad(int32_t running, int32_t waiting, double kvCacheUsage);
    void setPrefixCacheTotals(int64_t queryTokens, int64_t hitTokens);
    void addPreemptions(uint64_t count);
    void observeQueueTime(double seconds);
    void observeFirstToken(double secondsSinceSubmit);
    void observeInterToken(double seconds);
    void observeFinished(CompletionReason reason, int32_t promptTokens, int32_t completionTokens,
                         double e2eSeconds);
    void addRejected();

    MetricsSnapshot snapshot() const;

  private:
    mutable std::mutex mutex_;
    MetricsSnapshot data_;
};

// Prometheus text exposition format (version 0.0.4): one HELP/TYPE block per metric family, one
// sample line per model.
std::string renderPrometheus(std::span<const MetricsSnapshot> models);

}  // namespace parley::serving
