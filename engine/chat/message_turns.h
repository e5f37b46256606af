// Stored messages as the model reads them: dialogue turns with their attached files' text, and
// the attachments' JSON form in the message row.
#pragma once

#include <QString>

#include <vector>

#include "chat/chat_service.h"
#include "chat/context_builder.h"
#include "store/message.h"

namespace parley::chat {

// The attached files as text appended to the message they came with.
QString attachmentsText(const std::vector<Attachment>& attachments);

QString attachmentsToJson(const std::vector<Attachment>& attachments);
std::vector<Attachment> attachmentsFromJson(const QString& json);

// The user and assistant turns of `history` (root first) that the model should read.
std::vector<ContextTurn> turnsOf(const std::vector<store::Message>& history);

}  // namespace parley::chat
