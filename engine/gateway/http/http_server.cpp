#include "gateway/http/http_server.h"

#include <QSslServer>

#include "gateway/logging.h"

namespace parley::gateway {

HttpServer::HttpServer(const HttpLimits& limits, HttpConnection::RequestHandler onRequest,
                       HttpConnection::RejectHandler onRejected, QObject* parent)
    : QObject(parent),
      limits_(limits),
      onRequest_(std::move(onRequest)),
      onRejected_(std::move(onRejected)) {
    graceTimer_.setSingleShot(true);
    connect(&graceTimer_, &QTimer::timeout, this, [this] {
        qCInfo(lcGateway) << "grace period over: cutting" << connections_.size()
                          << "open connections";
        const auto open = connections_;
        for (HttpConnection* connection : open)
            connection->abort();
        checkDrained();
    });
}

HttpServer::~HttpServer() {
    const auto open = connections_;
    connections_.clear();
    for (HttpConnection* connection : open) {
        connection->disconnect(this);
        delete connection;
    }
}

Result<quint16> HttpServer::listen(const QHostAddress& address, quint16 port,
                                   const std::optional<QSslConfiguration>& tls) {
    if (tls) {
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(*tls);
        server->setHandshakeTimeout(limits_.headerTimeoutMs);
        listener_ = std::move(server);
    } else {
        listener_ = std::make_unique<QTcpServer>();
    }
    listener_->setListenBacklogSize(1024);
    listener_->setMaxPendingConnections(1024);
    connect(listener_.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpServer::accept);
    if (!listener_->listen(address, port)) {
        return makeError(QStringLiteral("cannot listen on %1:%2: %3")
                             .arg(address.toString())
                             .arg(port)
                             .arg(listener_->errorString())
                             .toStdString());
    }
    return listener_->serverPort();
}

void HttpServer::accept() {
    while (listener_ && listener_->hasPendingConnections()) {
        QTcpSocket* socket = listener_->nextPendingConnection();
        if (!socket)
            break;
        if (shuttingDown_) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto* connection = new HttpConnection(socket, limits_, onRequest_, onRejected_, this);
        connections_.insert(connection);
        connect(connection, &HttpConnection::closed, this, [this, connection] {
            connections_.remove(connection);
            checkDrained();
        });
    }
}

void HttpServer::shutdown(int graceMs) {
    if (shuttingDown_)
        return;
    shuttingDown_ = true;
    if (listener_)
        listener_->close();
    qCInfo(lcGateway) << "shutting down:" << connections_.size() << "open connections, grace"
                      << graceMs << "ms";
    const auto open = connections_;
    for (HttpConnection* connection : open)
        connection->beginShutdown();
    graceTimer_.start(graceMs);
    checkDrained();
}

void HttpServer::checkDrained() {
    if (!shuttingDown_ || drainedSent_ || !connections_.isEmpty())
        return;
    drainedSent_ = true;
    graceTimer_.stop();
    QTimer::singleShot(0, this, &HttpServer::drained);
}

}  // namespace parley::gateway
