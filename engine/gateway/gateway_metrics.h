// The gateway's own Prometheus metrics (HTTP and WebSocket counters, latency histograms,
// gauges), rendered after the engines' metrics on GET /metrics. Any route file may add series:
//   metrics.increment("parley_ws_messages_total", {{"type", "send"}});
//   metrics.observe("parley_ws_message_seconds", {{"type", "send"}}, seconds);
// Gateway thread only.
#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>

#include <utility>
#include <vector>

namespace parley::gateway {

class GatewayMetrics {
  public:
    using Labels = std::vector<std::pair<QString, QString>>;

    GatewayMetrics();

    // Optional HELP text; a series used without it gets a generic one.
    void describe(const QString& name, const QString& help);
    void increment(const QString& name, const Labels& labels = {}, double by = 1);
    void setGauge(const QString& name, const Labels& labels, double value);
    // Adds one observation (seconds) to a histogram with latency buckets 5 ms .. 60 s.
    void observe(const QString& name, const Labels& labels, double seconds);

    double counterValue(const QString& name, const Labels& labels) const;
    QByteArray render() const;

  private:
    enum class Kind { Counter, Gauge, Histogram };
    struct Series {
        double value = 0;                 // counter, gauge
        std::vector<quint64> bucketHits;  // histogram: per bucket (not cumulative)
        double sum = 0;
        quint64 count = 0;
    };
    struct Family {
        Kind kind = Kind::Counter;
        QString help;
        QMap<QString, Series> series;  // by rendered label set
    };
    Family& family(const QString& name, Kind kind);
    static QString renderLabels(const Labels& labels);

    QMap<QString, Family> families_;
    std::vector<double> buckets_;
};

}  // namespace parley::gateway
