// Server mode's API keys to share, for the settings to list and revoke: the active keys of the
// server's member accounts, oldest first, each with who it is for and its first characters (the
// secret itself is shown once when made and never stored). The admin's own key is not listed.
// ServerMode fills it from the gateway's store.
#pragma once

#include <QtQml/qqmlregistration.h>
#include <QAbstractListModel>
#include <QDateTime>
#include <QList>
#include <QString>

namespace parley::app {

struct SharedKey {
    QString id;
    QString userId;  // the member account the key belongs to
    QString name;    // who it is for
    QString prefix;  // the key's first characters, as its holder sees them
    QDateTime createdAt;

    bool operator==(const SharedKey&) const = default;
};

class SharedKeyListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("SharedKeyListModel belongs to the ServerMode")

    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

  public:
    enum Role {
        KeyIdRole = Qt::UserRole + 1, /**< the key's id (not the secret) */
        NameRole,                     /**< who the key is for */
        PrefixRole,                   /**< the key's first characters */
        CreatedAtRole,                /**< QDateTime */
    };
    Q_ENUM(Role)

    using QAbstractListModel::QAbstractListModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    /** Shows `keys`: rows of keys gone are removed, new keys appended, the others kept. */
    void setKeys(const QList<SharedKey>& keys);
    const SharedKey* key(const QString& keyId) const;

  signals:
    void countChanged();

  private:
    QList<SharedKey> keys_;
};

}  // namespace parley::app
