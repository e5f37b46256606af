#include "gateway/http/request_context.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringDecoder>

#include "gateway/http/api_error.h"
#include "gateway/http/http_connection.h"

namespace parley::gateway {

RequestContext::RequestContext(HttpRequest request, HttpConnection* connection, quint64 serial)
    : request_(std::move(request)),
      connection_(connection),
      serial_(serial),
      started_(std::chrono::steady_clock::now()) {}

std::optional<QJsonObject> RequestContext::jsonBody() {
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString decoded = utf8.decode(request_.body);
    if (utf8.hasError()) {
        reply(badRequest(QStringLiteral("invalid_utf8"),
                         QStringLiteral("the request body is not valid UTF-8")));
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request_.body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        reply(badRequest(QStringLiteral("invalid_json"),
                         QStringLiteral("the request body is not valid JSON: %1 at offset %2")
                             .arg(parseError.errorString())
                             .arg(parseError.offset)));
        return std::nullopt;
    }
    if (!document.isObject()) {
        reply(badRequest(QStringLiteral("invalid_json"),
                         QStringLiteral("the request body must be a JSON object")));
        return std::nullopt;
    }
    return document.object();
}

bool RequestContext::reply(HttpResponse response) {
    if (replied_ || streaming_)
        return false;
    replied_ = true;
    status_ = response.status;
    response.headers.append(extraHeaders_);
    const bool sent = connection_ && connection_->sendResponse(serial_, response);
    finish();
    return sent;
}

bool RequestContext::beginStream(int status, HeaderList headers) {
    if (replied_ || streaming_)
        return false;
    headers.append(extraHeaders_);
    if (!connection_ || !connection_->beginStream(serial_, status, headers))
        return false;
    streaming_ = true;
    status_ = status;
    return true;
}

bool RequestContext::write(const QByteArray& bytes) {
    return streaming_ && !ended_ && connection_ && connection_->writeChunk(serial_, bytes);
}

bool RequestContext::sendEvent(const QByteArray& data, const QByteArray& event, qint64 id) {
    QByteArray frame;
    if (id >= 0)
        frame += "id: " + QByteArray::number(id) + '\n';
    if (!event.isEmpty())
        frame += "event: " + event + '\n';
    // A data field cannot hold a newline: each line becomes its own "data:" line.
    for (const QByteArray& line : data.split('\n'))
        frame += "data: " + line + '\n';
    frame += '\n';
    return write(frame);
}

void RequestContext::end() {
    if (!streaming_ || ended_)
        return;
    ended_ = true;
    if (connection_)
        connection_->endStream(serial_);
    finish();
}

bool RequestContext::clientConnected() const {
    return connection_ && connection_->isCurrent(serial_);
}

void RequestContext::onClientGone(std::function<void()> callback) {
    onClientGone_ = std::move(callback);
}

void RequestContext::onShutdown(std::function<void()> callback) {
    onShutdown_ = std::move(callback);
}

void RequestContext::addResponseHeader(const QByteArray& name, const QByteArray& value) {
    extraHeaders_.append({name, value});
}

QTcpSocket* RequestContext::takeUpgradeSocket() {
    if (replied_ || streaming_ || !connection_)
        return nullptr;
    QTcpSocket* socket = connection_->takeSocket(serial_);
    if (socket) {
        replied_ = true;
        status_ = 101;
        finish();
    }
    return socket;
}

void RequestContext::setUsage(const QString& model, qint64 promptTokens, qint64 completionTokens) {
    usageModel_ = model;
    promptTokens_ = promptTokens;
    completionTokens_ = completionTokens;
}

qint64 RequestContext::elapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started_)
        .count();
}

void RequestContext::clientGone() {
    const bool open = !(replied_ || ended_);
    connection_ = nullptr;
    if (open) {
        if (status_ == 0)
            status_ = 499;  // nginx's "client closed request", for the metrics
        if (auto callback = std::move(onClientGone_))
            callback();
    }
    finish();
}

void RequestContext::shutdownRequested() {
    if (auto callback = std::move(onShutdown_))
        callback();
}

void RequestContext::finish() {
    if (finished_)
        return;
    if (!(replied_ || ended_ || !connection_))
        return;
    finished_ = true;
    // Handlers' callbacks often hold objects that hold this context: drop them to break the cycle.
    onClientGone_ = nullptr;
    onShutdown_ = nullptr;
    if (auto done = std::move(onFinished_))
        done(*this);
}

}  // namespace parley::gateway
