// Conversations: create, read, list, rename, pin, archive, tag, delete, and the active branch.
#pragma once

#include <QString>
#include <QStringList>

#include <vector>

#include "common/result.h"
#include "store/conversation.h"

namespace parley::store {

class Database;

class ConversationRepository {
  public:
    explicit ConversationRepository(Database& db) : db_(db) {}

    Result<Conversation> create(const QString& userId, const QString& title,
                                const QString& workspaceId = {});
    Result<Conversation> get(const QString& id);
    // The user's conversations, pinned first, then most recently updated first.
    Result<std::vector<Conversation>> listForUser(const QString& userId,
                                                  bool includeArchived = false);

    Status rename(const QString& id, const QString& title);
    Status setPinned(const QString& id, bool pinned);
    Status setArchived(const QString& id, bool archived);
    Status setTags(const QString& id, const QStringList& tags);
    // Deletes the conversation and, by cascade, all its messages.
    Status remove(const QString& id);
    // Switches the branch the user sees; the message must belong to the conversation.
    Status setActiveLeaf(const QString& id, const QString& messageId);

  private:
    Status updateColumn(const QString& id, const QString& column, const QVariant& value,
                        const QString& context);

    Database& db_;
};

}  // namespace parley::store
