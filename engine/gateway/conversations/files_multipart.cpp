#include "gateway/conversations/files_multipart.h"

#include <QList>

namespace parley::gateway {
namespace {

Error formError(const char* what) {
    return makeError(std::string("multipart body: ") + what);
}

// The value of `key="..."` (or `key=token`) in a header's parameters; empty when absent.
QByteArray parameter(const QByteArray& header, const QByteArray& key) {
    for (const QByteArray& item : header.split(';')) {
        const QByteArray trimmed = item.trimmed();
        const qsizetype eq = trimmed.indexOf('=');
        if (eq <= 0 || trimmed.left(eq).trimmed().toLower() != key)
            continue;
        QByteArray value = trimmed.mid(eq + 1).trimmed();
        if (value.size() >= 2 && value.startsWith('"') && value.endsWith('"'))
            value = value.mid(1, value.size() - 2);
        return value;
    }
    return {};
}

}  // namespace

Result<std::vector<FormPart>> parseMultipartForm(const QByteArray& contentType,
                                                 const QByteArray& body) {
    if (!contentType.trimmed().toLower().startsWith("multipart/form-data"))
        return formError("not multipart/form-data");
    const QByteArray boundary = parameter(contentType, "boundary");
    if (boundary.isEmpty() || boundary.size() > 70)
        return formError("missing or invalid boundary");
    const QByteArray delimiter = "--" + boundary;

    std::vector<FormPart> parts;
    qsizetype pos = body.indexOf(delimiter);
    if (pos < 0)
        return formError("no part");
    while (true) {
        pos += delimiter.size();
        if (body.mid(pos, 2) == "--")
            return parts;  // the closing delimiter
        if (body.mid(pos, 2) != "\r\n")
            return formError("malformed delimiter line");
        pos += 2;
        const qsizetype headEnd = body.indexOf("\r\n\r\n", pos);
        if (headEnd < 0)
            return formError("part headers do not end");
        FormPart part;
        for (const QByteArray& line : body.mid(pos, headEnd - pos).split('\n')) {
            const QByteArray header = line.trimmed();
            const qsizetype colon = header.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = header.left(colon).trimmed().toLower();
            const QByteArray value = header.mid(colon + 1).trimmed();
            if (name == "content-disposition") {
                part.name = QString::fromUtf8(parameter(value, "name"));
                part.fileName = QString::fromUtf8(parameter(value, "filename"));
            } else if (name == "content-type") {
                part.contentType = QString::fromLatin1(value);
            }
        }
        const qsizetype dataStart = headEnd + 4;
        const qsizetype next = body.indexOf("\r\n" + delimiter, dataStart);
        if (next < 0)
            return formError("part does not end");
        part.data = body.mid(dataStart, next - dataStart);
        parts.push_back(std::move(part));
        pos = next + 2;
    }
}

}  // namespace parley::gateway
