#include "gateway/conversations/files_store.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>

#include <algorithm>

#include "gateway/logging.h"

namespace parley::gateway {
namespace {

Error fileError(const QString& what) {
    return makeError(("files: " + what).toStdString());
}

Status writeAtomically(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return fileError(QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return Ok{};
}

StoredFile fromJson(const QJsonObject& o) {
    StoredFile f;
    f.id = o.value("id").toString();
    f.ownerId = o.value("owner_id").toString();
    f.name = o.value("filename").toString();
    f.mimeType = o.value("mime_type").toString();
    f.purpose = o.value("purpose").toString();
    f.bytes = qint64(o.value("bytes").toDouble());
    f.sha256 = o.value("sha256").toString();
    f.createdAt = qint64(o.value("created_at").toDouble());
    return f;
}

}  // namespace

QJsonObject StoredFile::toJson() const {
    return QJsonObject{{"id", id},
                       {"object", "file"},
                       {"bytes", double(bytes)},
                       {"created_at", double(createdAt)},
                       {"filename", name},
                       {"purpose", purpose},
                       {"mime_type", mimeType},
                       {"sha256", sha256}};
}

FilesStore::FilesStore(QString root, qint64 maxFileBytes)
    : root_(std::move(root)), maxFileBytes_(maxFileBytes) {
    for (const char* sub : {"blobs", "meta"}) {
        const QString dir = root_ + "/" + sub;
        if (!QDir().mkpath(dir))
            qCWarning(lcGateway) << "files: cannot create" << dir;
    }
    QFile::setPermissions(root_, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    load();
}

QString FilesStore::blobPath(const QString& sha256) const {
    return root_ + "/blobs/" + sha256;
}

QString FilesStore::metaPath(const QString& id) const {
    return root_ + "/meta/" + id + ".json";
}

void FilesStore::load() {
    const QDir meta(root_ + "/meta");
    for (const QString& name : meta.entryList({"*.json"}, QDir::Files)) {
        QFile file(meta.filePath(name));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const StoredFile f = fromJson(QJsonDocument::fromJson(file.readAll()).object());
        if (f.id.isEmpty() || f.ownerId.isEmpty() || !QFile::exists(blobPath(f.sha256))) {
            qCWarning(lcGateway) << "files: skipping unreadable metadata" << file.fileName();
            continue;
        }
        files_.insert(f.id, f);
    }
}

Result<StoredFile> FilesStore::add(const QString& ownerId, const QString& name,
                                   const QString& mimeType, const QString& purpose,
                                   const QByteArray& content) {
    if (content.isEmpty())
        return fileError("the file is empty");
    if (content.size() > maxFileBytes_)
        return fileError(QStringLiteral("the file has %1 bytes; the limit is %2")
                             .arg(content.size())
                             .arg(maxFileBytes_));
    StoredFile f;
    f.id = "file-" +
           QString::number(QRandomGenerator::system()->generate64(), 16).rightJustified(16, '0') +
           QString::number(QRandomGenerator::system()->generate(), 16).rightJustified(8, '0');
    f.ownerId = ownerId;
    f.name = name.isEmpty() ? QStringLiteral("upload") : name;
    f.mimeType = mimeType.isEmpty() ? QStringLiteral("application/octet-stream") : mimeType;
    f.purpose = purpose;
    f.bytes = content.size();
    f.sha256 =
        QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
    f.createdAt = QDateTime::currentSecsSinceEpoch();

    if (!QFile::exists(blobPath(f.sha256))) {
        if (auto written = writeAtomically(blobPath(f.sha256), content); !written.ok())
            return written.error();
    }
    QJsonObject meta = f.toJson();
    meta.insert("owner_id", ownerId);
    if (auto written = writeAtomically(metaPath(f.id), QJsonDocument(meta).toJson()); !written.ok())
        return written.error();
    files_.insert(f.id, f);
    return f;
}

Result<StoredFile> FilesStore::get(const QString& ownerId, const QString& id) const {
    const auto it = files_.constFind(id);
    if (it == files_.constEnd() || it->ownerId != ownerId)
        return fileError(QStringLiteral("file %1 not found").arg(id));
    return *it;
}

Result<QByteArray> FilesStore::content(const QString& ownerId, const QString& id) const {
    auto f = get(ownerId, id);
    if (!f.ok())
        return f.error();
    QFile file(blobPath(f->sha256));
    if (!file.open(QIODevice::ReadOnly))
        return fileError(
            QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString()));
    return file.readAll();
}

std::vector<StoredFile> FilesStore::list(const QString& ownerId) const {
    std::vector<StoredFile> result;
    for (const auto& f : files_)
        if (f.ownerId == ownerId)
            result.push_back(f);
    std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
        return a.createdAt != b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
    });
    return result;
}

Status FilesStore::remove(const QString& ownerId, const QString& id) {
    auto f = get(ownerId, id);
    if (!f.ok())
        return f.error();
    if (!QFile::remove(metaPath(id)))
        return fileError(QStringLiteral("cannot delete the metadata of %1").arg(id));
    files_.remove(id);
    const bool shared = std::any_of(files_.cbegin(), files_.cend(), [&](const StoredFile& other) {
        return other.sha256 == f->sha256;
    });
    if (!shared)
        QFile::remove(blobPath(f->sha256));
    return Ok{};
}

}  // namespace parley::gateway
