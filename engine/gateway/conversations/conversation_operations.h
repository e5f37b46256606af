// The conversation operations of the gateway, one table shared by the REST routes and the
// WebSocket channel: an operation name plus JSON arguments in, a JSON result (or an OpenAI-shaped
// error with its HTTP status) out, run on the ChatService of the authenticated user. Answers that
// start a stream (send, edit, regenerate, continue) register it in the StreamHub under that user.
//
// Operation names and arguments (also the WebSocket message types, see README.md):
//   create_conversation {title?}                 list_conversations {include_archived?}
//   get_conversation {conversation_id}           rename_conversation {conversation_id, title}
//   set_pinned {conversation_id, pinned}         set_archived {conversation_id, archived}
//   delete_conversation {conversation_id}        search {query}
//   send_message {conversation_id, content, message_id?, role?, parent_id?, model?,
//                 attachments?, <options>}
//   edit_message {message_id, content, <options>}   regenerate {message_id, <options>}
//   continue_answer {message_id, <options>}         cancel_stream {stream_id}
//   switch_branch {message_id}                      context_report {message_id}
//   export_conversations {conversation_ids?}        import_conversations {data}
//   list_models {}
// <options>: see json::toGenerationOptions.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>

#include "chat/chat_service.h"
#include "gateway/http/http_message.h"

namespace parley::gateway {

class QuotaTracker;
class StreamHub;
struct Principal;

struct OperationOutcome {
    OperationOutcome(int status, QJsonObject result, HeaderList extraHeaders = {})
        : httpStatus(status), body(std::move(result)), headers(std::move(extraHeaders)) {}

    int httpStatus = 200;  // 2xx with the result in `body`; 4xx/5xx with body {"error": {...}}
    QJsonObject body;
    HeaderList headers;  // e.g. Retry-After on a quota refusal
    bool ok() const { return httpStatus < 400; }
};
using OperationDone = std::function<void(OperationOutcome)>;

struct OperationLimits {
    int maxMessageChars = 100'000;
    int maxTitleChars = 500;
};

// The OpenAI-shaped error body: {"error": {"message", "type", "code"}}.
OperationOutcome operationError(int httpStatus, const QString& message, const QString& code);

class ConversationOperations {
  public:
    // `quotas` (may be null) is asked for a concurrent-stream slot before every answer starts;
    // the slot is held until the stream ends.
    ConversationOperations(StreamHub& hub, QuotaTracker* quotas, OperationLimits limits = {});

    static QStringList names();

    // `done` runs exactly once, later or before run() returns.
    void run(const Principal& principal, chat::ChatService& service, const QString& operation,
             const QJsonObject& args, OperationDone done);

  private:
    void startStream(const Principal& principal, const QString& conversationId,
                     std::function<void(chat::Reply<chat::StreamStarted>)> call,
                     OperationDone done);

    StreamHub& hub_;
    QuotaTracker* quotas_;
    OperationLimits limits_;
};

}  // namespace parley::gateway
