// Shared by the store tests: a NewMessage with the fields the tests vary.
#pragma once

#include "store/message_repository.h"

namespace parley::store::testing {

inline NewMessage draft(const QString& conversationId, const QString& parentId, const QString& role,
                        const QString& content, MessageStatus status = MessageStatus::Complete,
                        const QString& model = {}) {
    NewMessage message;
    message.conversationId = conversationId;
    message.parentId = parentId;
    message.role = role;
    message.content = content;
    message.status = status;
    message.model = model;
    return message;
}

}  // namespace parley::store::testing
