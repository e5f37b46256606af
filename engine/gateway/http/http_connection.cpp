#include "gateway/http/http_connection.h"

#include <QUrl>

#include "gateway/http/api_error.h"
#include "gateway/logging.h"

namespace parley::gateway {
namespace {

// The most of a refused (413) body read and dropped before the connection closes.
constexpr qint64 kMaxDrainBytes = 64 * 1024 * 1024;

bool isToken(QByteArrayView text) {
    if (text.isEmpty())
        return false;
    for (char c : text) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool hasControlCharacters(QByteArrayView text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return true;
    }
    return false;
}

}  // namespace

HttpConnection::HttpConnection(QTcpSocket* socket, const HttpLimits& limits,
                               RequestHandler onRequest, RejectHandler onRejected, QObject* parent)
    : QObject(parent),
      socket_(socket),
      limits_(limits),
      onRequest_(std::move(onRequest)),
      onRejected_(std::move(onRejected)) {
    socket_->setParent(this);
    // Bounded input: Qt stops reading from the kernel when this much is buffered, so a client
    // that sends faster than we parse is held back by TCP instead of filling memory.
    socket_->setReadBufferSize(std::max<qint64>(limits_.maxHeaderBytes * 2, 64 * 1024));
    deadline_.setSingleShot(true);
    connect(&deadline_, &QTimer::timeout, this, &HttpConnection::onTimeout);
    connect(socket_, &QTcpSocket::readyRead, this, &HttpConnection::readAvailable);
    connect(socket_, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    connect(socket_, &QTcpSocket::bytesWritten, this, [this] {
        if (state_ == State::Closed && socket_ && socket_->bytesToWrite() == 0)
            socket_->disconnectFromHost();
    });
    deadline_.start(limits_.idleTimeoutMs);
    if (socket_->bytesAvailable() > 0)
        QTimer::singleShot(0, this, &HttpConnection::readAvailable);
}

HttpConnection::~HttpConnection() {
    if (current_)
        current_->clientGone();
}

void HttpConnection::readAvailable() {
    if (!socket_)
        return;
    if (state_ == State::ReadingHead) {
        // Blank lines between requests are allowed (RFC 9112 §2.2).
        while (socket_->bytesAvailable() >= 2 && socket_->peek(2) == "\r\n")
            socket_->read(2);
        if (socket_->bytesAvailable() == 0)
            return;
        if (deadline_.interval() == limits_.idleTimeoutMs)
            deadline_.start(limits_.headerTimeoutMs);
        if (!readHead())
            return;
    }
    if (state_ == State::ReadingBody)
        readBody();
    if (state_ == State::Draining) {
        drainRemaining_ -= socket_->skip(std::min(drainRemaining_, socket_->bytesAvailable()));
        if (drainRemaining_ <= 0)
            close();
    }
}

bool HttpConnection::readHead() {
    const QByteArray peeked = socket_->peek(limits_.maxHeaderBytes + 4);
    const qsizetype end = peeked.indexOf("\r\n\r\n");
    if (end < 0) {
        if (peeked.size() >= limits_.maxHeaderBytes)
            refuse(431, "headers_too_large",
                   QStringLiteral("request headers exceed %1 bytes").arg(limits_.maxHeaderBytes));
        return false;
    }
    const QByteArray head = peeked.left(end);
    const qint64 headBytes = end + 4;
    const QList<QByteArray> lines = head.split('\n');

    pending_ = HttpRequest{};
    pending_.peer = socket_->peerAddress();
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !isToken(requestLine[0]) || !requestLine[1].startsWith('/')) {
        refuse(400, "malformed_request", QStringLiteral("malformed request line"));
        return false;
    }
    if (requestLine[2] == "HTTP/1.0") {
        pending_.http10 = true;
    } else if (requestLine[2] != "HTTP/1.1") {
        refuse(505, "http_version", QStringLiteral("only HTTP/1.1 and HTTP/1.0 are served"));
        return false;
    }
    if (lines.size() - 1 > limits_.maxHeaderCount) {
        refuse(431, "too_many_headers",
               QStringLiteral("more than %1 request headers").arg(limits_.maxHeaderCount));
        return false;
    }
    pending_.method = requestLine[0];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        // A name with spaces or obsolete line folding is refused: proxies disagree on them.
        if (colon <= 0 || !isToken(QByteArrayView(line).first(colon)) ||
            hasControlCharacters(QByteArrayView(line).sliced(colon + 1))) {
            refuse(400, "malformed_header", QStringLiteral("malformed header line %1").arg(i));
            return false;
        }
        pending_.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
    }

