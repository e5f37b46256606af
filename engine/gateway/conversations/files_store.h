// Uploaded files (POST /v1/files), stored in the data directory: the bytes content-addressed under
// files/blobs/<sha256>, one metadata JSON per file under files/meta/<id>.json (owner, name, type,
// size, hash, purpose, time). Every lookup is by owner: another user's file id is "not found".
// Writes go through a temporary file and a rename, so a crash leaves no half file behind.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

#include <vector>

#include "common/result.h"

namespace parley::gateway {

struct StoredFile {
    QString id;  // "file-" + 24 hex digits
    QString ownerId;
    QString name;
    QString mimeType;
    QString purpose;
    qint64 bytes = 0;
    QString sha256;        // hex, the blob's name
    qint64 createdAt = 0;  // seconds since the epoch (OpenAI's unit)

    QJsonObject toJson() const;  // OpenAI's file object plus mime_type and sha256
};

class FilesStore {
  public:
    // `root` is <data dir>/files; created (mode 0700) when missing, existing metadata is loaded.
    FilesStore(QString root, qint64 maxFileBytes);

    qint64 maxFileBytes() const { return maxFileBytes_; }

    // Fails (with the reason) on an empty or oversized file or a write error.
    Result<StoredFile> add(const QString& ownerId, const QString& name, const QString& mimeType,
                           const QString& purpose, const QByteArray& content);
    Result<StoredFile> get(const QString& ownerId, const QString& id) const;
    Result<QByteArray> content(const QString& ownerId, const QString& id) const;
    std::vector<StoredFile> list(const QString& ownerId) const;  // newest first
    // Removes the metadata, and the blob when no other file has the same bytes.
    Status remove(const QString& ownerId, const QString& id);

  private:
    QString blobPath(const QString& sha256) const;
    QString metaPath(const QString& id) const;
    void load();

    QString root_;
    qint64 maxFileBytes_;
    QHash<QString, StoredFile> files_;
};

}  // namespace parley::gateway
