// One request on its way through the gateway: the parsed request, who sent it, the route's path
// parameters, and the way back to the client. Handlers receive it as a shared_ptr so that an
// asynchronous handler can keep it and answer later.
//
// Use it on the gateway thread only (post from other threads with GatewayServices::post). Every
// answering call is safe after the client has gone: it sends nothing and returns false.
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "gateway/auth/principal.h"
#include "gateway/http/http_message.h"

class QTcpSocket;

namespace parley::gateway {

class HttpConnection;

class RequestContext {
  public:
    RequestContext(HttpRequest request, HttpConnection* connection, quint64 serial);

    const HttpRequest& request() const { return request_; }
    const Principal& principal() const { return principal_; }
    // A `{name}` segment of the route pattern; empty when the pattern has none.
    QString param(const QString& name) const { return params_.value(name); }
    const QString& routePattern() const { return routePattern_; }

    // The body as a JSON object. On failure (not JSON, not an object, invalid UTF-8) it answers
    // 400 itself and returns nullopt.
    std::optional<QJsonObject> jsonBody();

    // A plain answer, once. Headers added with addResponseHeader() go with it.
    bool reply(HttpResponse response);
    bool replied() const { return replied_; }

    // A streamed answer (chunked transfer encoding), e.g. Server-Sent Events:
    //   beginStream(200, {{"content-type", "text/event-stream"}}); write(...)...; end();
    bool beginStream(int status, HeaderList headers);
    bool write(const QByteArray& bytes);
    // One SSE event: "id: <id>\nevent: <event>\ndata: <data>\n\n" (id and event when given).
    bool sendEvent(const QByteArray& data, const QByteArray& event = {}, qint64 id = -1);
    void end();
    bool streaming() const { return streaming_; }

    // Whether the client is still there to receive an answer.
    bool clientConnected() const;
    // Called once if the client disconnects (or is dropped as too slow) before the answer
    // ended: stop the work (cancel the engine request). Not called after end()/reply().
    void onClientGone(std::function<void()> callback);
    // Called once when the server starts a graceful shutdown while this request is open: finish
    // soon or end the stream cleanly. Requests still open when the grace period ends are cut.
    void onShutdown(std::function<void()> callback);

    // Extra headers for whatever answer this request gets (x-ratelimit-*, CORS).
    void addResponseHeader(const QByteArray& name, const QByteArray& value);

    // For the WebSocket route only: hands over the socket with the upgrade request still unread
    // in it (pass it to QWebSocketServer::handleConnection). The gateway forgets the connection;
    // the caller owns the socket. nullptr when this is not an upgrade request or already taken.
    QTcpSocket* takeUpgradeSocket();

    // Model tokens this request used, for its usage-ledger row (and the user's daily quota).
    void setUsage(const QString& model, qint64 promptTokens, qint64 completionTokens);
    const QString& usageModel() const { return usageModel_; }
    qint64 promptTokens() const { return promptTokens_; }
    qint64 completionTokens() const { return completionTokens_; }

    // Milliseconds since the request's headers arrived.
    qint64 elapsedMs() const;
    int status() const { return status_; }

  private:
    friend class HttpConnection;
    friend class HttpGateway;

    void clientGone();
    void shutdownRequested();

    HttpRequest request_;
    Principal principal_;
    QHash<QString, QString> params_;
    QString routePattern_;
    HeaderList extraHeaders_;
    QPointer<HttpConnection> connection_;
    quint64 serial_ = 0;
    std::chrono::steady_clock::time_point started_;
    bool replied_ = false;
    bool streaming_ = false;
    bool ended_ = false;
    int status_ = 0;
    QString usageModel_;
    qint64 promptTokens_ = 0;
    qint64 completionTokens_ = 0;
    std::function<void()> onClientGone_;
    std::function<void()> onShutdown_;
    // Runs once when the answer is complete or abandoned (the gateway's metrics).
    std::function<void(const RequestContext&)> onFinished_;
    bool finished_ = false;
    void finish();
};

using RequestContextPtr = std::shared_ptr<RequestContext>;

}  // namespace parley::gateway