    const QByteArray target = requestLine[1];
    const qsizetype question = target.indexOf('?');
    const QByteArray rawPath = question < 0 ? target : target.left(question);
    const QByteArray decodedPath = QByteArray::fromPercentEncoding(rawPath);
    const QString path = QString::fromUtf8(decodedPath);
    if (path.toUtf8() != decodedPath || decodedPath.contains('\0')) {
        refuse(400, "malformed_path", QStringLiteral("the request path is not valid UTF-8"));
        return false;
    }
    pending_.path = path;
    if (question >= 0)
        pending_.query = QUrlQuery(QString::fromUtf8(target.mid(question + 1)));

    const QByteArray connection = pending_.header("connection").toLower();
    keepAlive_ =
        pending_.http10 ? connection.contains("keep-alive") : !connection.contains("close");
    upgradeRequest_ = pending_.method == "GET" &&
                      pending_.header("upgrade").toLower() == "websocket" &&
                      connection.contains("upgrade");

    if (pending_.hasHeader("transfer-encoding")) {
        refuse(411, "length_required",
               QStringLiteral("chunked request bodies are not accepted; send Content-Length"));
        return false;
    }
    bodyExpected_ = 0;
    if (pending_.hasHeader("content-length")) {
        const QByteArray lengthText = pending_.header("content-length");
        bool ok = !lengthText.isEmpty() && lengthText.size() <= 18;
        for (char c : lengthText)
            ok = ok && c >= '0' && c <= '9';
        int lengthHeaders = 0;
        for (const auto& [name, value] : pending_.headers)
            lengthHeaders += name == "content-length" ? 1 : 0;
        if (!ok || lengthHeaders > 1) {
            refuse(400, "malformed_content_length", QStringLiteral("invalid Content-Length"));
            return false;
        }
        bodyExpected_ = lengthText.toLongLong();
        if (bodyExpected_ > limits_.maxBodyBytes) {
            // Answer at once, then read and drop what the client still sends (bounded), so that
            // a client that does not wait for the answer reads the 413 instead of a reset.
            socket_->read(headBytes);
            const bool expectsContinue = pending_.header("expect").toLower() == "100-continue";
            const bool drain = !expectsContinue && bodyExpected_ <= kMaxDrainBytes;
            refuse(413, "request_too_large",
                   QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                       .arg(bodyExpected_)
                       .arg(limits_.maxBodyBytes),
                   !drain);
            if (drain) {
                state_ = State::Draining;
                drainRemaining_ = bodyExpected_;
                deadline_.start(limits_.bodyTimeoutMs);
                readAvailable();
            }
            return false;
        }
    }

    if (upgradeRequest_) {
        // The handshake stays unread in the socket for QWebSocketServer; no body follows.
        keepAlive_ = false;
        dispatch();
        return false;
    }
    socket_->read(headBytes);
    if (bodyExpected_ > 0 && pending_.header("expect").toLower() == "100-continue")
        socket_->write("HTTP/1.1 100 Continue\r\n\r\n");
    state_ = State::ReadingBody;
    deadline_.start(limits_.bodyTimeoutMs);
    return true;
}

void HttpConnection::readBody() {
    const qint64 missing = bodyExpected_ - pending_.body.size();
    if (missing > 0)
        pending_.body.append(socket_->read(missing));
    if (pending_.body.size() < bodyExpected_)
        return;
    dispatch();
}

void HttpConnection::dispatch() {
    deadline_.stop();
    state_ = State::Handling;
    current_ = std::make_shared<RequestContext>(std::move(pending_), this, ++serial_);
    pending_ = HttpRequest{};
    const auto context = current_;
    onRequest_(context);
    if (shuttingDown_ && current_ == context)
        context->shutdownRequested();
}

void HttpConnection::refuse(int status, const QString& code, const QString& message,
                            bool closeNow) {
    qCInfo(lcGateway).noquote() << "refused request from" << socket_->peerAddress().toString()
                                << status << message;
    keepAlive_ = false;
    const HttpResponse response = apiError(status, error_type::kInvalidRequest, code, message);
    writeHead(status, response.headers, response.body.size());
    socket_->write(response.body);
    if (onRejected_)
        onRejected_(status);
    if (closeNow)
        close();
}

void HttpConnection::onDisconnected() {
    if (gone_)
        return;
    gone_ = true;
    state_ = State::Closed;
    deadline_.stop();
    if (current_) {
        auto context = std::move(current_);
        context->clientGone();
    }
    emit closed();
    deleteLater();
}

