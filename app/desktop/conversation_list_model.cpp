#include "conversation_list_model.h"

#include <QTimeZone>

#include <algorithm>

#include "app_logging.h"

namespace parley::app {

namespace {

constexpr int kUndoWindowMs = 5000;

QString errorMessage(const Error& error) {
    return QString::fromStdString(error.message);
}

}  // namespace

ConversationListModel::ConversationListModel(chat::ChatService* service, QObject* parent)
    : QAbstractListModel(parent), service_(service) {
    undoTimer_.setSingleShot(true);
    undoTimer_.setInterval(kUndoWindowMs);
    connect(&undoTimer_, &QTimer::timeout, this, &ConversationListModel::commitDelete);
    if (service_)
        connect(service_, &chat::ChatService::conversationChanged, this,
                &ConversationListModel::refresh);
}

int ConversationListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = rows_[static_cast<size_t>(index.row())];
    const store::Conversation& c = row.conversation;
    switch (role) {
        case Qt::DisplayRole:
        case TitleRole:
            return c.title.isEmpty() ? tr("New chat") : c.title;
        case IdRole:
            return c.id;
        case PinnedRole:
            return c.pinned;
        case UpdatedAtRole:
            return QDateTime::fromMSecsSinceEpoch(c.updatedAt);
        case SectionRole:
            return searchText_.isEmpty() ? sectionOf(c) : tr("Search results");
        case SnippetRole:
            return row.snippet;
        default:
            return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const {
    return {{IdRole, "conversationId"},   {TitleRole, "title"},     {PinnedRole, "pinned"},
            {UpdatedAtRole, "updatedAt"}, {SectionRole, "section"}, {SnippetRole, "snippet"}};
}

QString ConversationListModel::sectionOf(const store::Conversation& conversation) const {
    if (conversation.pinned)
        return tr("Pinned");
    const QDateTime now = referenceTime_.isValid() ? referenceTime_ : QDateTime::currentDateTime();
    const QDate today = now.date();
    const QDate day = QDateTime::fromMSecsSinceEpoch(conversation.updatedAt, now.timeZone()).date();
    const qint64 daysAgo = day.daysTo(today);
    if (daysAgo <= 0)
        return tr("Today");
    if (daysAgo == 1)
        return tr("Yesterday");
    if (daysAgo <= 7)
        return tr("Previous 7 days");
    return tr("Older");
}

void ConversationListModel::sortRows(std::vector<Row>& rows) const {
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        if (a.conversation.pinned != b.conversation.pinned)
            return a.conversation.pinned;
        return a.conversation.updatedAt > b.conversation.updatedAt;
    });
}

void ConversationListModel::setRows(std::vector<Row> rows) {
    if (pendingDelete_)
        std::erase_if(rows, [this](const Row& r) {
            return r.conversation.id == pendingDelete_->conversation.id;
        });
    sortRows(rows);
    const int before = rowCount();
    beginResetModel();
    rows_ = std::move(rows);
    endResetModel();
    if (before != rowCount())
        emit countChanged();
}

void ConversationListModel::setError(const QString& text) {
    if (!text.isEmpty())
        qCWarning(lcApp) << "threads:" << text;
    if (errorText_ == text)
        return;
    errorText_ = text;
    emit errorTextChanged();
}

void ConversationListModel::refresh() {
    if (!service_)
        return;
    const quint64 generation = ++generation_;
    service_->listConversations(
        false, [this, generation](Result<std::vector<store::Conversation>> result) {
            if (generation != generation_)
                return;
            if (!result) {
                setError(tr("Could not read the threads: %1").arg(errorMessage(result.error())));
                return;
            }
            setError({});
            all_ = std::move(result.value());
            if (!searchText_.isEmpty()) {
                setSearchText(std::exchange(searchText_, QString()));
                return;
            }
            std::vector<Row> rows;
            for (const auto& c : all_)
                rows.push_back({c, {}});
            setRows(std::move(rows));
        });
}

