#include "serving/metrics.h"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace parley::serving {
namespace {

// Chat latencies: milliseconds for a token, seconds to minutes for a whole answer.
std::vector<double> firstTokenBounds() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}
std::vector<double> interTokenBounds() {
    return {0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12};
}
std::vector<double> requestBounds() {
    return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280};
}

std::string formatNumber(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    return buf;
}

// Label values are model file names: escape what the format reserves.
std::string escapeLabel(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

class Writer {
  public:
    explicit Writer(std::span<const MetricsSnapshot> models) : models_(models) {}

    void scalar(const char* name, const char* type, const char* help,
                const std::function<double(const MetricsSnapshot&)>& value) {
        header(name, type, help);
        for (const MetricsSnapshot& m : models_) {
            line(name, label(m), value(m));
        }
    }

    void finishedByReason() {
        const char* name = "parley:request_success_total";
        header(name, "counter", "Finished requests by finish reason (abort = cancelled).");
        // vLLM's reason names, so "abort" counts cancellations.
        static constexpr const char* kReasons[] = {"stop", "length", "abort", "error"};
        for (const MetricsSnapshot& m : models_) {
            for (size_t r = 0; r < m.finished.size(); ++r) {
                line(name, label(m) + ",finished_reason=\"" + kReasons[r] + "\"",
                     double(m.finished[r]));
            }
        }
    }

    void histogram(const char* name, const char* help,
                   const std::function<const Histogram&(const MetricsSnapshot&)>& get) {
        header(name, "histogram", help);
        const std::string bucket = std::string(name) + "_bucket";
        for (const MetricsSnapshot& m : models_) {
            const Histogram& h = get(m);
            const std::vector<uint64_t> counts = h.cumulativeCounts();
            for (size_t i = 0; i < counts.size(); ++i) {
                line(bucket.c_str(), label(m) + ",le=\"" + formatNumber(h.upperBounds()[i]) + "\"",
                     double(counts[i]));
            }
            line(bucket.c_str(), label(m) + ",le=\"+Inf\"", double(h.count()));
            line((std::string(name) + "_sum").c_str(), label(m), h.sum());
            line((std::string(name) + "_count").c_str(), label(m), double(h.count()));
        }
    }

    std::string take() { return std::move(out_); }

  private:
    static std::string label(const MetricsSnapshot& m) {
        return "model_name=\"" + escapeLabel(m.modelName) + "\"";
    }
    void header(const char* name, const char* type, const char* help) {
        out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    }
    void line(const char* name, const std::string& labels, double value) {
        out_ += std::string(name) + "{" + labels + "} " + formatNumber(value) + "\n";
    }

    std::span<const MetricsSnapshot> models_;
    std::string out_;
};

}  // namespace

Histogram::Histogram(std::vector<double> upperBounds)
    : bounds_(std::move(upperBounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
    const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    ++counts_[size_t(bucket)];
    ++count_;
    sum_ += value;
}

std::vector<uint64_t> Histogram::cumulativeCounts() const {
    std::vector<uint64_t> cumulative(bounds_.size());
    uint64_t total = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        total += counts_[i];
        cumulative[i] = total;
    }
    return cumulative;
}

MetricsSnapshot::MetricsSnapshot(std::string model)
    : modelName(std::move(model)),
      timeToFirstToken(firstTokenBounds()),
      interTokenLatency(interTokenBounds()),
      e2eLatency(requestBounds()),
      queueTime(requestBounds()) {}

ServingMetrics::ServingMetrics(std::string modelName) : data_(std::move(modelName)) {}

void ServingMetrics::setLoad(int32_t running, int32_t waiting, double kvCacheUsage) {
    const std::lock_guard lock(mutex_);
    data_.requestsRunning = running;
    data_.requestsWaiting = waiting;
    data_.kvCacheUsage = kvCacheUsage;
}