void HttpConnection::onTimeout() {
    switch (state_) {
        case State::ReadingHead:
            if (socket_ && socket_->bytesAvailable() > 0)
                refuse(408, "request_timeout",
                       QStringLiteral("request headers arrived too slowly"));
            else
                close();
            break;
        case State::Draining:
            abort();
            break;
        case State::ReadingBody:
            refuse(408, "request_timeout", QStringLiteral("request body arrived too slowly"));
            break;
        default:
            break;
    }
}

void HttpConnection::checkBacklog() {
    if (socket_ && socket_->bytesToWrite() > limits_.maxUnsentBytes) {
        qCInfo(lcGateway).noquote() << "dropping slow client" << socket_->peerAddress().toString()
                                    << socket_->bytesToWrite() << "bytes unread";
        abort();
    }
}

bool HttpConnection::isCurrent(quint64 serial) const {
    return socket_ && current_ && serial == serial_ && state_ != State::Closed;
}

void HttpConnection::writeHead(int status, const HeaderList& headers, qint64 contentLength) {
    QByteArray head =
        "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto& [name, value] : headers)
        head += name + ": " + value + "\r\n";
    if (contentLength >= 0)
        head += "content-length: " + QByteArray::number(contentLength) + "\r\n";
    else if (chunked_)
        head += "transfer-encoding: chunked\r\n";
    head += "x-content-type-options: nosniff\r\n";
    head += "cache-control: no-store\r\n";
    head += keepAlive_ && !shuttingDown_ ? "connection: keep-alive\r\n" : "connection: close\r\n";
    head += "\r\n";
    socket_->write(head);
}

bool HttpConnection::sendResponse(quint64 serial, const HttpResponse& response) {
    if (!isCurrent(serial) || state_ != State::Handling)
        return false;
    if (upgradeRequest_)
        keepAlive_ = false;
    writeHead(response.status, response.headers, response.body.size());
    socket_->write(response.body);
    afterResponse();
    return true;
}

bool HttpConnection::beginStream(quint64 serial, int status, const HeaderList& headers) {
    if (!isCurrent(serial) || state_ != State::Handling)
        return false;
    // HTTP/1.0 has no chunked encoding: the stream is the raw body, ended by closing.
    chunked_ = !current_->request().http10;
    if (!chunked_)
        keepAlive_ = false;
    writeHead(status, headers, -1);
    state_ = State::Streaming;
    return true;
}

bool HttpConnection::writeChunk(quint64 serial, const QByteArray& bytes) {
    if (!isCurrent(serial) || state_ != State::Streaming)
        return false;
    if (bytes.isEmpty())
        return true;
    if (chunked_)
        socket_->write(QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
    else
        socket_->write(bytes);
    checkBacklog();
    return socket_ != nullptr && state_ == State::Streaming;
}

void HttpConnection::endStream(quint64 serial) {
    if (!isCurrent(serial) || state_ != State::Streaming)
        return;
    if (chunked_)
        socket_->write("0\r\n\r\n");
    afterResponse();
}

QTcpSocket* HttpConnection::takeSocket(quint64 serial) {
    if (!isCurrent(serial) || !upgradeRequest_ || state_ != State::Handling)
        return nullptr;
    QTcpSocket* socket = socket_;
    socket->disconnect(this);
    socket->setParent(nullptr);
    socket_ = nullptr;
    current_.reset();
    state_ = State::Closed;
    deadline_.stop();
    emit closed();
    deleteLater();
    return socket;
}

void HttpConnection::afterResponse() {
    current_.reset();
    if (!keepAlive_ || shuttingDown_) {
        close();
        return;
    }
    state_ = State::ReadingHead;
    deadline_.start(limits_.idleTimeoutMs);
    if (socket_->bytesAvailable() > 0)
        QTimer::singleShot(0, this, &HttpConnection::readAvailable);
}

void HttpConnection::close() {
    state_ = State::Closed;
    deadline_.stop();
    if (!socket_)
        return;
    if (socket_->bytesToWrite() == 0)
        socket_->disconnectFromHost();
    // Otherwise bytesWritten closes it once the answer is out; the idle timer bounds the wait.
    deadline_.start(limits_.idleTimeoutMs);
    connect(&deadline_, &QTimer::timeout, this, &HttpConnection::abort, Qt::UniqueConnection);
}

void HttpConnection::beginShutdown() {
    shuttingDown_ = true;
    if (state_ == State::ReadingHead && !current_) {
        close();
        return;
    }
    if (current_)
        current_->shutdownRequested();
}

void HttpConnection::abort() {
    if (socket_)
        socket_->abort();
    else
        onDisconnected();
}

}  // namespace parley::gateway
