#include "attachment_list_model.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include "document_text.h"

namespace parley::app {

AttachmentListModel::AttachmentListModel(QObject* parent) : QAbstractListModel(parent) {}

int AttachmentListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant AttachmentListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry& entry = entries_[static_cast<size_t>(index.row())];
    switch (role) {
        case Qt::DisplayRole:
        case NameRole:
            return entry.name;
        case MimeTypeRole:
            return entry.attachment.mimeType;
        case CharactersRole:
            return static_cast<int>(entry.attachment.text.size());
        case StatusRole:
            return entry.status;
        case ErrorRole:
            return entry.error;
        default:
            return {};
    }
}

QHash<int, QByteArray> AttachmentListModel::roleNames() const {
    return {{NameRole, "name"},
            {MimeTypeRole, "mimeType"},
            {CharactersRole, "characters"},
            {StatusRole, "status"},
            {ErrorRole, "error"}};
}

bool AttachmentListModel::busy() const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [](const Entry& e) { return e.status == QLatin1String("reading"); });
}

void AttachmentListModel::addFile(const QUrl& url) {
    const QString path = url.isLocalFile() ? url.toLocalFile() : url.toString();
    const quint64 key = nextKey_++;
    const int row = static_cast<int>(entries_.size());
    beginInsertRows({}, row, row);
    entries_.push_back({key, QFileInfo(path).fileName(), QStringLiteral("reading"), {}, {}});
    endInsertRows();
    emit countChanged();
    emit busyChanged();
    auto* watcher = new QFutureWatcher<Result<chat::Attachment>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, key] {
        finishRead(key, watcher->result());
        watcher->deleteLater();
    });
    watcher->setFuture(QtConcurrent::run([path] { return readDocumentText(path); }));
}

void AttachmentListModel::finishRead(quint64 key, const Result<chat::Attachment>& result) {
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [key](const Entry& e) { return e.key == key; });
    if (it == entries_.end())
        return;  // removed while it was being read
    if (result) {
        it->attachment = result.value();
        it->status = QStringLiteral("ready");
    } else {
        it->error = QString::fromStdString(result.error().message);
        it->status = QStringLiteral("failed");
    }
    const QModelIndex changed = index(static_cast<int>(it - entries_.begin()));
    emit dataChanged(changed, changed);
    emit busyChanged();
}

void AttachmentListModel::remove(int row) {
    if (row < 0 || row >= rowCount())
        return;
    beginRemoveRows({}, row, row);
    entries_.erase(entries_.begin() + row);
    endRemoveRows();
    emit countChanged();
    emit busyChanged();
}

void AttachmentListModel::clear() {
    if (entries_.empty())
        return;
    beginResetModel();
    entries_.clear();
    endResetModel();
    emit countChanged();
    emit busyChanged();
}

std::vector<chat::Attachment> AttachmentListModel::readyAttachments() const {
    std::vector<chat::Attachment> ready;
    for (const Entry& entry : entries_)
        if (entry.status == QLatin1String("ready"))
            ready.push_back(entry.attachment);
    return ready;
}

}  // namespace parley::app
