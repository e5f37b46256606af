#include "gateway/conversations/files_routes.h"

#include <QJsonArray>

#include "gateway/conversations/files_multipart.h"
#include "gateway/conversations/files_store.h"
#include "gateway/http/api_error.h"
#include "gateway/http/router.h"

namespace parley::gateway {
namespace {

void upload(FilesStore& files, const RequestContextPtr& ctx) {
    const HttpRequest& request = ctx->request();
    const QByteArray contentType = request.header("content-type");
    QString name;
    QString mimeType;
    QString purpose = request.query.queryItemValue("purpose", QUrl::FullyDecoded);
    QByteArray content;
    if (contentType.trimmed().toLower().startsWith("multipart/form-data")) {
        auto parts = parseMultipartForm(contentType, request.body);
        if (!parts.ok()) {
            ctx->reply(
                badRequest("invalid_multipart", QString::fromStdString(parts.error().message)));
            return;
        }
        bool found = false;
        for (auto& part : parts.value()) {
            if (part.name == QLatin1String("purpose")) {
                purpose = QString::fromUtf8(part.data);
            } else if (part.name == QLatin1String("file")) {
                found = true;
                name = part.fileName;
                mimeType = part.contentType;
                content = std::move(part.data);
            }
        }
        if (!found) {
            ctx->reply(badRequest("missing_file", "the form has no 'file' part", "file"));
            return;
        }
    } else {
        name = request.query.queryItemValue("filename", QUrl::FullyDecoded);
        mimeType = QString::fromLatin1(contentType);
        content = request.body;
    }
    if (content.size() > files.maxFileBytes()) {
        ctx->reply(apiError(413, error_type::kInvalidRequest, "file_too_large",
                            QStringLiteral("the file has %1 bytes; the limit is %2")
                                .arg(content.size())
                                .arg(files.maxFileBytes()),
                            "file"));
        return;
    }
    if (name.size() > 255 || name.contains('/') || name.contains(QChar(0))) {
        ctx->reply(badRequest("invalid_filename", "the file name is not acceptable", "filename"));
        return;
    }
    auto stored = files.add(ctx->principal().userId, name, mimeType, purpose, content);
    if (!stored.ok()) {
        const QString message = QString::fromStdString(stored.error().message);
        ctx->reply(content.isEmpty()
                       ? badRequest("empty_file", message, "file")
                       : apiError(500, error_type::kServer, "storage_error", message));
        return;
    }
    ctx->reply(HttpResponse::json(201, stored->toJson()));
}

}  // namespace

void registerFilesRoutes(Router& router, FilesStore& files) {
    router.add("POST", "/v1/files", Access::User,
               [&files](const RequestContextPtr& ctx) { upload(files, ctx); });
    router.add("GET", "/v1/files", Access::User, [&files](const RequestContextPtr& ctx) {
        QJsonArray data;
        for (const auto& f : files.list(ctx->principal().userId))
            data.append(f.toJson());
        ctx->reply(HttpResponse::json(200, QJsonObject{{"object", "list"}, {"data", data}}));
    });
    router.add("GET", "/v1/files/{id}", Access::User, [&files](const RequestContextPtr& ctx) {
        auto f = files.get(ctx->principal().userId, ctx->param("id"));
        ctx->reply(f.ok() ? HttpResponse::json(200, f->toJson())
                          : notFound(QString::fromStdString(f.error().message)));
    });
    router.add("GET", "/v1/files/{id}/content", Access::User,
               [&files](const RequestContextPtr& ctx) {
                   const QString userId = ctx->principal().userId;
                   auto f = files.get(userId, ctx->param("id"));
                   if (!f.ok()) {
                       ctx->reply(notFound(QString::fromStdString(f.error().message)));
                       return;
                   }
                   auto bytes = files.content(userId, f->id);
                   if (!bytes.ok()) {
                       ctx->reply(apiError(500, error_type::kServer, "storage_error",
                                           QString::fromStdString(bytes.error().message)));
                       return;
                   }
                   // Always a download, never rendered: an uploaded HTML file must not run as this
                   // origin.
                   ctx->reply(HttpResponse::text(200, bytes.value(), f->mimeType.toLatin1())
                                  .withHeader("content-disposition", "attachment"));
               });
    router.add("DELETE", "/v1/files/{id}", Access::User, [&files](const RequestContextPtr& ctx) {
        const QString id = ctx->param("id");
        const Status removed = files.remove(ctx->principal().userId, id);
        if (!removed.ok()) {
            const QString message = QString::fromStdString(removed.error().message);
            ctx->reply(message.contains("not found")
                           ? notFound(message)
                           : apiError(500, error_type::kServer, "storage_error", message));
            return;
        }
        ctx->reply(HttpResponse::json(
            200, QJsonObject{{"id", id}, {"object", "file"}, {"deleted", true}}));
    });
}

}  // namespace parley::gateway
