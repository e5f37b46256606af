#include "gateway/gateway_metrics.h"

namespace parley::gateway {
namespace {

QString escapeLabel(const QString& value) {
    QString out = value;
    out.replace('\\', QLatin1String("\\\\"))
        .replace('"', QLatin1String("\\\""))
        .replace('\n', QLatin1String("\\n"));
    return out;
}

QByteArray number(double value) {
    return QByteArray::number(value, 'g', 12);
}

}  // namespace

GatewayMetrics::GatewayMetrics()
    : buckets_{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60} {}

QString GatewayMetrics::renderLabels(const Labels& labels) {
    QString out;
    for (const auto& [key, value] : labels) {
        if (!out.isEmpty())
            out += ',';
        out += key + QStringLiteral("=\"") + escapeLabel(value) + '"';
    }
    return out;
}

GatewayMetrics::Family& GatewayMetrics::family(const QString& name, Kind kind) {
    Family& f = families_[name];
    if (f.series.isEmpty())
        f.kind = kind;
    return f;
}

void GatewayMetrics::describe(const QString& name, const QString& help) {
    families_[name].help = help;
}

void GatewayMetrics::increment(const QString& name, const Labels& labels, double by) {
    family(name, Kind::Counter).series[renderLabels(labels)].value += by;
}

void GatewayMetrics::setGauge(const QString& name, const Labels& labels, double value) {
    family(name, Kind::Gauge).series[renderLabels(labels)].value = value;
}

void GatewayMetrics::observe(const QString& name, const Labels& labels, double seconds) {
    Series& s = family(name, Kind::Histogram).series[renderLabels(labels)];
    if (s.bucketHits.empty())
        s.bucketHits.assign(buckets_.size(), 0);
    for (size_t i = 0; i < buckets_.size(); ++i) {
        if (seconds <= buckets_[i]) {
            ++s.bucketHits[i];
            break;
        }
    }
    s.sum += seconds;
    ++s.count;
}

double GatewayMetrics::counterValue(const QString& name, const Labels& labels) const {
    const auto f = families_.constFind(name);
    if (f == families_.constEnd())
        return 0;
    return f->series.value(renderLabels(labels)).value;
}

QByteArray GatewayMetrics::render() const {
    QByteArray out;
    for (auto f = families_.constBegin(); f != families_.constEnd(); ++f) {
        if (f->series.isEmpty())
            continue;
        const QByteArray name = f.key().toUtf8();
        const char* type = f->kind == Kind::Counter ? "counter"
                           : f->kind == Kind::Gauge ? "gauge"
                                                    : "histogram";
        out += "# HELP " + name + ' ' +
               (f->help.isEmpty() ? QByteArray("Parley gateway metric.") : f->help.toUtf8()) + '\n';
        out += "# TYPE " + name + ' ' + type + '\n';
        for (auto s = f->series.constBegin(); s != f->series.constEnd(); ++s) {
            const QByteArray labels = s.key().toUtf8();
            if (f->kind != Kind::Histogram) {
                out += name + (labels.isEmpty() ? QByteArray() : '{' + labels + '}') + ' ' +
                       number(s->value) + '\n';
                continue;
            }
            const QByteArray sep = labels.isEmpty() ? QByteArray() : labels + ',';
            quint64 cumulative = 0;
            for (size_t i = 0; i < buckets_.size(); ++i) {
                cumulative += s->bucketHits[i];
                out += name + "_bucket{" + sep + "le=\"" + number(buckets_[i]) + "\"} " +
                       QByteArray::number(cumulative) + '\n';
            }
            out += name + "_bucket{" + sep + "le=\"+Inf\"} " + QByteArray::number(s->count) + '\n';
            const QByteArray braces = labels.isEmpty() ? QByteArray() : '{' + labels + '}';
            out += name + "_sum" + braces + ' ' + number(s->sum) + '\n';
            out += name + "_count" + braces + ' ' + QByteArray::number(s->count) + '\n';
        }
    }
    return out;
}

}  // namespace parley::gateway
