// The files attached to the message being written, shown as chips above the composer. Each file
// is read off the UI thread (readDocumentText); a file that cannot be read stays as a chip with
// its error until the user removes it.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QUrl>

#include <vector>

#include "chat/chat_service.h"

namespace parley::app {

class AttachmentListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    /** True while some file is still being read (sending waits for it). */
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

  public:
    enum Role {
        NameRole = Qt::UserRole + 1, /**< file name shown on the chip */
        MimeTypeRole,                /**< "application/pdf" or "text/plain" */
        CharactersRole,              /**< length of the text that goes into the prompt */
        StatusRole,                  /**< "reading", "ready" or "failed" */
        ErrorRole,                   /**< why a file failed, readable */
    };
    Q_ENUM(Role)

    explicit AttachmentListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool busy() const;
    /** Starts reading a local file (a file:// URL, e.g. from a drop or a file dialog). */
    Q_INVOKABLE void addFile(const QUrl& url);
    Q_INVOKABLE void remove(int row);
    Q_INVOKABLE void clear();
    /** The files read successfully, for a SendRequest. */
    std::vector<chat::Attachment> readyAttachments() const;

  signals:
    void busyChanged();
    void countChanged();

  private:
    struct Entry {
        quint64 key = 0;
        QString name;
        QString status;
        QString error;
        chat::Attachment attachment;
    };
    void finishRead(quint64 key, const Result<chat::Attachment>& result);

    std::vector<Entry> entries_;
    quint64 nextKey_ = 1;
};

}  // namespace parley::app
