// The seed's REST API over the ConversationOperations, for the authenticated user:
//
//   POST   /v1/conversations                    {title?}            -> 201 conversation
//   GET    /v1/conversations?include_archived=true                  -> {object:list, data}
//   GET    /v1/conversations/{id}                                   -> conversation + messages
//   PATCH  /v1/conversations/{id}               {title?, pinned?, archived?}
//   DELETE /v1/conversations/{id}
//   POST   /v1/conversations/{id}/messages      {message_id, role, content, ...} -> 202 stream
//   POST   /v1/conversations/export             {conversation_ids?}
//   POST   /v1/conversations/import             {data}
//   GET    /v1/search?q=TEXT
//   POST   /v1/messages/{id}/edit               {content, ...}      -> 202 stream
//   POST   /v1/messages/{id}/regenerate         {...}               -> 202 stream
//   POST   /v1/messages/{id}/continue           {...}               -> 202 stream
//   POST   /v1/messages/{id}/switch                                 -> conversation + messages
//   GET    /v1/messages/{id}/context                                -> context report
//   GET    /v1/streams/{id}                     (SSE; Last-Event-ID resumes)
//   POST   /v1/streams/{id}/cancel
#pragma once

namespace parley::gateway {

class ConversationGateway;
class Router;

void registerConversationRoutes(Router& router, ConversationGateway& conversations);

}  // namespace parley::gateway