void ServingMetrics::setPrefixCacheTotals(int64_t queryTokens, int64_t hitTokens) {
    const std::lock_guard lock(mutex_);
    data_.prefixCacheQueries = queryTokens;
    data_.prefixCacheHits = hitTokens;
}

void ServingMetrics::addPreemptions(uint64_t count) {
    const std::lock_guard lock(mutex_);
    data_.preemptions += count;
}

void ServingMetrics::observeQueueTime(double seconds) {
    const std::lock_guard lock(mutex_);
    data_.queueTime.observe(seconds);
}

void ServingMetrics::observeFirstToken(double secondsSinceSubmit) {
    const std::lock_guard lock(mutex_);
    data_.timeToFirstToken.observe(secondsSinceSubmit);
}

void ServingMetrics::observeInterToken(double seconds) {
    const std::lock_guard lock(mutex_);
    data_.interTokenLatency.observe(seconds);
}

void ServingMetrics::observeFinished(CompletionReason reason, int32_t promptTokens,
                                     int32_t completionTokens, double e2eSeconds) {
    const std::lock_guard lock(mutex_);
    ++data_.finished[size_t(reason)];
    data_.promptTokens += uint64_t(promptTokens);
    data_.generationTokens += uint64_t(completionTokens);
    data_.e2eLatency.observe(e2eSeconds);
}

void ServingMetrics::addRejected() {
    const std::lock_guard lock(mutex_);
    ++data_.rejected;
}

MetricsSnapshot ServingMetrics::snapshot() const {
    const std::lock_guard lock(mutex_);
    return data_;
}

std::string renderPrometheus(std::span<const MetricsSnapshot> models) {
    using M = const MetricsSnapshot&;
    Writer w(models);
    w.scalar("parley:num_requests_running", "gauge", "Requests in the running batch.",
             [](M m) { return double(m.requestsRunning); });
    w.scalar("parley:num_requests_waiting", "gauge", "Requests waiting to be scheduled.",
             [](M m) { return double(m.requestsWaiting); });
    w.scalar("parley:kv_cache_usage_perc", "gauge",
             "Fraction of KV-cache blocks referenced by requests (1 = full).",
             [](M m) { return m.kvCacheUsage; });
    w.scalar("parley:prefix_cache_queries_total", "counter",
             "Prompt tokens looked up in the prefix cache.",
             [](M m) { return double(m.prefixCacheQueries); });
    w.scalar("parley:prefix_cache_hits_total", "counter",
             "Prompt tokens found in the prefix cache.",
             [](M m) { return double(m.prefixCacheHits); });
    w.scalar("parley:num_preemptions_total", "counter",
             "Requests preempted (to be recomputed) for lack of KV blocks.",
             [](M m) { return double(m.preemptions); });
    w.scalar("parley:request_rejected_total", "counter",
             "Requests refused at once because the waiting queue was full.",
             [](M m) { return double(m.rejected); });
    w.scalar("parley:prompt_tokens_total", "counter", "Prompt tokens of finished requests.",
             [](M m) { return double(m.promptTokens); });
    w.scalar("parley:generation_tokens_total", "counter", "Tokens generated.",
             [](M m) { return double(m.generationTokens); });
    w.finishedByReason();
    w.histogram("parley:time_to_first_token_seconds", "From submission to the first token.",
                [](M m) -> const Histogram& { return m.timeToFirstToken; });
    w.histogram("parley:inter_token_latency_seconds", "Between consecutive tokens of a request.",
                [](M m) -> const Histogram& { return m.interTokenLatency; });
    w.histogram("parley:e2e_request_latency_seconds", "From submission to the finish.",
                [](M m) -> const Histogram& { return m.e2eLatency; });
    w.histogram("parley:request_queue_time_seconds", "From submission to first being scheduled.",
                [](M m) -> const Histogram& { return m.queueTime; });
    return w.take();
}

}  // namespace parley::serving
