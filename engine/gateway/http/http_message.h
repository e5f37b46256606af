// The HTTP request a handler receives and the response it gives back, as plain values. Header
// names are stored lower-case (HTTP names are case-insensitive) in arrival order.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

namespace parley::gateway {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequest {
    QByteArray method;  // "GET", "POST", ...
    QString path;       // percent-decoded, without the query
    QUrlQuery query;
    HeaderList headers;  // lower-case names
    QByteArray body;
    QHostAddress peer;
    bool http10 = false;

    // The first value of header `name` (lower-case), or an empty array.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
};

struct HttpResponse {
    int status = 200;
    HeaderList headers;
    QByteArray body;

    static HttpResponse json(int status, const QJsonObject& object);
    static HttpResponse json(int status, const QJsonDocument& document);
    static HttpResponse text(int status, const QByteArray& body, const QByteArray& contentType);
    HttpResponse& withHeader(const QByteArray& name, const QByteArray& value);
};

// The reason phrase of a status code ("Not Found").
QByteArray reasonPhrase(int status);

}  // namespace parley::gateway
