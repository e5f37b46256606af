#include "gateway/http/host_policy.h"

namespace parley::gateway {

HostPolicy::HostPolicy(const QStringList& allowedHosts, const QStringList& allowedOrigins) {
    for (const QString& host : allowedHosts) {
        const QString normal = hostOf(host.toUtf8());
        if (!normal.isEmpty())
            hosts_.insert(normal);
    }
    for (const QString& origin : allowedOrigins) {
        QString normal = origin.trimmed().toLower();
        while (normal.endsWith('/'))
            normal.chop(1);
        if (!normal.isEmpty())
            origins_.insert(normal);
    }
}

QString HostPolicy::hostOf(const QByteArray& hostHeader) {
    QString text = QString::fromUtf8(hostHeader).trimmed().toLower();
    if (text.isEmpty() || text.contains(' ') || text.contains('/') || text.contains('@'))
        return {};
    QString host;
    if (text.startsWith('[')) {
        const qsizetype close = text.indexOf(']');
        if (close < 0)
            return {};
        host = text.mid(1, close - 1);
        const QString rest = text.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(':'))
            return {};
        return host.isEmpty() ? QString() : '[' + host + ']';
    }
    const qsizetype colon = text.indexOf(':');
    if (colon >= 0 && text.indexOf(':', colon + 1) >= 0)
        return '[' + text + ']';  // a bare IPv6 address from the command line
    host = colon < 0 ? text : text.left(colon);
    if (colon >= 0) {
        bool ok = false;
        const QString port = text.mid(colon + 1);
        port.toUShort(&ok);
        if (!ok)
            return {};
    }
    if (host.endsWith('.'))
        host.chop(1);
    return host;
}

bool HostPolicy::hostAllowed(const QByteArray& hostHeader) const {
    const QString host = hostOf(hostHeader);
    return !host.isEmpty() && hosts_.contains(host);
}

bool HostPolicy::originAllowed(const QByteArray& origin) const {
    QString normal = QString::fromUtf8(origin).trimmed().toLower();
    while (normal.endsWith('/'))
        normal.chop(1);
    return !normal.isEmpty() && origins_.contains(normal);
}

}  // namespace parley::gateway
