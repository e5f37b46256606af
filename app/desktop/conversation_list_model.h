// The sidebar's threads: pinned first, then by last activity, each with a date section (Pinned,
// Today, Yesterday, Previous 7 days, Older) for ListView.section. Rename and pin go to the
// ChatService at once; delete hides the thread and only deletes it when the undo window has
// passed (or another thread is deleted). A search text switches the list to the threads with a
// full-text match (ChatService::search), each with its snippet.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QDateTime>
#include <QPointer>
#include <QTimer>

#include <optional>
#include <vector>

#include "chat/chat_service.h"

namespace parley::app {

class ConversationListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("ConversationListModel belongs to the AppSession")

    Q_PROPERTY(QString searchText READ searchText WRITE setSearchText NOTIFY searchTextChanged)
    /** True while a deleted thread can still be restored with undoDelete(). */
    Q_PROPERTY(bool canUndoDelete READ canUndoDelete NOTIFY pendingDeleteChanged)
    Q_PROPERTY(QString pendingDeleteTitle READ pendingDeleteTitle NOTIFY pendingDeleteChanged)
    /** The last failure, readable; empty when the last operation succeeded. */
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

  public:
    enum Role {
        IdRole = Qt::UserRole + 1, /**< conversation id */
        TitleRole,                 /**< shown title */
        PinnedRole,                /**< bool */
        UpdatedAtRole,             /**< QDateTime of the last activity */
        SectionRole, /**< "Pinned", "Today", "Yesterday", "Previous 7 days", "Older" */
        SnippetRole, /**< search match with terms in [ ]; empty outside a search */
    };
    Q_ENUM(Role)

    explicit ConversationListModel(chat::ChatService* service, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString searchText() const { return searchText_; }
    void setSearchText(const QString& text);
    bool canUndoDelete() const { return pendingDelete_.has_value(); }
    QString pendingDeleteTitle() const;
    QString errorText() const { return errorText_; }

    /** Reads the list from the service again. */
    Q_INVOKABLE void refresh();
    Q_INVOKABLE void rename(const QString& conversationId, const QString& title);
    Q_INVOKABLE void setPinned(const QString& conversationId, bool pinned);
    /** Hides the thread now and deletes it after the undo window. */
    Q_INVOKABLE void remove(const QString& conversationId);
    Q_INVOKABLE void undoDelete();
    /** Deletes a pending thread at once (the app is closing). */
    Q_INVOKABLE void commitDelete();
    Q_INVOKABLE int rowOf(const QString& conversationId) const;
    Q_INVOKABLE QString idAt(int row) const;
    /** The thread's title as listed (also while a search hides it); "" when not listed. */
    QString titleOf(const QString& conversationId) const;

    // "Now" for the date sections; tests fix it, the app leaves it unset (the current time).
    void setReferenceTime(const QDateTime& now) { referenceTime_ = now; }
    void setUndoWindowMs(int ms) { undoTimer_.setInterval(ms); }

  signals:
    void searchTextChanged();
    void pendingDeleteChanged();
    void errorTextChanged();
    void countChanged();
    /** A thread was deleted for good (the chat view closes it if it shows it). */
    void conversationDeleted(const QString& conversationId);

  private:
    struct Row {
        store::Conversation conversation;
        QString snippet;
    };
    void setRows(std::vector<Row> rows);
    void sortRows(std::vector<Row>& rows) const;
    QString sectionOf(const store::Conversation& conversation) const;
    void setError(const QString& text);
    void applyToRow(const QString& conversationId,
                    const std::function<void(store::Conversation&)>& change);

    QPointer<chat::ChatService> service_;
    std::vector<Row> rows_;
    std::vector<store::Conversation> all_;  // the full list, also while searching
    QString searchText_;
    QString errorText_;
    std::optional<Row> pendingDelete_;
    QTimer undoTimer_;
    QDateTime referenceTime_;
    quint64 generation_ = 0;  // bumped per list/search request: stale replies are dropped
};

}  // namespace parley::app
