#include "gateway/conversations/conversation_routes.h"

#include "gateway/conversation_gateway.h"
#include "gateway/conversations/stream_sse.h"
#include "gateway/http/api_error.h"
#include "gateway/http/router.h"

namespace parley::gateway {
namespace {

void answer(const RequestContextPtr& ctx, const OperationOutcome& outcome) {
    HttpResponse response = HttpResponse::json(outcome.httpStatus, outcome.body);
    response.headers.append(outcome.headers);
    ctx->reply(std::move(response));
}

void run(ConversationGateway& gateway, const RequestContextPtr& ctx, const QString& operation,
         const QJsonObject& args) {
    const Principal& principal = ctx->principal();
    gateway.operations().run(principal, gateway.chatServices().serviceFor(principal.userId),
                             operation, args,
                             [ctx](OperationOutcome outcome) { answer(ctx, outcome); });
}

// The JSON body, or {} for an empty one (POST /v1/conversations needs none). Answers 400 itself.
std::optional<QJsonObject> bodyOrEmpty(const RequestContextPtr& ctx) {
    if (ctx->request().body.trimmed().isEmpty())
        return QJsonObject{};
    return ctx->jsonBody();
}

// A route that runs one operation with the body's fields plus the path parameter `idField`.
Handler operationRoute(ConversationGateway& gateway, const QString& operation,
                       const QString& idField = {}) {
    return [&gateway, operation, idField](const RequestContextPtr& ctx) {
        auto args = bodyOrEmpty(ctx);
        if (!args)
            return;
        if (!idField.isEmpty())
            args->insert(idField, ctx->param("id"));
        run(gateway, ctx, operation, *args);
    };
}

// PATCH applies each field present in turn; the answer is the conversation as it then is.
void patchConversation(ConversationGateway& gateway, const RequestContextPtr& ctx) {
    const auto body = ctx->jsonBody();
    if (!body)
        return;
    for (const QString& key : body->keys()) {
        if (key != QLatin1String("title") && key != QLatin1String("pinned") &&
            key != QLatin1String("archived")) {
            ctx->reply(badRequest("unknown_parameter",
                                  QStringLiteral("'%1' cannot be changed here").arg(key), key));
            return;
        }
    }
    const QString id = ctx->param("id");
    std::vector<std::pair<QString, QJsonObject>> steps;
    if (body->contains("title"))
        steps.push_back({"rename_conversation", {{"title", body->value("title")}}});
    if (body->contains("pinned"))
        steps.push_back({"set_pinned", {{"pinned", body->value("pinned")}}});
    if (body->contains("archived"))
        steps.push_back({"set_archived", {{"archived", body->value("archived")}}});
    steps.push_back({"get_conversation", {}});
    for (auto& [operation, args] : steps)
        args.insert("conversation_id", id);

    auto next = std::make_shared<std::function<void(size_t)>>();
    *next = [&gateway, ctx, steps, next](size_t i) {
        const Principal& principal = ctx->principal();
        gateway.operations().run(principal, gateway.chatServices().serviceFor(principal.userId),
                                 steps[i].first, steps[i].second,
                                 [ctx, next, i, last = i + 1 == steps.size()](auto outcome) {
                                     if (!outcome.ok() || last) {
                                         answer(ctx, outcome);
                                         *next = nullptr;  // ends the self-reference
                                         return;
                                     }
                                     (*next)(i + 1);
                                 });
    };
    (*next)(0);
}

}  // namespace

void registerConversationRoutes(Router& router, ConversationGateway& gateway) {
    // Literal paths before the {id} patterns that would also match them.
    router.add("POST", "/v1/conversations/export", Access::User,
               operationRoute(gateway, "export_conversations"));
    router.add("POST", "/v1/conversations/import", Access::User,
               operationRoute(gateway, "import_conversations"));
    router.add("POST", "/v1/conversations", Access::User,
               operationRoute(gateway, "create_conversation"));
    router.add("GET", "/v1/conversations", Access::User, [&gateway](const RequestContextPtr& ctx) {
        const QString archived = ctx->request().query.queryItemValue("include_archived");
        run(gateway, ctx, "list_conversations",
            {{"include_archived", archived == "true" || archived == "1"}});
    });
    router.add("GET", "/v1/conversations/{id}", Access::User,
               operationRoute(gateway, "get_conversation", "conversation_id"));
    router.add("PATCH", "/v1/conversations/{id}", Access::User,
               [&gateway](const RequestContextPtr& ctx) { patchConversation(gateway, ctx); });
    router.add("DELETE", "/v1/conversations/{id}", Access::User,
               operationRoute(gateway, "delete_conversation", "conversation_id"));
    router.add("POST", "/v1/conversations/{id}/messages", Access::User,
               operationRoute(gateway, "send_message", "conversation_id"));

    router.add("GET", "/v1/search", Access::User, [&gateway](const RequestContextPtr& ctx) {
        run(gateway, ctx, "search",
            {{"query", ctx->request().query.queryItemValue("q", QUrl::FullyDecoded)}});
    });

    router.add("POST", "/v1/messages/{id}/edit", Access::User,
               operationRoute(gateway, "edit_message", "message_id"));
    router.add("POST", "/v1/messages/{id}/regenerate", Access::User,
               operationRoute(gateway, "regenerate", "message_id"));
    router.add("POST", "/v1/messages/{id}/continue", Access::User,
               operationRoute(gateway, "continue_answer", "message_id"));
    router.add("POST", "/v1/messages/{id}/switch", Access::User,
               operationRoute(gateway, "switch_branch", "message_id"));
    router.add("GET", "/v1/messages/{id}/context", Access::User,
               operationRoute(gateway, "context_report", "message_id"));

    router.add("GET", "/v1/streams/{id}", Access::User, [&gateway](const RequestContextPtr& ctx) {
        const auto after = lastEventId(ctx->request());
        if (!after) {
            ctx->reply(badRequest("invalid_last_event_id",
                                  "Last-Event-ID must be a non-negative integer", "Last-Event-ID"));
            return;
        }
        serveStreamEvents(gateway.hub(), ctx, ctx->principal().userId, ctx->param("id"), *after);
    });
    router.add("POST", "/v1/streams/{id}/cancel", Access::User,
               operationRoute(gateway, "cancel_stream", "stream_id"));
}

}  // namespace parley::gateway
