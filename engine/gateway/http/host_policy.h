// Which Host and Origin headers the gateway answers: the defence against DNS rebinding and
// cross-site requests. The Host must name one of the allowed hosts (loopback names, the listen
// address, --allowed-host) whatever the port; a request with an Origin header must come from an
// allowed origin (--allowed-origin, none by default), which is then echoed in
// Access-Control-Allow-Origin: never a wildcard, never a reflection of an unknown origin.
#pragma once

#include <QByteArray>
#include <QSet>
#include <QString>
#include <QStringList>

namespace parley::gateway {

class HostPolicy {
  public:
    HostPolicy(const QStringList& allowedHosts, const QStringList& allowedOrigins);

    // The host part of a Host header, lower-case, without port or trailing dot; empty when the
    // header is malformed (empty, port only, bad brackets, spaces).
    static QString hostOf(const QByteArray& hostHeader);

    bool hostAllowed(const QByteArray& hostHeader) const;
    bool originAllowed(const QByteArray& origin) const;
    const QSet<QString>& hosts() const { return hosts_; }

  private:
    QSet<QString> hosts_;
    QSet<QString> origins_;
};

}  // namespace parley::gateway
