// Writes a whole conversation taken from an export (Parley's or another product's) in one
// transaction: new ids for the conversation and its messages, every other field as given.
#pragma once

#include <QString>

#include <vector>

#include "common/result.h"
#include "store/conversation.h"
#include "store/message.h"

namespace parley::store {

class Database;

struct ImportedConversation {
    Conversation conversation;  // id, userId and activeLeafMessageId are ignored
    // Parents before their children; ids and parentIds as in the export (remapped on write).
    std::vector<Message> messages;
    QString activeLeafMessageId;  // an id from `messages`; empty: the last message
};

// Returns the new conversation's id.
Result<QString> importConversation(Database& db, const QString& userId,
                                   const ImportedConversation& imported);

}  // namespace parley::store
