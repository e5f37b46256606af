#include "gateway/conversations/conversation_operations.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include "gateway/auth/principal.h"
#include "gateway/conversations/conversation_json.h"
#include "gateway/conversations/stream_hub.h"
#include "gateway/limits/quota_tracker.h"

namespace parley::gateway {
namespace {

// ChatService errors carry only a message. "not found" is what it answers for an unknown id and
// for another user's (see chat_service.h), as does the store's "no conversation/message X"; the
// store's other failures are prefixed "store:"; the rest are refusals of the request itself.
OperationOutcome serviceError(const Error& error) {
    static const QRegularExpression notFound(
        QStringLiteral(R"(not found|\bno (conversation|message) )"),
        QRegularExpression::CaseInsensitiveOption);
    const QString message = QString::fromStdString(error.message);
    if (notFound.match(message).hasMatch())
        return operationError(404, message, "not_found");
    if (message.startsWith(QLatin1String("store:")))
        return operationError(500, message, "internal_error");
    return operationError(400, message, "invalid_request");
}

template <class T>
chat::Reply<T> replyTo(OperationDone done, std::function<QJsonObject(const T&)> toJson,
                       int status = 200) {
    return [done = std::move(done), toJson = std::move(toJson), status](Result<T> result) {
        if (!result.ok()) {
            done(serviceError(result.error()));
            return;
        }
        done(OperationOutcome{status, toJson(result.value())});
    };
}

chat::Reply<Ok> replyOk(OperationDone done, QJsonObject body) {
    return replyTo<Ok>(std::move(done), [body](const Ok&) { return body; });
}

struct Call {
    const QJsonObject& args;
    OperationDone& done;
};

// Required string argument; answers 400 and returns false when it is missing or empty.
bool requireString(const Call& call, const char* key, QString& out) {
    const QJsonValue value = call.args.value(QLatin1String(key));
    if (!value.isString() || value.toString().isEmpty()) {
        call.done(operationError(400, QStringLiteral("'%1' must be a non-empty string").arg(key),
                                 "invalid_request"));
        return false;
    }
    out = value.toString();
    return true;
}

bool requireBool(const Call& call, const char* key, bool& out) {
    const QJsonValue value = call.args.value(QLatin1String(key));
    if (!value.isBool()) {
        call.done(operationError(400, QStringLiteral("'%1' must be true or false").arg(key),
                                 "invalid_request"));
        return false;
    }
    out = value.toBool();
    return true;
}

bool readOptions(const Call& call, chat::GenerationOptions& out) {
    auto options = json::toGenerationOptions(call.args);
    if (!options.ok()) {
        call.done(operationError(400, QString::fromStdString(options.error().message),
                                 "invalid_request"));
        return false;
    }
    out = std::move(options.value());
    return true;
}

QJsonObject listBody(const QJsonArray& data) {
    return QJsonObject{{"object", "list"}, {"data", data}};
}

}  // namespace

OperationOutcome operationError(int httpStatus, const QString& message, const QString& code) {
    // OpenAI's vocabulary, as in api_error.h, so its clients raise the matching exception.
    const QString type = httpStatus >= 500 ? QStringLiteral("server_error")
                                           : QStringLiteral("invalid_request_error");
    return OperationOutcome{
        httpStatus,
        QJsonObject{{"error", QJsonObject{{"message", message}, {"type", type}, {"code", code}}}}};
}

ConversationOperations::ConversationOperations(StreamHub& hub, QuotaTracker* quotas,
                                               OperationLimits limits)
    : hub_(hub), quotas_(quotas), limits_(limits) {}

QStringList ConversationOperations::names() {
    return {
        "create_conversation",  "list_conversations", "get_conversation",    "rename_conversation",
        "set_pinned",           "set_archived",       "delete_conversation", "search",
        "send_message",         "edit_message",       "regenerate",          "continue_answer",
        "cancel_stream",        "switch_branch",      "context_report",      "export_conversations",
        "import_conversations", "list_models"};
}

void ConversationOperations::startStream(const Principal& principal, const QString& conversationId,
                                         std::function<void(chat::Reply<chat::StreamStarted>)> call,
                                         OperationDone done) {
    QuotaTracker::Slot slot;
    if (quotas_) {
        auto acquired = quotas_->acquireStream(principal, QuotaTracker::nowMs());
        if (const auto* refusal = std::get_if<QuotaRefusal>(&acquired)) {
            const HttpResponse response = quotaRefusalResponse(*refusal);
            done(OperationOutcome{response.status, QJsonDocument::fromJson(response.body).object(),
                                  response.headers});
            return;
        }
        slot = std::get<QuotaTracker::Slot>(std::move(acquired));
    }
    call([this, userId = principal.userId, conversationId, slot,
          done = std::move(done)](auto result) {
        if (!result.ok()) {
            done(serviceError(result.error()));
            return;
        }
        hub_.open(userId, conversationId, result.value(), slot);
        done(OperationOutcome{202, json::fromStreamStarted(result.value())});
    });
}

void ConversationOperations::run(const Principal& principal, chat::ChatService& service,
                                 const QString& operation, const QJsonObject& args,
                                 OperationDone done) {
    const QString& userId = principal.userId;
    const Call call{args, done};
    QString id;
    QString text;
    bool flag = false;
    chat::GenerationOptions options;

    if (operation == QLatin1String("create_conversation")) {
        const QJsonValue title = args.value("title");
        if (!title.isUndefined() && !title.isNull() && !title.isString())
            return done(operationError(400, "'title' must be a string", "invalid_request"));
        if (title.toString().size() > limits_.maxTitleChars)
            return done(operationError(400, "'title' is too long", "invalid_request"));
        return service.createConversation(
            title.toString(),
            replyTo<store::Conversation>(std::move(done), json::fromConversation, 201));
    }
    if (operation == QLatin1String("list_conversations")) {
        return service.listConversations(
            args.value("include_archived").toBool(),
            replyTo<std::vector<store::Conversation>>(std::move(done), [](const auto& list) {
                QJsonArray data;
                for (const auto& c : list)
                    data.append(json::fromConversation(c));
                return listBody(data);
            }));
    }
    if (operation == QLatin1String("get_conversation")) {
        if (!requireString(call, "conversation_id", id))
            return;
        return service.conversation(
            id, replyTo<chat::ConversationView>(std::move(done), json::fromConversationView));
    }
    if (operation == QLatin1String("rename_conversation")) {
        if (!requireString(call, "conversation_id", id) || !requireString(call, "title", text))
            return;
        if (text.size() > limits_.maxTitleChars)
            return done(operationError(400, "'title' is too long", "invalid_request"));
        return service.renameConversation(
            id, text, replyOk(std::move(done), {{"conversation_id", id}, {"title", text}}));
    }
    if (operation == QLatin1String("set_pinned")) {
        if (!requireString(call, "conversation_id", id) || !requireBool(call, "pinned", flag))
            return;
        return service.setPinned(
            id, flag, replyOk(std::move(done), {{"conversation_id", id}, {"pinned", flag}}));
    }
    if (operation == QLatin1String("set_archived")) {
        if (!requireString(call, "conversation_id", id) || !requireBool(call, "archived", flag))
            return;
        return service.setArchived(
            id, flag, replyOk(std::move(done), {{"conversation_id", id}, {"archived", flag}}));
    }
    if (operation == QLatin1String("delete_conversation")) {
        if (!requireString(call, "conversation_id", id))
            return;
        return service.deleteConversation(
            id, replyOk(std::move(done), {{"conversation_id", id}, {"deleted", true}}));
    }
    if (operation == QLatin1String("search")) {
        if (!requireString(call, "query", text))
            return;
        return service.search(
            text, replyTo<std::vector<store::SearchHit>>(std::move(done), [](const auto& hits) {
                QJsonArray data;
                for (const auto& h : hits)
                    data.append(json::fromSearchHit(h));
                return listBody(data);
            }));
    }
    if (operation == QLatin1String("send_message")) {
        chat::SendRequest request;
        if (!requireString(call, "conversation_id", request.conversationId) ||
            !requireString(call, "content", request.content) || !readOptions(call, options))
            return;
        const QString role = args.value("role").toString(QStringLiteral("user"));
        if (role != QLatin1String("user"))
            return done(operationError(400, "only 'user' messages can be sent", "invalid_role"));
        if (request.content.size() > limits_.maxMessageChars)
            return done(operationError(400,
                                       QStringLiteral("'content' is longer than %1 characters")
                                           .arg(limits_.maxMessageChars),
                                       "message_too_long"));
        auto attachments = json::toAttachments(args.value("attachments"));
        if (!attachments.ok())
            return done(operationError(400, QString::fromStdString(attachments.error().message),
                                       "invalid_request"));
        request.clientMessageId = args.value("message_id").toString();
        request.parentId = args.value("parent_id").toString();
        request.model = args.value("model").toString();
        request.options = options;
        request.attachments = std::move(attachments.value());
        const QString conversationId = request.conversationId;
        return startStream(
            principal, conversationId,
            [&service, request](auto reply) { service.send(request, std::move(reply)); },
            std::move(done));
    }
    if (operation == QLatin1String("edit_message")) {
        if (!requireString(call, "message_id", id) || !requireString(call, "content", text) ||
            !readOptions(call, options))
            return;
        if (text.size() > limits_.maxMessageChars)
            return done(operationError(400, "'content' is too long", "message_too_long"));
        return startStream(
            principal, {},
            [&service, id, text, options](auto reply) {
                service.edit(id, text, options, std::move(reply));
            },
            std::move(done));
    }
    if (operation == QLatin1String("regenerate") || operation == QLatin1String("continue_answer")) {
        if (!requireString(call, "message_id", id) || !readOptions(call, options))
            return;
        const bool regenerate = operation == QLatin1String("regenerate");
        return startStream(
            principal, {},
            [&service, id, options, regenerate](auto reply) {
                if (regenerate)
                    service.regenerate(id, options, std::move(reply));
                else
                    service.continueAnswer(id, options, std::move(reply));
            },
            std::move(done));
    }
    if (operation == QLatin1String("cancel_stream")) {
        if (!requireString(call, "stream_id", id))
            return;
        // A stream the hub knows under another user is answered like an unknown one.
        if (hub_.contains(id) && !hub_.isVisibleTo(userId, id))
            return done(operationError(404, "stream not found", "not_found"));
        if (hub_.isFinished(id))
            return done(operationError(
                409, QStringLiteral("stream %1 has already finished").arg(id), "stream_finished"));
        return service.cancel(id,
                              replyOk(std::move(done), {{"stream_id", id}, {"cancelled", true}}));
    }
    if (operation == QLatin1String("switch_branch")) {
        if (!requireString(call, "message_id", id))
            return;
        return service.switchBranch(
            id, replyTo<chat::ConversationView>(std::move(done), json::fromConversationView));
    }
    if (operation == QLatin1String("context_report")) {
        if (!requireString(call, "message_id", id))
            return;
        return service.contextReport(
            id, replyTo<chat::ContextReport>(std::move(done), json::fromContextReport));
    }
    if (operation == QLatin1String("export_conversations")) {
        QStringList ids;
        for (const auto& item : args.value("conversation_ids").toArray())
            ids.append(item.toString());
        return service.exportConversations(
            ids, replyTo<QByteArray>(std::move(done), [](const QByteArray& bytes) {
                const QJsonDocument document = QJsonDocument::fromJson(bytes);
                return QJsonObject{{"export", document.isArray() ? QJsonValue(document.array())
                                                                 : QJsonValue(document.object())}};
            }));
    }
    if (operation == QLatin1String("import_conversations")) {
        const QJsonValue data = args.value("data");
        if (!data.isObject() && !data.isArray())
            return done(operationError(400, "'data' must be a JSON export (object or array)",
                                       "invalid_request"));
        const QByteArray bytes = data.isObject() ? QJsonDocument(data.toObject()).toJson()
                                                 : QJsonDocument(data.toArray()).toJson();
        return service.importConversations(bytes, replyTo<int>(std::move(done), [](int added) {
                                               return QJsonObject{{"added", added}};
                                           }));
    }
    if (operation == QLatin1String("list_models")) {
        return service.models(
            replyTo<std::vector<chat::ModelInfo>>(std::move(done), [](const auto& models) {
                QJsonArray data;
                for (const auto& m : models)
                    data.append(json::fromModelInfo(m));
                return listBody(data);
            }));
    }
    done(operationError(400, QStringLiteral("unknown operation '%1'").arg(operation),
                        "unknown_operation"));
}

}  // namespace parley::gateway
