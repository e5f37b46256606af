// A conversation as stored: one thread of messages owned by a user.
#pragma once

#include <QString>
#include <QStringList>

namespace parley::store {

struct Conversation {
    QString id;  // uuid
    QString userId;
    QString workspaceId;  // empty: not in a workspace
    QString title;
    bool pinned = false;
    bool archived = false;
    QStringList tags;
    qint64 createdAt = 0;  // ms since the epoch
    qint64 updatedAt = 0;
    QString activeLeafMessageId;  // the last message of the branch the user sees; empty when none
};

}  // namespace parley::store
