// Serving metrics: histogram buckets, counters moved by the observe calls, and a Prometheus text
// exposition that parses as `name{labels} value` lines with one HELP/TYPE per family.
#include "serving/metrics.h"

#include <QtTest>

#include <QRegularExpression>

using namespace parley::serving;

namespace {

struct Sample {
    QString name;
    QString labels;
    double value = 0;
};

// Fails (returns false) on any line that is neither a comment nor a valid sample.
bool parseExposition(const std::string& text, std::vector<Sample>& samples,
                     std::map<QString, QString>& types, QString& problem) {
    static const QRegularExpression sampleLine("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)$");
    static const QRegularExpression typeLine("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\\w+)$");
    for (const QString& line : QString::fromStdString(text).split('\n', Qt::SkipEmptyParts)) {
        if (line.startsWith("# HELP ")) {
            continue;
        }
        if (const auto m = typeLine.match(line); m.hasMatch()) {
            if (types.contains(m.captured(1))) {
                problem = "family typed twice: " + line;
                return false;
            }
            types[m.captured(1)] = m.captured(2);
            continue;
        }
        const auto m = sampleLine.match(line);
        bool ok = false;
        const double value = m.hasMatch() ? m.captured(3).toDouble(&ok) : 0;
        if (!ok) {
            problem = "not a sample line: " + line;
            return false;
        }
        samples.push_back({m.captured(1), m.captured(2), value});
    }
    return true;
}

std::optional<double> valueOf(const std::vector<Sample>& samples, const QString& name,
                              const QString& labelPart) {
    for (const Sample& s : samples) {
        if (s.name == name && s.labels.contains(labelPart)) {
            return s.value;
        }
    }
    return std::nullopt;
}

}  // namespace

class TestMetrics : public QObject {
    Q_OBJECT

  private slots:
    void histogramCountsCumulatively() {
        Histogram h({0.1, 1.0, 10.0});
        for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) {
            h.observe(v);
        }
        QCOMPARE(h.cumulativeCounts(), (std::vector<uint64_t>{2, 3, 4}));
        QCOMPARE(h.count(), uint64_t(5));
        QCOMPARE(h.sum(), 55.65);
    }

    void countersMoveAndExpositionParses() {
        ServingMetrics a("small \"model\"");
        ServingMetrics b("other");
        a.setLoad(3, 2, 0.25);
        a.setPrefixCacheTotals(100, 40);
        a.addPreemptions(2);
        a.addRejected();
        a.addRejected();
        a.observeQueueTime(0.02);
        a.observeFirstToken(0.03);
        a.observeInterToken(0.004);
        a.observeInterToken(0.006);
        a.observeFinished(CompletionReason::Length, 10, 3, 0.5);
        a.observeFinished(CompletionReason::Cancelled, 7, 1, 0.2);
        b.observeFinished(CompletionReason::Stop, 5, 2, 0.1);

        const MetricsSnapshot snapA = a.snapshot();
        QCOMPARE(snapA.rejected, uint64_t(2));
        QCOMPARE(snapA.generationTokens, uint64_t(4));
        QCOMPARE(snapA.interTokenLatency.count(), uint64_t(2));

        const std::vector<MetricsSnapshot> models{snapA, b.snapshot()};
        const std::string text = renderPrometheus(models);
        std::vector<Sample> samples;
        std::map<QString, QString> types;
        QString problem;
        QVERIFY2(parseExposition(text, samples, types, problem), qPrintable(problem));

        QCOMPARE(types["parley:num_requests_running"], QString("gauge"));
        QCOMPARE(types["parley:prefix_cache_hits_total"], QString("counter"));
        QCOMPARE(types["parley:time_to_first_token_seconds"], QString("histogram"));
        for (const char* name :
             {"parley:num_requests_waiting", "parley:kv_cache_usage_perc",
              "parley:prefix_cache_queries_total", "parley:inter_token_latency_seconds",
              "parley:e2e_request_latency_seconds", "parley:request_queue_time_seconds",
              "parley:num_preemptions_total", "parley:request_rejected_total"}) {
            QVERIFY2(types.contains(name), name);
        }

        const QString modelA = "model_name=\"small \\\"model\\\"\"";
        QCOMPARE(valueOf(samples, "parley:num_requests_running", modelA), 3.0);
        QCOMPARE(valueOf(samples, "parley:num_requests_waiting", modelA), 2.0);
        QCOMPARE(valueOf(samples, "parley:kv_cache_usage_perc", modelA), 0.25);
        QCOMPARE(valueOf(samples, "parley:prefix_cache_queries_total", modelA), 100.0);
        QCOMPARE(valueOf(samples, "parley:prefix_cache_hits_total", modelA), 40.0);
        QCOMPARE(valueOf(samples, "parley:num_preemptions_total", modelA), 2.0);
        QCOMPARE(valueOf(samples, "parley:request_rejected_total", modelA), 2.0);
        QCOMPARE(valueOf(samples, "parley:generation_tokens_total", modelA), 4.0);
        QCOMPARE(
            valueOf(samples, "parley:request_success_total", modelA + ",finished_reason=\"abort\""),
            1.0);
        QCOMPARE(valueOf(samples, "parley:request_success_total",
                         "model_name=\"other\",finished_reason=\"stop\""),
                 1.0);
        QCOMPARE(valueOf(samples, "parley:inter_token_latency_seconds_count", modelA), 2.0);
        QCOMPARE(
            valueOf(samples, "parley:inter_token_latency_seconds_bucket", modelA + ",le=\"+Inf\""),
            2.0);
        QCOMPARE(valueOf(samples, "parley:e2e_request_latency_seconds_count", "\"other\""), 1.0);
        // Buckets are cumulative: never decreasing along one series.
        double previous = -1;
        for (const Sample& s : samples) {
            if (s.name == "parley:time_to_first_token_seconds_bucket" &&
                s.labels.contains(modelA)) {
                QVERIFY(s.value >= previous);
                previous = s.value;
            }
        }
        QCOMPARE(previous, 1.0);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
