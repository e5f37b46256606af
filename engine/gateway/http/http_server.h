// Listens on one address (plain TCP or TLS), makes an HttpConnection per client and runs the
// graceful shutdown: stop accepting, close idle connections, give open requests a grace period,
// then cut what is left.
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>

#include <memory>
#include <optional>

#include "common/result.h"
#include "gateway/http/http_connection.h"

namespace parley::gateway {

class HttpServer : public QObject {
    Q_OBJECT
  public:
    HttpServer(const HttpLimits& limits, HttpConnection::RequestHandler onRequest,
               HttpConnection::RejectHandler onRejected, QObject* parent = nullptr);
    ~HttpServer() override;

    // Returns the bound port (useful with port 0). With `tls`, every connection is TLS.
    Result<quint16> listen(const QHostAddress& address, quint16 port,
                           const std::optional<QSslConfiguration>& tls);
    void shutdown(int graceMs);
    bool shuttingDown() const { return shuttingDown_; }
    int openConnections() const { return static_cast<int>(connections_.size()); }

  signals:
    // After shutdown(): every connection has closed (or was cut at the end of the grace).
    void drained();

  private:
    void accept();
    void checkDrained();

    HttpLimits limits_;
    HttpConnection::RequestHandler onRequest_;
    HttpConnection::RejectHandler onRejected_;
    std::unique_ptr<QTcpServer> listener_;
    QSet<HttpConnection*> connections_;
    QTimer graceTimer_;
    bool shuttingDown_ = false;
    bool drainedSent_ = false;
};

}  // namespace parley::gateway
