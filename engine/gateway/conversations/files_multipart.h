// A multipart/form-data body (RFC 7578) split into its parts, as curl -F and OpenAI's clients send
// an upload. Only what an upload needs: the Content-Disposition name and filename and the part's
// Content-Type; the part bodies are not decoded further.
#pragma once

#include <QByteArray>
#include <QString>

#include <vector>

#include "common/result.h"

namespace parley::gateway {

struct FormPart {
    QString name;
    QString fileName;  // empty for a plain field
    QString contentType;
    QByteArray data;
};

// `contentType` is the request's header, e.g. `multipart/form-data; boundary=----x`.
Result<std::vector<FormPart>> parseMultipartForm(const QByteArray& contentType,
                                                 const QByteArray& body);

}  // namespace parley::gateway
