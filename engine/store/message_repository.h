// Messages: the conversation tree, streaming checkpoints, the active branch and full-text search.
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

#include <vector>

#include "common/result.h"
#include "store/message.h"

namespace parley::store {

class Database;

class MessageRepository {
  public:
    explicit MessageRepository(Database& db) : db_(db) {}

    // Appends a message under `parentId` (which must be in the same conversation) and makes it
    // the conversation's active leaf, in one transaction.
    Result<Message> append(const NewMessage& draft);
    Result<Message> get(const QString& id);

    // Replaces the text of a message that is still streaming (a checkpoint of the partial answer).
    Status checkpoint(const QString& id, const QString& content);
    // Ends a streaming message with its final text, status and usage.
    Status finish(const QString& id, const MessageCompletion& completion);
    Status setStatus(const QString& id, MessageStatus status);

    // Children of `parentId` (empty: the root messages) in the order they were written; more than
    // one child means branches.
    Result<std::vector<Message>> children(const QString& conversationId, const QString& parentId);
    // The ids of every message's children in one query (no content): parent id (empty for the
    // roots) -> child ids in the order children() gives. For showing siblings of a long branch.
    Result<QHash<QString, QStringList>> childIds(const QString& conversationId);
    // The messages from the root down to `leafId`.
    Result<std::vector<Message>> pathTo(const QString& leafId);
    // pathTo() the conversation's active leaf; empty when the conversation has no messages.
    Result<std::vector<Message>> activeBranch(const QString& conversationId);

    // Full-text search over the messages of one user's conversations, best matches first. Every
    // word of `text` must occur; FTS5 syntax in `text` is taken literally.
    Result<std::vector<SearchHit>> search(const QString& userId, const QString& text,
                                          int limit = 50);

    // On start: answers left `streaming` by a crash become `interrupted`, keeping their partial
    // text. Returns how many were recovered.
    Result<int> recoverInterrupted();

  private:
    Status updateMessage(const QString& id, const QString& assignments, const QVariantList& values,
                         const QString& context, bool onlyWhileStreaming);

    Database& db_;
};

}  // namespace parley::store
