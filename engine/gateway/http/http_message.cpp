#include "gateway/http/http_message.h"

namespace parley::gateway {

QByteArray HttpRequest::header(QByteArrayView name) const {
    for (const auto& [key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const {
    for (const auto& entry : headers) {
        if (entry.first == name)
            return true;
    }
    return false;
}

HttpResponse HttpResponse::json(int status, const QJsonObject& object) {
    return json(status, QJsonDocument(object));
}

HttpResponse HttpResponse::json(int status, const QJsonDocument& document) {
    return text(status, document.toJson(QJsonDocument::Compact), "application/json");
}

HttpResponse HttpResponse::text(int status, const QByteArray& body, const QByteArray& contentType) {
    HttpResponse response;
    response.status = status;
    response.body = body;
    response.headers.append({"content-type", contentType});
    return response;
}

HttpResponse& HttpResponse::withHeader(const QByteArray& name, const QByteArray& value) {
    headers.append({name, value});
    return *this;
}

QByteArray reasonPhrase(int status) {
    switch (status) {
        case 101:
            return "Switching Protocols";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Content";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Status";
    }
}

}  // namespace parley::gateway
