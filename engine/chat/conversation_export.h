// Conversation export and import formats: Parley's own JSON (every field, the whole message tree)
// and a ChatGPT data export's conversations.json (read only).
#pragma once

#include <QByteArray>

#include <vector>

#include "common/result.h"
#include "store/conversation_import.h"

namespace parley::chat {

struct ExportedConversation {
    store::Conversation conversation;
    std::vector<store::Message> messages;  // parents before children
};

QByteArray toParleyJson(const std::vector<ExportedConversation>& conversations);

// Parley's export or ChatGPT's conversations.json, told apart by their shape.
Result<std::vector<store::ImportedConversation>> parseConversationsJson(const QByteArray& json);

}  // namespace parley::chat
