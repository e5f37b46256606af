// One client connection: parses HTTP/1.1 requests from the socket within HttpLimits, hands each
// to the gateway as a RequestContext, and writes its answer (whole or chunked), one request at a
// time (keep-alive, no pipelining in parallel). Owns its socket; deletes itself when closed.
#pragma once

#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include <functional>
#include <memory>

#include "gateway/http/http_limits.h"
#include "gateway/http/request_context.h"

namespace parley::gateway {

class HttpConnection : public QObject {
    Q_OBJECT
  public:
    // `onRequest` runs for every complete request; `onRejected` for every request the transport
    // refuses itself (status, for the metrics).
    using RequestHandler = std::function<void(const RequestContextPtr&)>;
    using RejectHandler = std::function<void(int status)>;

    HttpConnection(QTcpSocket* socket, const HttpLimits& limits, RequestHandler onRequest,
                   RejectHandler onRejected, QObject* parent = nullptr);
    ~HttpConnection() override;

    // Graceful shutdown: an idle connection closes now; one with an open request tells it and
    // closes after its answer.
    void beginShutdown();
    // Drops the connection at once (the open request sees its client gone).
    void abort();
    bool idle() const { return state_ == State::ReadingHead && !current_; }

  signals:
    void closed();

  private:
    friend class RequestContext;
    enum class State { ReadingHead, ReadingBody, Handling, Streaming, Draining, Closed };

    void readAvailable();
    bool readHead();  // false: wait for more bytes (or the connection was refused)
    void readBody();
    void dispatch();
    // Answers `status` and ends the connection (now, or after draining when !closeNow).
    void refuse(int status, const QString& code, const QString& message, bool closeNow = true);
    void onDisconnected();
    void onTimeout();
    void checkBacklog();

    // Called through RequestContext; `serial` guards against a late answer from an earlier
    // request on the same connection.
    bool sendResponse(quint64 serial, const HttpResponse& response);
    bool beginStream(quint64 serial, int status, const HeaderList& headers);
    bool writeChunk(quint64 serial, const QByteArray& bytes);
    void endStream(quint64 serial);
    QTcpSocket* takeSocket(quint64 serial);
    bool isCurrent(quint64 serial) const;

    void writeHead(int status, const HeaderList& headers, qint64 contentLength);
    void afterResponse();
    void close();

    QPointer<QTcpSocket> socket_;
    HttpLimits limits_;
    RequestHandler onRequest_;
    RejectHandler onRejected_;
    QTimer deadline_;
    State state_ = State::ReadingHead;
    HttpRequest pending_;  // the request being read
    qint64 bodyExpected_ = 0;
    qint64 drainRemaining_ = 0;
    bool keepAlive_ = true;
    bool chunked_ = true;  // the current stream's framing
    bool upgradeRequest_ = false;
    bool shuttingDown_ = false;
    bool gone_ = false;
    quint64 serial_ = 0;
    std::shared_ptr<RequestContext> current_;
};

}  // namespace parley::gateway