void ConversationListModel::setSearchText(const QString& text) {
    if (text == searchText_)
        return;
    searchText_ = text;
    emit searchTextChanged();
    const quint64 generation = ++generation_;
    if (text.trimmed().isEmpty() || !service_) {
        std::vector<Row> rows;
        for (const auto& c : all_)
            rows.push_back({c, {}});
        setRows(std::move(rows));
        return;
    }
    service_->search(text, [this, generation](Result<std::vector<store::SearchHit>> result) {
        if (generation != generation_)
            return;
        if (!result) {
            setError(tr("Search failed: %1").arg(errorMessage(result.error())));
            return;
        }
        setError({});
        std::vector<Row> rows;
        for (const store::SearchHit& hit : result.value()) {
            const bool seen = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
                return r.conversation.id == hit.conversationId;
            });
            if (seen)
                continue;
            const auto known = std::find_if(all_.begin(), all_.end(), [&](const auto& c) {
                return c.id == hit.conversationId;
            });
            store::Conversation conversation;
            if (known != all_.end())
                conversation = *known;
            else
                conversation.id = hit.conversationId;
            rows.push_back({conversation, hit.snippet});
        }
        setRows(std::move(rows));
    });
}

void ConversationListModel::applyToRow(const QString& conversationId,
                                       const std::function<void(store::Conversation&)>& change) {
    for (auto& c : all_)
        if (c.id == conversationId)
            change(c);
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    change(rows_[static_cast<size_t>(row)].conversation);
    std::vector<Row> rows = rows_;
    sortRows(rows);
    const bool moved =
        std::any_of(rows.begin(), rows.end(), [&, i = size_t(0)](const Row& r) mutable {
            return r.conversation.id != rows_[i++].conversation.id;
        });
    if (moved) {
        beginResetModel();
        rows_ = std::move(rows);
        endResetModel();
    } else {
        emit dataChanged(index(row), index(row));
    }
}

void ConversationListModel::rename(const QString& conversationId, const QString& title) {
    const QString clean = title.simplified();
    if (!service_ || clean.isEmpty())
        return;
    applyToRow(conversationId, [&](store::Conversation& c) { c.title = clean; });
    service_->renameConversation(conversationId, clean, [this](Result<Ok> result) {
        if (!result) {
            setError(tr("Could not rename: %1").arg(errorMessage(result.error())));
            refresh();
        }
    });
}

void ConversationListModel::setPinned(const QString& conversationId, bool pinned) {
    if (!service_)
        return;
    applyToRow(conversationId, [&](store::Conversation& c) { c.pinned = pinned; });
    service_->setPinned(conversationId, pinned, [this](Result<Ok> result) {
        if (!result) {
            setError(tr("Could not pin: %1").arg(errorMessage(result.error())));
            refresh();
        }
    });
}

void ConversationListModel::remove(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    commitDelete();  // one undo at a time, like a mail client
    beginRemoveRows({}, row, row);
    pendingDelete_ = rows_[static_cast<size_t>(row)];
    rows_.erase(rows_.begin() + row);
    endRemoveRows();
    emit countChanged();
    emit pendingDeleteChanged();
    undoTimer_.start();
}

QString ConversationListModel::pendingDeleteTitle() const {
    return pendingDelete_ ? pendingDelete_->conversation.title : QString();
}

void ConversationListModel::undoDelete() {
    if (!pendingDelete_)
        return;
    undoTimer_.stop();
    std::vector<Row> rows = rows_;
    rows.push_back(*pendingDelete_);
    pendingDelete_.reset();
    setRows(std::move(rows));
    emit countChanged();
    emit pendingDeleteChanged();
}

void ConversationListModel::commitDelete() {
    if (!pendingDelete_)
        return;
    undoTimer_.stop();
    const QString id = pendingDelete_->conversation.id;
    pendingDelete_.reset();
    std::erase_if(all_, [&](const store::Conversation& c) { return c.id == id; });
    emit pendingDeleteChanged();
    if (!service_)
        return;
    service_->deleteConversation(id, [this, id](Result<Ok> result) {
        if (!result) {
            setError(tr("Could not delete: %1").arg(errorMessage(result.error())));
            refresh();
            return;
        }
        emit conversationDeleted(id);
    });
}

int ConversationListModel::rowOf(const QString& conversationId) const {
    for (size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].conversation.id == conversationId)
            return static_cast<int>(i);
    return -1;
}

QString ConversationListModel::titleOf(const QString& conversationId) const {
    for (const store::Conversation& c : all_)
        if (c.id == conversationId)
            return c.title;
    const int row = rowOf(conversationId);
    return row >= 0 ? rows_[static_cast<size_t>(row)].conversation.title : QString();
}

QString ConversationListModel::idAt(int row) const {
    return row >= 0 && row < rowCount() ? rows_[static_cast<size_t>(row)].conversation.id
                                        : QString();
}

}  // namespace parley::app
