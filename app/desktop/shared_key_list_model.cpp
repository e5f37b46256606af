#include "shared_key_list_model.h"

namespace parley::app {

int SharedKeyListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(keys_.size());
}

QVariant SharedKeyListModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SharedKey& key = keys_[index.row()];
    switch (role) {
        case KeyIdRole:
            return key.id;
        case Qt::DisplayRole:
        case NameRole:
            return key.name;
        case PrefixRole:
            return key.prefix;
        case CreatedAtRole:
            return key.createdAt;
        default:
            return {};
    }
}

QHash<int, QByteArray> SharedKeyListModel::roleNames() const {
    return {{KeyIdRole, "keyId"},
            {NameRole, "name"},
            {PrefixRole, "prefix"},
            {CreatedAtRole, "createdAt"}};
}

void SharedKeyListModel::setKeys(const QList<SharedKey>& keys) {
    const qsizetype before = keys_.size();
    // Keys only come and go (a key never changes), so a row in view stays where it is.
    for (qsizetype row = keys_.size() - 1; row >= 0; --row) {
        if (!keys.contains(keys_[row])) {
            beginRemoveRows({}, static_cast<int>(row), static_cast<int>(row));
            keys_.removeAt(row);
            endRemoveRows();
        }
    }
    for (const SharedKey& key : keys) {
        if (keys_.contains(key))
            continue;
        const int row = static_cast<int>(keys_.size());
        beginInsertRows({}, row, row);
        keys_.append(key);
        endInsertRows();
    }
    if (keys_.size() != before)
        emit countChanged();
}

const SharedKey* SharedKeyListModel::key(const QString& keyId) const {
    for (const SharedKey& key : keys_)
        if (key.id == keyId)
            return &key;
    return nullptr;
}

}  // namespace parley::app
